/**
 * The browser entry point (the `browser` export condition, dist/browser.js,
 * and the `mqttkit` global of dist/mqttkit.min.js): the same API as the Node
 * entry, with WebSocket as the only transport. mqtt:, mqtts:, tcp:, tls: and
 * ssl: URLs are refused with an InvalidArgumentError saying to use ws:/wss:.
 *
 * Nothing reachable from here may need Node: no Buffer, process, events or
 * node:* modules (the browser builds fail if one sneaks in, and
 * test/bundler checks the output).
 */
import { type ClientEvents, MqttClient } from './client/client.js';
import { connectWith } from './client/connect.js';
import type { ClientOptions } from './client/options.js';
import { transportForUrl } from './transport/browser.js';

/** A client that is not connected yet; publishes wait in the offline queue until `start()` (or `connect`). */
export function createClient(url: string | URL, options: ClientOptions = {}): MqttClient {
  return new MqttClient(url, options, transportForUrl);
}

/**
 * Connects to a broker over WebSocket and resolves once it accepted (CONNACK
 * success); rejects with a typed error otherwise, or with MQTTKIT_ERR_ABORTED
 * when `options.signal` aborts first.
 *
 * @example
 * const client = await mqttkit.connect('wss://broker.example:8884/mqtt');
 * await client.publish('devices/42/temp', '21.5', { qos: 1 });
 */
export function connect(url: string | URL, options: ClientOptions & { signal?: AbortSignal } = {}): Promise<MqttClient> {
  const { signal, ...clientOptions } = options;
  let client: MqttClient;
  try {
    client = createClient(url, clientOptions);
  } catch (err) {
    return Promise.reject(err);
  }
  return connectWith(client, signal);
}

export type { EndOptions, PublishOptions, PublishResult, SubscribeOptions } from './client/client.js';
export { ReceivedMessage } from './client/message.js';
export type { AuthChallenge, ClientOptions, Payload, WillOptions } from './client/options.js';
export type { RequestOptions } from './client/request.js';
export type { Scheduler } from './client/scheduler.js';
// The client's Subscription (an async iterable of messages) wins over the codec's SUBSCRIBE entry type of the same name.
export { Subscription } from './client/subscription.js';
export { topicMatches } from './client/topic-match.js';
export * from './codec/index.js';
export { backoff } from './engine/backoff.js';
export { Engine, type EngineState } from './engine/engine.js';
export type * from './engine/types.js';
export {
  ConnectionError,
  InvalidArgumentError,
  MalformedPacketError,
  MqttkitError,
  type MqttkitErrorOptions,
  ReasonCodeError,
  StateError,
} from './errors.js';
export { MemoryStore } from './store/memory.js';
export type { OutgoingEntry, Store } from './store/types.js';
export { transportForUrl } from './transport/browser.js';
export type { UpgradeResponse } from './transport/errors.js';
export type { TlsOptions, Transport, TransportFactory, TransportHandlers, TransportOptions } from './transport/types.js';
export {
  createWebSocketTransport,
  type WebSocketConstructor,
  type WebSocketEvent,
  type WebSocketLike,
  type WebSocketTransportOptions,
  websocketTransport,
} from './transport/websocket.js';
export { type ClientEvents, MqttClient };

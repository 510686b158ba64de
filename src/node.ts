/**
 * The Node.js entry point: the client with TCP, TLS and WebSocket transports
 * by URL scheme (mqtt:, tcp:, mqtts:, tls:, ssl:, ws:, wss:).
 */
import { type ClientEvents, MqttClient } from './client/client.js';
import { connectWith } from './client/connect.js';
import type { ClientOptions } from './client/options.js';
import { transportForUrl } from './transport/index.js';

/** A client that is not connected yet; publishes wait in the offline queue until `start()` (or `connect`). */
export function createClient(url: string | URL, options: ClientOptions = {}): MqttClient {
  return new MqttClient(url, options, transportForUrl);
}

/**
 * Connects to a broker and resolves once it accepted (CONNACK success);
 * rejects with a typed error carrying the reason code otherwise, or with
 * MQTTKIT_ERR_ABORTED when `options.signal` aborts first.
 *
 * @example
 * const client = await connect('mqtt://localhost:1883');
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
export { Subscription } from './client/subscription.js';
export { topicMatches } from './client/topic-match.js';
export { backoff } from './engine/backoff.js';
export { Engine, type EngineState } from './engine/engine.js';
export type * from './engine/types.js';
export { FileStore, type FileStoreOptions, type FileStoreRestored, type FileStoreStats, type FsyncPolicy } from './store/file.js';
export { MemoryStore } from './store/memory.js';
export type { OutgoingEntry, Store } from './store/types.js';
export type { UpgradeResponse } from './transport/errors.js';
export { createTlsTransport, tcpTransport, tlsTransport, transportForUrl } from './transport/index.js';
export type { TlsOptions, Transport, TransportFactory, TransportHandlers, TransportOptions } from './transport/types.js';
export type { WebSocketConstructor, WebSocketEvent, WebSocketLike } from './transport/websocket.js';
export {
  createNodeWebSocketTransport as createWebSocketTransport,
  type NodeWebSocketConstructor,
  type NodeWebSocketTransportOptions as WebSocketTransportOptions,
  nodeWebSocketTransport as websocketTransport,
} from './transport/websocket-node.js';
export { type ClientEvents, MqttClient };

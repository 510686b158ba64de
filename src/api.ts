/**
 * The public API both entry points share (src/node.ts for Node, src/browser.ts
 * for browsers): the client, its types, the codec, errors and stores. The
 * entries add `createClient`/`connect` and their platform's transports.
 */

export {
  type ClientEvents,
  type EndOptions,
  MqttClient,
  type PublishOptions,
  type PublishResult,
  type SubscribeOptions,
} from './client/client.js';
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
export type { UpgradeResponse } from './transport/errors.js';
export type { TlsOptions, Transport, TransportFactory, TransportHandlers, TransportOptions } from './transport/types.js';
export type { WebSocketConstructor, WebSocketEvent, WebSocketLike } from './transport/websocket.js';

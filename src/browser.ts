/**
 * The browser entry point (the `browser` export condition, dist/browser.js,
 * and the `mqttkit` global of dist/mqttkit.min.js): the same API as the Node
 * entry, with WebSocket as the only transport. mqtt:, mqtts:, tcp:, tls: and
 * ssl: URLs are refused with an InvalidArgumentError saying to use ws:/wss:.
 *
 * Nothing reachable from here may need Node: no Node globals, no events or
 * node:* modules (the browser builds fail if one sneaks in, and
 * test/bundler checks the output).
 *
 * @example
 * ```ts
 * // With a bundler: `import { connect } from 'mqttkit'` resolves here. With a <script> tag: `mqttkit.connect`.
 * const client = await connect('wss://broker.example:8884/mqtt');
 * client.on('message', (message) => console.log(message.topic, message.text()));
 * await client.subscribe('dashboard/#');
 * ```
 *
 * @module browser
 */
import { MqttClient } from './client/client.js';
import { connectNew } from './client/connect.js';
import type { ClientOptions } from './client/options.js';
import { transportForUrl } from './transport/browser.js';

/**
 * A client that is not connected yet; publishes wait in the offline queue until `start()` (or `connect`).
 * Throws InvalidArgumentError for a bad option, or for a URL that is not ws: or wss:.
 *
 * @example
 * ```ts
 * const client = createClient('wss://broker.example:8884/mqtt', { keepAlive: 30 });
 * client.on('reconnect', ({ delay }) => showBanner(`reconnecting in ${Math.round(delay / 1000)} s`));
 * client.start();
 * ```
 */
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
  return connectNew(createClient, url, options);
}

export * from './api.js';
export {
  type IndexedDbDurability,
  IndexedDbStore,
  type IndexedDbStoreOptions,
  type IndexedDbStoreRestored,
  type IndexedDbStoreStats,
} from './store/indexeddb.js';
export { transportForUrl } from './transport/browser.js';
export {
  createWebSocketTransport,
  type WebSocketTransportOptions,
  websocketTransport,
} from './transport/websocket.js';

/**
 * The Node.js entry point: the client with TCP, TLS and WebSocket transports
 * by URL scheme (mqtt:, tcp:, mqtts:, tls:, ssl:, ws:, wss:).
 */
import { MqttClient } from './client/client.js';
import { connectNew } from './client/connect.js';
import type { ClientOptions } from './client/options.js';
import { transportForUrl } from './transport/index.js';

/**
 * A client that is not connected yet; publishes wait in the offline queue until `start()` (or `connect`).
 * Throws InvalidArgumentError (naming the option) for a bad URL or option. Use it to attach listeners before the
 * first connection, or to let a device start up offline: unlike `connect()`, a first failed attempt is retried.
 *
 * @example
 * ```ts
 * const client = createClient('mqtts://broker.example:8883', { clientId: 'dev-42', clean: false });
 * client.on('message', (message) => console.log(message.topic, message.text()));
 * client.on('connect', () => console.log('online'));
 * client.start(); // connects in the background and keeps retrying
 * void client.publish('devices/42/boot', new Date().toISOString(), { qos: 1 }); // queued until connected
 * ```
 */
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
  return connectNew(createClient, url, options);
}

export * from './api.js';
export { FileStore, type FileStoreOptions, type FileStoreRestored, type FileStoreStats, type FsyncPolicy } from './store/file.js';
export { createTlsTransport, tcpTransport, tlsTransport, transportForUrl } from './transport/index.js';
export {
  createNodeWebSocketTransport as createWebSocketTransport,
  type NodeWebSocketConstructor,
  type NodeWebSocketTransportOptions as WebSocketTransportOptions,
  nodeWebSocketTransport as websocketTransport,
} from './transport/websocket-node.js';

/**
 * mqttkit: an MQTT 3.1 / 3.1.1 / 5.0 client SDK for Node.js and browsers.
 * This is the Node entry; bundlers targeting browsers get src/browser.ts.
 *
 * `import { connect } from 'mqttkit'` gives the client ({@link connect}, {@link createClient},
 * {@link MqttClient}), the TCP, TLS and WebSocket transports chosen by URL scheme, the stores ({@link MemoryStore},
 * {@link FileStore}), the typed errors and the codec. Browsers and bundlers targeting them get the `browser`
 * module instead: the same API over WebSocket only.
 *
 * @example
 * ```ts
 * import { connect } from 'mqttkit';
 *
 * const client = await connect('mqtt://localhost:1883');
 * const sub = await client.subscribe('sensors/#', { qos: 1 });
 * await client.publish('sensors/42/temp', '21.5', { qos: 1 });
 * for await (const message of sub) {
 *   console.log(message.topic, message.text());
 *   break;
 * }
 * await client.end();
 * ```
 *
 * @module mqttkit
 */

export * from './node.js';

/**
 * mqttkit: an MQTT 3.1 / 3.1.1 / 5.0 client SDK for Node.js and browsers.
 * This is the Node entry; bundlers targeting browsers get src/browser.ts.
 */

export * from './node.js';

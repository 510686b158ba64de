/**
 * mqttkit: an MQTT 3.1 / 3.1.1 / 5.0 client SDK for Node.js and browsers.
 */
export * from './codec/index.js';
export { InvalidArgumentError, MalformedPacketError, MqttkitError, type MqttkitErrorOptions } from './errors.js';

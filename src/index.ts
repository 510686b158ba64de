/**
 * mqttkit: an MQTT 3.1 / 3.1.1 / 5.0 client SDK for Node.js and browsers.
 */

// The client's Subscription (an async iterable of messages) wins over the codec's SUBSCRIBE entry type of the same name.
export { Subscription } from './client/subscription.js';
export * from './codec/index.js';
export {
  ConnectionError,
  InvalidArgumentError,
  MalformedPacketError,
  MqttkitError,
  type MqttkitErrorOptions,
  ReasonCodeError,
  StateError,
} from './errors.js';
export * from './node.js';

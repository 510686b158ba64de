/**
 * The MQTT 3.1 / 3.1.1 / 5.0 codec: packets as typed objects, encode, and a streaming Decoder.
 * Import it as `mqttkit/codec` to build, inspect or test MQTT traffic without a client (it has no I/O and
 * no Node dependencies). The main entry exports the same functions and packet types.
 *
 * @example
 * ```ts
 * import { Decoder, encode } from 'mqttkit/codec';
 *
 * const bytes = encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'a/#', qos: 1 }] }, 5);
 * const [packet] = new Decoder({ protocolVersion: 5 }).push(bytes);
 * console.log(packet.type); // 'subscribe'
 * ```
 *
 * @module mqttkit/codec
 */

export { Decoder, type DecoderOptions, decode, MAX_PACKET_SIZE } from './decoder.js';
export { encode, encodedSize, encodeInto } from './encode.js';
export {
  connackReturnCodeToReasonCode,
  isValidReasonCode,
  ReasonCode,
  type ReasonCodeName,
  reasonCodeName,
} from './reason-codes.js';
export { isSharedFilter, topicFilterProblem, topicNameProblem } from './topics.js';
export type * from './types.js';

/** The MQTT 3.1 / 3.1.1 / 5.0 codec: packets as typed objects, encode, and a streaming Decoder. */

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

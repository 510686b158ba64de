/**
 * MQTT 5 reason codes (§2.4) with the packets each one may appear in, and the
 * MQTT 3.1/3.1.1 CONNACK return codes mapped onto them.
 */

export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

export type ReasonCodeName = keyof typeof ReasonCode;

/** Packets that carry a reason code, as bits of the masks below. */
const CONNACK = 1;
const PUBACK = 2;
const PUBREC = 4;
const PUBREL = 8;
const PUBCOMP = 16;
const SUBACK = 32;
const UNSUBACK = 64;
const DISCONNECT = 128;
const AUTH = 256;

export const REASON_PACKET_MASK = {
  connack: CONNACK,
  puback: PUBACK,
  pubrec: PUBREC,
  pubrel: PUBREL,
  pubcomp: PUBCOMP,
  suback: SUBACK,
  unsuback: UNSUBACK,
  disconnect: DISCONNECT,
  auth: AUTH,
} as const;

export type ReasonPacketType = keyof typeof REASON_PACKET_MASK;

const PUB_FAILURES = CONNACK | PUBACK | PUBREC | SUBACK | UNSUBACK | DISCONNECT;

/** [SCREAMING_NAME, packets it is valid in]: the table of MQTT 5 §2.4. */
const TABLE: ReadonlyArray<readonly [number, string, number]> = [
  [0x00, 'SUCCESS', CONNACK | PUBACK | PUBREC | PUBREL | PUBCOMP | SUBACK | UNSUBACK | DISCONNECT | AUTH],
  [0x01, 'GRANTED_QOS_1', SUBACK],
  [0x02, 'GRANTED_QOS_2', SUBACK],
  [0x04, 'DISCONNECT_WITH_WILL_MESSAGE', DISCONNECT],
  [0x10, 'NO_MATCHING_SUBSCRIBERS', PUBACK | PUBREC],
  [0x11, 'NO_SUBSCRIPTION_EXISTED', UNSUBACK],
  [0x18, 'CONTINUE_AUTHENTICATION', AUTH],
  [0x19, 'RE_AUTHENTICATE', AUTH],
  [0x80, 'UNSPECIFIED_ERROR', PUB_FAILURES],
  [0x81, 'MALFORMED_PACKET', CONNACK | DISCONNECT],
  [0x82, 'PROTOCOL_ERROR', CONNACK | DISCONNECT],
  [0x83, 'IMPLEMENTATION_SPECIFIC_ERROR', PUB_FAILURES],
  [0x84, 'UNSUPPORTED_PROTOCOL_VERSION', CONNACK],
  [0x85, 'CLIENT_IDENTIFIER_NOT_VALID', CONNACK],
  [0x86, 'BAD_USER_NAME_OR_PASSWORD', CONNACK],
  [0x87, 'NOT_AUTHORIZED', PUB_FAILURES],
  [0x88, 'SERVER_UNAVAILABLE', CONNACK],
  [0x89, 'SERVER_BUSY', CONNACK | DISCONNECT],
  [0x8a, 'BANNED', CONNACK],
  [0x8b, 'SERVER_SHUTTING_DOWN', DISCONNECT],
  [0x8c, 'BAD_AUTHENTICATION_METHOD', CONNACK | DISCONNECT],
  [0x8d, 'KEEP_ALIVE_TIMEOUT', DISCONNECT],
  [0x8e, 'SESSION_TAKEN_OVER', DISCONNECT],
  [0x8f, 'TOPIC_FILTER_INVALID', SUBACK | UNSUBACK | DISCONNECT],
  [0x90, 'TOPIC_NAME_INVALID', CONNACK | PUBACK | PUBREC | DISCONNECT],
  [0x91, 'PACKET_IDENTIFIER_IN_USE', PUBACK | PUBREC | SUBACK | UNSUBACK],
  [0x92, 'PACKET_IDENTIFIER_NOT_FOUND', PUBREL | PUBCOMP],
  [0x93, 'RECEIVE_MAXIMUM_EXCEEDED', DISCONNECT],
  [0x94, 'TOPIC_ALIAS_INVALID', DISCONNECT],
  [0x95, 'PACKET_TOO_LARGE', CONNACK | DISCONNECT],
  [0x96, 'MESSAGE_RATE_TOO_HIGH', DISCONNECT],
  [0x97, 'QUOTA_EXCEEDED', CONNACK | PUBACK | PUBREC | SUBACK | DISCONNECT],
  [0x98, 'ADMINISTRATIVE_ACTION', DISCONNECT],
  [0x99, 'PAYLOAD_FORMAT_INVALID', CONNACK | PUBACK | PUBREC | DISCONNECT],
  [0x9a, 'RETAIN_NOT_SUPPORTED', CONNACK | DISCONNECT],
  [0x9b, 'QOS_NOT_SUPPORTED', CONNACK | DISCONNECT],
  [0x9c, 'USE_ANOTHER_SERVER', CONNACK | DISCONNECT],
  [0x9d, 'SERVER_MOVED', CONNACK | DISCONNECT],
  [0x9e, 'SHARED_SUBSCRIPTIONS_NOT_SUPPORTED', SUBACK | DISCONNECT],
  [0x9f, 'CONNECTION_RATE_EXCEEDED', CONNACK | DISCONNECT],
  [0xa0, 'MAXIMUM_CONNECT_TIME', DISCONNECT],
  [0xa1, 'SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED', SUBACK | DISCONNECT],
  [0xa2, 'WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED', SUBACK | DISCONNECT],
];

const NAMES: string[] = [];
const MASKS = new Uint16Array(256);
for (const [code, name, mask] of TABLE) {
  NAMES[code] = name;
  MASKS[code] = mask;
}

/** The specification's name of a reason code in SCREAMING_SNAKE_CASE, e.g. `NOT_AUTHORIZED`. */
export function reasonCodeName(code: number): string {
  return NAMES[code] ?? `UNKNOWN_REASON_0x${code.toString(16).padStart(2, '0')}`;
}

/** Whether MQTT 5 allows `code` in a packet of this type. */
export function isValidReasonCode(packet: ReasonPacketType, code: number): boolean {
  return isByte(code) && (MASKS[code] & REASON_PACKET_MASK[packet]) !== 0;
}

/** A reason code is one unsigned byte (§2.4). */
export function isByte(code: unknown): code is number {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 0xff;
}

/** MQTT 3.1/3.1.1 CONNACK return codes (§3.2.2.3 of 3.1.1) as their MQTT 5 reason codes. */
const V3_CONNACK_TO_REASON = [0x00, 0x84, 0x85, 0x88, 0x86, 0x87] as const;

/** The MQTT 5 reason code equivalent to a 3.1/3.1.1 CONNACK return code (0x80 if unknown). */
export function connackReturnCodeToReasonCode(returnCode: number): number {
  return V3_CONNACK_TO_REASON[returnCode] ?? 0x80;
}

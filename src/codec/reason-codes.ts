/**
 * MQTT 5 reason codes (§2.4) with the packets each one may appear in, and the
 * MQTT 3.1/3.1.1 CONNACK return codes mapped onto them.
 */

/**
 * MQTT 5 reason codes by name (§2.4), for comparing against `reasonCode` fields and errors instead of writing
 * hex. Several names share a value where the specification names it per packet (0x00 is Success, Normal
 * disconnection and Granted QoS 0). Codes below 0x80 mean success; 0x80 and above, failure.
 *
 * @example
 * ```ts
 * try {
 *   await client.publish('plant/valve/7/set', 'open', { qos: 1 });
 * } catch (err) {
 *   if (err instanceof ReasonCodeError && err.reasonCode === ReasonCode.NotAuthorized) console.error('no ACL for this topic');
 * }
 * ```
 * @enum
 */
export const ReasonCode = {
  /** 0x00: the operation succeeded (CONNACK, acks, AUTH). */
  Success: 0x00,
  /** 0x00 in DISCONNECT: a clean close; the will is not published. */
  NormalDisconnection: 0x00,
  /** 0x00 in SUBACK: subscribed, at most QoS 0. */
  GrantedQoS0: 0x00,
  /** 0x01 in SUBACK: subscribed, at most QoS 1. */
  GrantedQoS1: 0x01,
  /** 0x02 in SUBACK: subscribed, at most QoS 2. */
  GrantedQoS2: 0x02,
  /** 0x04 in a client's DISCONNECT: close, and have the broker publish the will anyway. */
  DisconnectWithWillMessage: 0x04,
  /** 0x10 in PUBACK/PUBREC: accepted, but nobody is subscribed (still a success). */
  NoMatchingSubscribers: 0x10,
  /** 0x11 in UNSUBACK: there was no such subscription (still a success). */
  NoSubscriptionExisted: 0x11,
  /** 0x18 in AUTH: another step of enhanced authentication follows. */
  ContinueAuthentication: 0x18,
  /** 0x19 in AUTH: the client starts re-authentication on a live connection. */
  ReAuthenticate: 0x19,
  /** 0x80: failure, and the broker will not say why. */
  UnspecifiedError: 0x80,
  /** 0x81: a packet could not be parsed. */
  MalformedPacket: 0x81,
  /** 0x82: a packet was well formed but broke a protocol rule. */
  ProtocolError: 0x82,
  /** 0x83: valid, but the receiver will not accept it (policy). */
  ImplementationSpecificError: 0x83,
  /**
   * 0x84 in CONNACK: the broker does not speak the requested MQTT version (`protocolVersion: 'auto'` then tries
   * an older one).
   */
  UnsupportedProtocolVersion: 0x84,
  /** 0x85 in CONNACK: the client id was refused (too long, bad characters, or empty where not allowed). */
  ClientIdentifierNotValid: 0x85,
  /** 0x86 in CONNACK: wrong credentials; reconnecting will not help. */
  BadUserNameOrPassword: 0x86,
  /** 0x87: this client may not connect, publish to or subscribe to that. */
  NotAuthorized: 0x87,
  /** 0x88 in CONNACK: the broker cannot serve right now. */
  ServerUnavailable: 0x88,
  /** 0x89: the broker is busy; try again later. */
  ServerBusy: 0x89,
  /** 0x8a in CONNACK: this client is banned. */
  Banned: 0x8a,
  /** 0x8b in DISCONNECT: the broker is shutting down. */
  ServerShuttingDown: 0x8b,
  /** 0x8c: the authentication method is not supported or does not match. */
  BadAuthenticationMethod: 0x8c,
  /** 0x8d in DISCONNECT: the broker heard nothing for 1.5 times the keep alive. */
  KeepAliveTimeout: 0x8d,
  /** 0x8e in DISCONNECT: another connection with the same client id took the session over. */
  SessionTakenOver: 0x8e,
  /** 0x8f: the topic filter is well formed but the broker does not accept it. */
  TopicFilterInvalid: 0x8f,
  /** 0x90: the topic name is well formed but the broker does not accept it. */
  TopicNameInvalid: 0x90,
  /** 0x91: the packet identifier is already in use. */
  PacketIdentifierInUse: 0x91,
  /** 0x92 in PUBREL/PUBCOMP: the packet identifier is unknown. */
  PacketIdentifierNotFound: 0x92,
  /** 0x93 in DISCONNECT: more QoS 1/2 publishes in flight than Receive Maximum allows. */
  ReceiveMaximumExceeded: 0x93,
  /** 0x94 in DISCONNECT: a topic alias was 0, too large, or unknown. */
  TopicAliasInvalid: 0x94,
  /** 0x95: a packet exceeded the Maximum Packet Size. */
  PacketTooLarge: 0x95,
  /** 0x96 in DISCONNECT: the client publishes too fast. */
  MessageRateTooHigh: 0x96,
  /** 0x97: an administrative quota was exceeded. */
  QuotaExceeded: 0x97,
  /** 0x98 in DISCONNECT: an administrator closed the connection. */
  AdministrativeAction: 0x98,
  /** 0x99: the payload does not match its Payload Format Indicator (not valid UTF-8). */
  PayloadFormatInvalid: 0x99,
  /** 0x9a: the broker does not support retained messages. */
  RetainNotSupported: 0x9a,
  /** 0x9b: the QoS is above the broker's Maximum QoS. */
  QoSNotSupported: 0x9b,
  /** 0x9c: use another broker for now (see the Server Reference property). */
  UseAnotherServer: 0x9c,
  /** 0x9d: use another broker from now on (see the Server Reference property). */
  ServerMoved: 0x9d,
  /** 0x9e: the broker does not support `$share/` subscriptions. */
  SharedSubscriptionsNotSupported: 0x9e,
  /** 0x9f: the client connects too often. */
  ConnectionRateExceeded: 0x9f,
  /** 0xa0 in DISCONNECT: the connection reached its maximum allowed time. */
  MaximumConnectTime: 0xa0,
  /** 0xa1: the broker does not support subscription identifiers. */
  SubscriptionIdentifiersNotSupported: 0xa1,
  /** 0xa2: the broker does not support `+` / `#` in subscriptions. */
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** The names of {@link ReasonCode}, e.g. `'NotAuthorized'`. */
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

/**
 * The specification's name of a reason code in SCREAMING_SNAKE_CASE, e.g. `NOT_AUTHORIZED`; an unknown code
 * gives `UNKNOWN_REASON_0x..`. Errors build their `code` from it (`MQTTKIT_ERR_NOT_AUTHORIZED`).
 *
 * @example
 * ```ts
 * reasonCodeName(0x87); // 'NOT_AUTHORIZED'
 * reasonCodeName(ReasonCode.QuotaExceeded); // 'QUOTA_EXCEEDED'
 * ```
 */
export function reasonCodeName(code: number): string {
  return NAMES[code] ?? `UNKNOWN_REASON_0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Whether MQTT 5 allows `code` in a packet of this type (the table of §2.4). The encoder refuses, and the decoder
 * rejects, a code the packet may not carry.
 *
 * @example
 * ```ts
 * isValidReasonCode('puback', ReasonCode.NoMatchingSubscribers); // true
 * isValidReasonCode('connack', ReasonCode.NoMatchingSubscribers); // false
 * ```
 */
export function isValidReasonCode(packet: ReasonPacketType, code: number): boolean {
  return isByte(code) && (MASKS[code] & REASON_PACKET_MASK[packet]) !== 0;
}

/** A reason code is one unsigned byte (§2.4). */
export function isByte(code: unknown): code is number {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 0xff;
}

/** MQTT 3.1/3.1.1 CONNACK return codes (§3.2.2.3 of 3.1.1) as their MQTT 5 reason codes. */
const V3_CONNACK_TO_REASON = [0x00, 0x84, 0x85, 0x88, 0x86, 0x87] as const;

/**
 * The MQTT 5 reason code equivalent to a 3.1/3.1.1 CONNACK return code (0x80 if unknown), so errors and logs use
 * one vocabulary whatever the protocol level: 1 → 0x84, 2 → 0x85, 3 → 0x88, 4 → 0x86, 5 → 0x87.
 *
 * @example
 * ```ts
 * connackReturnCodeToReasonCode(5) === ReasonCode.NotAuthorized; // true
 * ```
 */
export function connackReturnCodeToReasonCode(returnCode: number): number {
  return V3_CONNACK_TO_REASON[returnCode] ?? 0x80;
}

/**
 * MQTT control packets as plain typed objects: a discriminated union on `type`.
 *
 * Design: one shape serves 3.1, 3.1.1 and 5.0. Fields that only MQTT 5 carries
 * (properties, reason codes on acks, subscription options) are optional; the
 * encoder ignores them for older versions where the wire has no room for them
 * and refuses them where dropping them would change the meaning.
 *
 * Decoded packets are canonical: optional fields the wire did not carry are
 * absent (never `undefined`), `properties` is absent when there were none, and
 * on MQTT 5 every ack carries its `reasonCode` (0 when the wire omitted it).
 */

/** Protocol level as written in CONNECT: 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

/**
 * Quality of service: 0 at most once (fire and forget), 1 at least once (acknowledged by PUBACK, may arrive
 * twice), 2 exactly once (a four-packet handshake). A subscription's QoS caps what the broker delivers on it.
 */
export type QoS = 0 | 1 | 2;

/** A user property: an ordered, repeatable name/value pair (MQTT 5 §3.1.2.11.8). */
export type UserProperty = readonly [name: string, value: string];

/** MQTT 5 packets that may carry user properties. */
interface WithUserProperties {
  /**
   * MQTT 5 user properties: application-defined name/value pairs, in order, names may repeat. The broker
   * forwards those of PUBLISH and the will to subscribers unchanged; on other packets they are for the peer
   * only.
   */
  userProperties?: UserProperty[];
}

/** MQTT 5 acks and DISCONNECT: a human-readable reason on top of the user properties. */
interface WithReason extends WithUserProperties {
  /** MQTT 5 Reason String: a human-readable explanation for diagnostics (log it, do not parse it). */
  reasonString?: string;
}

/**
 * MQTT 5 CONNECT properties (§3.1.2.11): how long the session lives, and the limits this client sets for what the
 * broker sends it. Give them as `ClientOptions.properties`.
 */
export interface ConnectProperties extends WithUserProperties {
  /**
   * Seconds the broker keeps the session after the connection closes. Absent or 0: the session ends with the
   * connection; 0xFFFFFFFF: it never expires. Set it (with `clean: false`) for QoS 1/2 messages to survive a
   * reconnect.
   */
  sessionExpiryInterval?: number;
  /** How many QoS 1/2 messages the broker may have in flight to this client at once (1..65535; default 65535). */
  receiveMaximum?: number;
  /**
   * The largest packet, in bytes, this client accepts; the broker drops larger messages instead of sending them
   * (default: no limit beyond MQTT's 268 435 460).
   */
  maximumPacketSize?: number;
  /** The highest topic alias the broker may use towards this client (default 0: none). */
  topicAliasMaximum?: number;
  /** Ask the broker to send Response Information in CONNACK (a topic prefix for request/response); default false. */
  requestResponseInformation?: boolean;
  /**
   * Default true. False asks the broker to leave Reason Strings and user properties out of everything but
   * PUBLISH, CONNACK and DISCONNECT.
   */
  requestProblemInformation?: boolean;
  /**
   * Enhanced authentication method (e.g. `SCRAM-SHA-256`); the broker answers with AUTH challenges (see
   * `ClientOptions.onAuth`).
   */
  authenticationMethod?: string;
  /** The first authentication data of the method (binary; its content is up to the method). */
  authenticationData?: Uint8Array;
}

/** MQTT 5 will properties (§3.1.3.2): when and how the broker publishes the will. */
export interface WillProperties extends WithUserProperties {
  /**
   * Seconds the broker waits after the connection is lost before publishing the will (default 0). A reconnection
   * within that time cancels the will, so a short network blip does not mark a device offline.
   */
  willDelayInterval?: number;
  /** True: the payload is UTF-8 text (the broker may check it); false or absent: bytes. */
  payloadFormatIndicator?: boolean;
  /**
   * Seconds the message lives; the broker discards it when it cannot deliver it in time (default: never
   * expires).
   */
  messageExpiryInterval?: number;
  /** A MIME type for the payload, e.g. `application/json`; for the receiver, MQTT does not interpret it. */
  contentType?: string;
  /** The topic a receiver should publish its response to (request/response). */
  responseTopic?: string;
  /** Opaque bytes the responder copies into its response, so the requester can match response to request. */
  correlationData?: Uint8Array;
}

/**
 * The Last Will: a message the broker publishes on the client's behalf when the connection is lost without a
 * DISCONNECT (or, on MQTT 5, with reason 0x04). Typically a retained "offline" status.
 */
export interface Will {
  /** Topic the will is published to (no wildcards). */
  topic: string;
  /** The will's payload bytes. */
  payload: Uint8Array;
  /** QoS the broker publishes the will with. */
  qos: QoS;
  /** Whether the broker retains the will, so late subscribers see it too. */
  retain: boolean;
  /** MQTT 5 will properties; refused on older protocol levels. */
  properties?: WillProperties;
}

/** CONNECT: the first packet of every connection, sent by the client. */
export interface ConnectPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'connect';
  /** Set by the decoder from the wire; the encoder writes the version it is given. */
  protocolVersion?: ProtocolVersion;
  /**
   * The client identifier. Empty asks the broker to assign one (MQTT 3.1.1 needs `clean: true` for that; MQTT
   * 3.1 needs 1 to 23 characters).
   */
  clientId: string;
  /** Clean Session (3.1, 3.1.1) or Clean Start (5.0). */
  clean: boolean;
  /** Seconds; 0 turns keep alive off. */
  keepAlive: number;
  /** User name for authentication. */
  username?: string;
  /** Password (binary in MQTT 5; UTF-8 text is usual). */
  password?: Uint8Array;
  /** The Last Will, published by the broker if this connection is lost. */
  will?: Will;
  /** MQTT 5 CONNECT properties; refused on older protocol levels. */
  properties?: ConnectProperties;
}

/**
 * MQTT 5 CONNACK properties (§3.2.2.3): the broker's limits and capabilities. An absent field means the
 * specification's default (usually "supported" / "no limit"). The client obeys them by itself; read them from
 * the `connect` event's `connack`.
 */
export interface ConnackProperties extends WithReason {
  /** The session expiry (seconds) the broker will use, when it differs from the one asked for. */
  sessionExpiryInterval?: number;
  /**
   * How many QoS 1/2 publishes the client may have in flight to the broker (default 65535); the client queues
   * the rest.
   */
  receiveMaximum?: number;
  /** The highest QoS the broker accepts in PUBLISH (absent: 2). */
  maximumQoS?: 0 | 1;
  /** False when the broker does not support retained messages (absent: it does). */
  retainAvailable?: boolean;
  /** The largest packet, in bytes, the broker accepts (absent: no limit beyond MQTT's). */
  maximumPacketSize?: number;
  /** The client id the broker assigned, when the client sent an empty one. */
  assignedClientIdentifier?: string;
  /** The highest topic alias the client may use towards the broker (absent or 0: none). */
  topicAliasMaximum?: number;
  /** False when the broker refuses filters with `+` or `#` (absent: it accepts them). */
  wildcardSubscriptionAvailable?: boolean;
  /** False when the broker does not support subscription identifiers (absent: it does). */
  subscriptionIdentifiersAvailable?: boolean;
  /** False when the broker does not support `$share/` subscriptions (absent: it does). */
  sharedSubscriptionAvailable?: boolean;
  /** Keep alive in seconds the broker imposes; it replaces the one the client asked for. */
  serverKeepAlive?: number;
  /** Answer to `requestResponseInformation`: a topic prefix the client may use for responses. */
  responseInformation?: string;
  /** Another broker to use (with reason 0x9c Use another server or 0x9d Server moved). */
  serverReference?: string;
  /** The enhanced authentication method in use. */
  authenticationMethod?: string;
  /** The method's final authentication data. */
  authenticationData?: Uint8Array;
}

/**
 * CONNACK: the broker's answer to CONNECT. On MQTT 3.1/3.1.1 `reasonCode` is the old return code; see {@link
 * connackReturnCodeToReasonCode}.
 */
export interface ConnackPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'connack';
  /**
   * True when the broker resumed a session it kept for this client id; false means subscriptions and in-flight
   * messages are gone.
   */
  sessionPresent: boolean;
  /** MQTT 5 reason code, or the 3.1/3.1.1 return code (0 accepted .. 5 not authorized). */
  reasonCode: number;
  /** MQTT 5: the broker's limits and answers (see {@link ConnackProperties}). */
  properties?: ConnackProperties;
}

/**
 * MQTT 5 PUBLISH properties (§3.3.2.3). Passed to `publish()` in its options, found on received messages as
 * `message.properties`. Refused on older protocol levels.
 */
export interface PublishProperties extends WithUserProperties {
  /** True: the payload is UTF-8 text (a broker or receiver may check it); false or absent: bytes. */
  payloadFormatIndicator?: boolean;
  /** Seconds the message lives. The broker drops it when undelivered by then, and forwards the remaining time. */
  messageExpiryInterval?: number;
  /**
   * A number standing for the topic on this connection (1..topic alias maximum), so repeated topics cost 2
   * bytes. The client manages outgoing aliases when `autoTopicAliases` is on, and resolves incoming ones itself.
   */
  topicAlias?: number;
  /** The topic the receiver should answer on (request/response; `client.request()` sets it). */
  responseTopic?: string;
  /** Bytes the responder copies into its response so the requester can match them (`client.request()` sets them). */
  correlationData?: Uint8Array;
  /** Repeatable: one per matching subscription (server to client only). */
  subscriptionIdentifiers?: number[];
  /** A MIME type for the payload, e.g. `application/json`; MQTT does not interpret it. */
  contentType?: string;
}

/** PUBLISH: an application message, in either direction. */
export interface PublishPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'publish';
  /** May be empty on MQTT 5 when `properties.topicAlias` names the topic. */
  topic: string;
  /** The payload bytes (may be empty). */
  payload: Uint8Array;
  /** Delivery guarantee of this transmission. */
  qos: QoS;
  /**
   * Set by a publisher: the broker keeps the message as the topic's last known value (an empty retained payload
   * clears it). Set by the broker: the message is a retained one sent at subscribe time.
   */
  retain: boolean;
  /** Set on a QoS 1/2 resend: this packet id may have been sent before. */
  dup: boolean;
  /** Present exactly when qos > 0. */
  packetId?: number;
  /** MQTT 5 PUBLISH properties; refused on older protocol levels. */
  properties?: PublishProperties;
}

/** Reason string and user properties: all that PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK carry. */
export type AckProperties = WithReason;

/** PUBACK: acknowledges a QoS 1 PUBLISH. */
export interface PubackPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'puback';
  /** The packet identifier of the PUBLISH acknowledged. */
  packetId: number;
  /**
   * MQTT 5: 0 success, 0x10 no matching subscribers, >= 0x80 failure. Decoded MQTT 5 acks always carry it (0
   * when the wire left it out); absent on older levels.
   */
  reasonCode?: number;
  /** MQTT 5 reason string and user properties. */
  properties?: AckProperties;
}
/** PUBREC: first answer to a QoS 2 PUBLISH ("received"); the sender then sends PUBREL. */
export interface PubrecPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'pubrec';
  /** The packet identifier of the PUBLISH acknowledged. */
  packetId: number;
  /**
   * MQTT 5: 0 success, 0x10 no matching subscribers, >= 0x80 failure (the QoS 2 flow ends there). Decoded MQTT 5
   * acks always carry it; absent on older levels.
   */
  reasonCode?: number;
  /** MQTT 5 reason string and user properties. */
  properties?: AckProperties;
}
/** PUBREL: second step of QoS 2 ("release"); the receiver may now forget the packet id after PUBCOMP. */
export interface PubrelPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'pubrel';
  /** The packet identifier of the QoS 2 flow. */
  packetId: number;
  /**
   * MQTT 5: 0 success or 0x92 packet identifier not found. Decoded MQTT 5 acks always carry it; absent on older
   * levels.
   */
  reasonCode?: number;
  /** MQTT 5 reason string and user properties. */
  properties?: AckProperties;
}
/** PUBCOMP: last step of QoS 2 ("complete"); the flow and its packet id are done. */
export interface PubcompPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'pubcomp';
  /** The packet identifier of the QoS 2 flow. */
  packetId: number;
  /**
   * MQTT 5: 0 success or 0x92 packet identifier not found. Decoded MQTT 5 acks always carry it; absent on older
   * levels.
   */
  reasonCode?: number;
  /** MQTT 5 reason string and user properties. */
  properties?: AckProperties;
}

/** 0: send retained messages at subscribe; 1: only if the subscription is new; 2: never. */
export type RetainHandling = 0 | 1 | 2;

/**
 * One topic filter of a SUBSCRIBE packet with its options. Exported as `Subscription` by `mqttkit/codec` only:
 * the main entry's `Subscription` is the client's async iterable of messages.
 */
export interface Subscription {
  /** The filter, with `+` / `#` wildcards or a `$share/group/` prefix. */
  topicFilter: string;
  /** Highest QoS the broker should deliver matching messages with. */
  qos: QoS;
  /** MQTT 5: do not receive messages this client published. */
  noLocal?: boolean;
  /** MQTT 5: keep the RETAIN flag as published instead of clearing it. */
  retainAsPublished?: boolean;
  /** MQTT 5: when the broker sends retained messages for this filter (default 0, at every subscribe). */
  retainHandling?: RetainHandling;
}

/** MQTT 5 SUBSCRIBE properties. */
export interface SubscribeProperties extends WithUserProperties {
  /**
   * A number (1..268 435 455) the broker copies into every message this subscription delivers, so the receiver
   * knows which subscription matched. The client sets one per subscription itself when the broker supports them.
   */
  subscriptionIdentifier?: number;
}

/** SUBSCRIBE: asks for messages on one or more topic filters. */
export interface SubscribePacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'subscribe';
  /** Identifier the SUBACK answers with (1..65535). */
  packetId: number;
  /** The filters asked for, in order (at least one). */
  subscriptions: Subscription[];
  /** MQTT 5 SUBSCRIBE properties; refused on older protocol levels. */
  properties?: SubscribeProperties;
}

/** SUBACK: the broker's answer to SUBSCRIBE, one reason code per filter. */
export interface SubackPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'suback';
  /** The packet identifier of the SUBSCRIBE answered. */
  packetId: number;
  /** One per requested filter: the granted QoS (0..2) or a failure code (>= 0x80). */
  reasonCodes: number[];
  /** MQTT 5 reason string and user properties. */
  properties?: AckProperties;
}

/**
 * UNSUBSCRIBE: removes one or more subscriptions (filters must match the subscribed ones character for
 * character).
 */
export interface UnsubscribePacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'unsubscribe';
  /** Identifier the UNSUBACK answers with (1..65535). */
  packetId: number;
  /** The filters to remove, exactly as subscribed. */
  topicFilters: string[];
  /** MQTT 5 user properties; refused on older protocol levels. */
  properties?: WithUserProperties;
}

/** UNSUBACK: the broker's answer to UNSUBSCRIBE. */
export interface UnsubackPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'unsuback';
  /** The packet identifier of the UNSUBSCRIBE answered. */
  packetId: number;
  /** MQTT 5 only: one per filter. */
  reasonCodes?: number[];
  /** MQTT 5 reason string and user properties. */
  properties?: AckProperties;
}

/** PINGREQ: the client's keep-alive probe when it has sent nothing else for a while. */
export interface PingreqPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'pingreq';
}
/** PINGRESP: the broker's answer to PINGREQ; a missing one means the link is dead. */
export interface PingrespPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'pingresp';
}

/** MQTT 5 DISCONNECT properties (§3.14.2.2). */
export interface DisconnectProperties extends WithReason {
  /** Client to broker only: a new session expiry in seconds (not allowed when CONNECT set 0). */
  sessionExpiryInterval?: number;
  /** Broker to client only: another broker to use (with reason 0x9c or 0x9d). */
  serverReference?: string;
}

/** DISCONNECT: the graceful end of a connection, in either direction (broker to client on MQTT 5 only). */
export interface DisconnectPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'disconnect';
  /** MQTT 5 only. */
  reasonCode?: number;
  /** MQTT 5 DISCONNECT properties. */
  properties?: DisconnectProperties;
}

/** MQTT 5 AUTH properties (§3.15.2.2): one step of enhanced authentication. */
export interface AuthProperties extends WithReason {
  /** The enhanced authentication method, the same as in CONNECT. */
  authenticationMethod?: string;
  /** The method's data for this step (a challenge or an answer). */
  authenticationData?: Uint8Array;
}

/** AUTH (MQTT 5 only): a step of enhanced authentication (challenge/response), in either direction. */
export interface AuthPacket {
  /** Discriminant of the {@link Packet} union. */
  type: 'auth';
  /** 0 success, 0x18 continue authentication, 0x19 re-authenticate. Absent on the wire means success. */
  reasonCode?: number;
  /** Method and data of this authentication step. */
  properties?: AuthProperties;
}

/** Any MQTT control packet: switch on `type` to narrow it. What {@link encode} takes and {@link Decoder} returns. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The `type` of every packet: `'connect'`, `'connack'`, `'publish'`, ... `'auth'`. */
export type PacketType = Packet['type'];

/**
 * The intersection of every MQTT 5 property type: an object that may hold any property of any packet (for code
 * that handles properties generically, like a logger).
 */
export type AnyProperties = ConnectProperties &
  ConnackProperties &
  WillProperties &
  PublishProperties &
  SubscribeProperties &
  DisconnectProperties &
  AuthProperties;

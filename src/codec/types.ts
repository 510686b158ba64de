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

export type QoS = 0 | 1 | 2;

/** A user property: an ordered, repeatable name/value pair (MQTT 5 §3.1.2.11.8). */
export type UserProperty = readonly [name: string, value: string];

interface WithUserProperties {
  userProperties?: UserProperty[];
}

interface WithReason extends WithUserProperties {
  reasonString?: string;
}

/** MQTT 5 §3.1.2.11 */
export interface ConnectProperties extends WithUserProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

/** MQTT 5 §3.1.3.2 */
export interface WillProperties extends WithUserProperties {
  willDelayInterval?: number;
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
}

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: WillProperties;
}

export interface ConnectPacket {
  type: 'connect';
  /** Set by the decoder from the wire; the encoder writes the version it is given. */
  protocolVersion?: ProtocolVersion;
  clientId: string;
  /** Clean Session (3.1, 3.1.1) or Clean Start (5.0). */
  clean: boolean;
  /** Seconds; 0 turns keep alive off. */
  keepAlive: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  properties?: ConnectProperties;
}

/** MQTT 5 §3.2.2.3 */
export interface ConnackProperties extends WithReason {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumQoS?: 0 | 1;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  assignedClientIdentifier?: string;
  topicAliasMaximum?: number;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;
  responseInformation?: string;
  serverReference?: string;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  /** MQTT 5 reason code, or the 3.1/3.1.1 return code (0 accepted .. 5 not authorized). */
  reasonCode: number;
  properties?: ConnackProperties;
}

/** MQTT 5 §3.3.2.3 */
export interface PublishProperties extends WithUserProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  topicAlias?: number;
  responseTopic?: string;
  correlationData?: Uint8Array;
  /** Repeatable: one per matching subscription (server to client only). */
  subscriptionIdentifiers?: number[];
  contentType?: string;
}

export interface PublishPacket {
  type: 'publish';
  /** May be empty on MQTT 5 when `properties.topicAlias` names the topic. */
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present exactly when qos > 0. */
  packetId?: number;
  properties?: PublishProperties;
}

/** Reason string and user properties: all that PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK carry. */
export type AckProperties = WithReason;

export interface PubackPacket {
  type: 'puback';
  packetId: number;
  reasonCode?: number;
  properties?: AckProperties;
}
export interface PubrecPacket {
  type: 'pubrec';
  packetId: number;
  reasonCode?: number;
  properties?: AckProperties;
}
export interface PubrelPacket {
  type: 'pubrel';
  packetId: number;
  reasonCode?: number;
  properties?: AckProperties;
}
export interface PubcompPacket {
  type: 'pubcomp';
  packetId: number;
  reasonCode?: number;
  properties?: AckProperties;
}

/** 0: send retained messages at subscribe; 1: only if the subscription is new; 2: never. */
export type RetainHandling = 0 | 1 | 2;

export interface Subscription {
  topicFilter: string;
  qos: QoS;
  /** MQTT 5: do not receive messages this client published. */
  noLocal?: boolean;
  /** MQTT 5: keep the RETAIN flag as published instead of clearing it. */
  retainAsPublished?: boolean;
  retainHandling?: RetainHandling;
}

export interface SubscribeProperties extends WithUserProperties {
  subscriptionIdentifier?: number;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: Subscription[];
  properties?: SubscribeProperties;
}

export interface SubackPacket {
  type: 'suback';
  packetId: number;
  /** One per requested filter: the granted QoS (0..2) or a failure code (>= 0x80). */
  reasonCodes: number[];
  properties?: AckProperties;
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  topicFilters: string[];
  properties?: WithUserProperties;
}

export interface UnsubackPacket {
  type: 'unsuback';
  packetId: number;
  /** MQTT 5 only: one per filter. */
  reasonCodes?: number[];
  properties?: AckProperties;
}

export interface PingreqPacket {
  type: 'pingreq';
}
export interface PingrespPacket {
  type: 'pingresp';
}

/** MQTT 5 §3.14.2.2 */
export interface DisconnectProperties extends WithReason {
  sessionExpiryInterval?: number;
  serverReference?: string;
}

export interface DisconnectPacket {
  type: 'disconnect';
  /** MQTT 5 only. */
  reasonCode?: number;
  properties?: DisconnectProperties;
}

/** MQTT 5 §3.15.2.2 */
export interface AuthProperties extends WithReason {
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

/** MQTT 5 only. */
export interface AuthPacket {
  type: 'auth';
  reasonCode?: number;
  properties?: AuthProperties;
}

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

export type PacketType = Packet['type'];

/** The union of every MQTT 5 property, as a packet's `properties` object may hold them. */
export type AnyProperties = ConnectProperties &
  ConnackProperties &
  WillProperties &
  PublishProperties &
  SubscribeProperties &
  DisconnectProperties &
  AuthProperties;

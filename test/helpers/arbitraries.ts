/**
 * fast-check arbitraries for VALID MQTT packets of every type, per protocol
 * level (3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0).
 *
 * Every packet is generated in the codec's canonical decoded form (see the
 * header comment of src/codec/types.ts): optional fields the wire would not
 * carry are absent (never `undefined`), `properties` is absent rather than
 * empty, MQTT 5 acks always carry `reasonCode`, a decoded CONNECT carries
 * `protocolVersion`, and MQTT 5 subscriptions carry all three options. So for
 * every generated `p`, `decode(encode(p, v), v)` must deep-equal `p`.
 *
 * The valid reason codes are written out here from MQTT 5.0 §2.4 (Table 2-6)
 * and the 3.1/3.1.1 return-code tables, independently of
 * src/codec/reason-codes.ts, so that the tests check the codec against the
 * specification rather than against itself.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect } from 'vitest';
import type {
  AckProperties,
  AuthPacket,
  AuthProperties,
  ConnackPacket,
  ConnackProperties,
  ConnectPacket,
  ConnectProperties,
  DisconnectPacket,
  DisconnectProperties,
  Packet,
  PacketType,
  PingreqPacket,
  PingrespPacket,
  ProtocolVersion,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PublishProperties,
  PubrecPacket,
  PubrelPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  SubscribeProperties,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
  UserProperty,
  Will,
  WillProperties,
} from '../../src/codec/types.js';

export interface PacketArbOptions {
  /**
   * Generate user property names that are unique within each properties
   * object and never look like an array index ("0", "17"): the subset that a
   * JavaScript object keyed by name (mqtt-packet's representation) keeps
   * intact and in order. Default: names repeat freely (MQTT 5 allows it).
   */
  uniqueUserPropertyNames?: boolean;
  /** Include payloads above 16 KiB (a 3-byte Remaining Length). Default true. */
  largePayloads?: boolean;
}

/**
 * Caps each fast-check property in the calling test file at `ms` (default 10 s), shrinking
 * included: a failure is still reported (with the counterexample shrunk so far), a slow
 * passing run just stops early. Keeps a regression from turning the suite into a long wait.
 */
export function capPropertyTime(ms = 10_000): void {
  fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: ms });
}

export const ALL_PACKET_TYPES: readonly PacketType[] = [
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
];

/** The packet types protocol level `v` has (AUTH is MQTT 5 only). */
export function packetTypesFor(v: ProtocolVersion): PacketType[] {
  return ALL_PACKET_TYPES.filter((t) => v === 5 || t !== 'auth');
}

// ---------------------------------------------------------------------------
// Reason codes: MQTT 5.0 §2.4, Table 2-6 (and §3.2.2.2, §3.4.2.1, ... per packet)
// ---------------------------------------------------------------------------

export const V5_REASON_CODES = {
  connack: [
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
  ],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
    0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
  auth: [0x00, 0x18, 0x19],
} as const satisfies Record<string, readonly number[]>;

/** MQTT 3.1 / 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3). */
export const V3_CONNACK_RETURN_CODES = [0, 1, 2, 3, 4, 5] as const;
/** MQTT 3.1 / 3.1.1 SUBACK return codes (3.1.1 §3.9.3). */
export const V3_SUBACK_RETURN_CODES = [0x00, 0x01, 0x02, 0x80] as const;

// ---------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------

const encoder = new TextEncoder();

export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/** Characters that exercise every UTF-8 length and the edges of the ranges. */
const SPECIAL_CHARS = [
  'é',
  'ß',
  'ü',
  '\u0080',
  '\u07ff',
  '\u0800',
  '中',
  '€',
  '\ud7ff',
  '\ue000',
  '\ufeff', // BOM: must survive as U+FEFF, never be stripped ([MQTT-1.5.4-3])
  '\ufffd',
  '\uffff',
  '😀',
  '𝄞',
  '\u{10000}',
  '\u{10ffff}',
  '\u0001',
  '\u001f',
  '\u007f',
  ' ',
  '$',
  '/',
  '+',
  '#',
];

/** One Unicode scalar value other than U+0000 (surrogate halves never appear alone). */
function charArb(exclude: string): fc.Arbitrary<string> {
  const ok = (c: string) => c !== '\0' && !exclude.includes(c);
  return fc
    .oneof(
      { weight: 10, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
      { weight: 2, arbitrary: fc.integer({ min: 0x01, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xffff }).map((c) => String.fromCharCode(c)) },
      { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
      { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
    )
    .filter(ok);
}

/**
 * Well-formed UTF-8 strings without U+0000 ([MQTT-1.5.4-1], [MQTT-1.5.4-2]):
 * mostly short, sometimes long enough to leave the codec's short-string paths
 * (over 32 bytes / 64 UTF-16 units).
 */
export function utf8String(options: { exclude?: string; minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  const unit = charArb(options.exclude ?? '');
  const minLength = options.minLength ?? 0;
  const maxLength = options.maxLength ?? 120;
  const shortMax = Math.max(minLength, Math.min(maxLength, 12));
  const arbs: fc.WeightedArbitrary<string>[] = [{ weight: 6, arbitrary: fc.string({ unit, minLength, maxLength: shortMax }) }];
  if (maxLength > shortMax) {
    arbs.push({ weight: 1, arbitrary: fc.string({ unit, minLength: Math.max(minLength, Math.min(30, shortMax + 1)), maxLength }) });
  }
  return fc.oneof(...arbs);
}

/** A string that is one level of a topic: no '/', '+', '#'. May be empty. */
const topicLevel = utf8String({ exclude: '/+#', maxLength: 40 });

/** Valid topic names (§4.7): non-empty, no wildcards; empty levels allowed. */
export const topicName: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 6, arbitrary: fc.array(topicLevel, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/')) },
    { weight: 1, arbitrary: fc.array(topicLevel, { minLength: 1, maxLength: 3 }).map((levels) => `$SYS/${levels.join('/')}`) },
    { weight: 1, arbitrary: fc.constantFrom('a', '/', '//', 'a/b/c', '/leading', 'trailing/', 'sport/tennis/player1', '😀/中/é') },
  )
  .filter((t) => t.length > 0);

/** A plain (non-shared) valid topic filter (§4.7.1): '+' fills a level, '#' only as the whole last level. */
const plainTopicFilter: fc.Arbitrary<string> = fc
  .oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.array(fc.oneof({ weight: 3, arbitrary: topicLevel }, { weight: 1, arbitrary: fc.constant('+') }), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.boolean(),
        )
        .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/')),
    },
    { weight: 1, arbitrary: fc.constantFrom('#', '+', '+/+', '/#', '+/#', 'a/+/b/#', '$SYS/#', 'sport/+/player1', '😀/+/#') },
  )
  .filter((f) => f.length > 0);

/** A shared subscription filter, `$share/{ShareName}/{filter}` (MQTT 5 §4.8.2). */
const sharedTopicFilter: fc.Arbitrary<string> = fc
  .tuple(utf8String({ exclude: '/+#', minLength: 1, maxLength: 12 }), plainTopicFilter)
  .map(([name, filter]) => `$share/${name}/${filter}`);

/** Valid topic filters; shared subscriptions on MQTT 5 only. */
export function topicFilter(v: ProtocolVersion): fc.Arbitrary<string> {
  if (v !== 5) return plainTopicFilter;
  return fc.oneof({ weight: 5, arbitrary: plainTopicFilter }, { weight: 1, arbitrary: sharedTopicFilter });
}

export const packetId: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 127, 128, 255, 256, 0x7fff, 0x8000, 65_534, 65_535) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 65_535 }) },
);

export const qos: fc.Arbitrary<QoS> = fc.constantFrom(0, 1, 2);

const u16 = fc.oneof(fc.constantFrom(0, 1, 255, 256, 65_535), fc.integer({ min: 0, max: 65_535 }));
const u16NonZero = fc.oneof(fc.constantFrom(1, 255, 256, 65_535), fc.integer({ min: 1, max: 65_535 }));
const u32Any = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => n >>> 0);
const u32 = fc.oneof(fc.constantFrom(0, 1, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff), u32Any);
const u32NonZero = u32.filter((n) => n !== 0);
/** Variable Byte Integer values 1..268,435,455, biased to the encoding-length boundaries. */
const varintNonZero = fc.oneof(
  fc.constantFrom(1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455),
  fc.integer({ min: 1, max: 268_435_455 }),
);

const smallBinary = fc.uint8Array({ maxLength: 40 });

/** Application payloads: empty, small, across the 1- and 2-byte length boundary, and optionally > 16 KiB. */
export function payload(large = true): fc.Arbitrary<Uint8Array> {
  const arbs: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 10, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.noShrink(fc.uint8Array({ minLength: 100, maxLength: 400 })) },
  ];
  // Not shrunk: fast-check would remove one byte per step, tens of thousands of steps for one failure.
  if (large) arbs.push({ weight: 1, arbitrary: fc.noShrink(fc.uint8Array({ minLength: 16_300, maxLength: 16_500 })) });
  return fc.oneof(...arbs);
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Ordered user properties, at least one (an empty list is the same as none on the wire). */
export function userProperties(unique: boolean): fc.Arbitrary<UserProperty[]> {
  if (unique) {
    const name = utf8String({ maxLength: 20 }).filter((n) => !ARRAY_INDEX.test(n));
    return fc.uniqueArray(fc.tuple(name, utf8String({ maxLength: 30 })), {
      minLength: 1,
      maxLength: 5,
      selector: (pair) => pair[0],
    });
  }
  // A small pool of names makes repeats (same name, several values) common.
  const name = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'key', 'é') },
    { weight: 3, arbitrary: utf8String({ maxLength: 20 }) },
  );
  return fc.array(fc.tuple(name, utf8String({ maxLength: 30 })), { minLength: 1, maxLength: 6 });
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/** Removes keys whose value is undefined, so optional fields are absent. */
function compact<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
  return obj;
}

/** A properties object with any subset of `model`'s properties; `undefined` when the subset is empty. */
function optionalProps<T extends object>(model: { [K in keyof T]-?: fc.Arbitrary<T[K]> }): fc.Arbitrary<T | undefined> {
  const some = fc
    .record(model as { [K in keyof T]: fc.Arbitrary<T[K]> }, { requiredKeys: [], noNullPrototype: true })
    .map((props) => compact({ ...props }) as T);
  return fc
    .oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: some })
    .map((props) => (props === undefined || Object.keys(props).length === 0 ? undefined : props));
}

/** [MQTT-3.1.2-?] / §3.2.2.3.17: Authentication Data without an Authentication Method is a protocol error. */
function dropOrphanAuthData<T extends { authenticationMethod?: string; authenticationData?: Uint8Array }>(
  props: T | undefined,
): T | undefined {
  if (props === undefined || props.authenticationMethod !== undefined || props.authenticationData === undefined) return props;
  const { authenticationData: _, ...rest } = props;
  return Object.keys(rest).length === 0 ? undefined : (rest as T);
}

function connectProperties(o: Required<PacketArbOptions>): fc.Arbitrary<ConnectProperties | undefined> {
  return optionalProps<ConnectProperties>({
    sessionExpiryInterval: u32,
    receiveMaximum: u16NonZero,
    maximumPacketSize: u32NonZero,
    topicAliasMaximum: u16,
    requestResponseInformation: fc.boolean(),
    requestProblemInformation: fc.boolean(),
    userProperties: userProperties(o.uniqueUserPropertyNames),
    authenticationMethod: utf8String({ maxLength: 30 }),
    authenticationData: smallBinary,
  }).map(dropOrphanAuthData);
}

/** Will properties; a UTF-8 payload is generated whenever the payload format indicator says UTF-8. */
function willProperties(o: Required<PacketArbOptions>): fc.Arbitrary<WillProperties | undefined> {
  return optionalProps<WillProperties>({
    willDelayInterval: u32,
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: u32,
    contentType: utf8String({ maxLength: 30 }),
    responseTopic: topicName,
    correlationData: smallBinary,
    userProperties: userProperties(o.uniqueUserPropertyNames),
  });
}

function connackProperties(o: Required<PacketArbOptions>): fc.Arbitrary<ConnackProperties | undefined> {
  return optionalProps<ConnackProperties>({
    sessionExpiryInterval: u32,
    receiveMaximum: u16NonZero,
    maximumQoS: fc.constantFrom(0, 1),
    retainAvailable: fc.boolean(),
    maximumPacketSize: u32NonZero,
    assignedClientIdentifier: utf8String({ maxLength: 30 }),
    topicAliasMaximum: u16,
    reasonString: utf8String(),
    userProperties: userProperties(o.uniqueUserPropertyNames),
    wildcardSubscriptionAvailable: fc.boolean(),
    subscriptionIdentifiersAvailable: fc.boolean(),
    sharedSubscriptionAvailable: fc.boolean(),
    serverKeepAlive: u16,
    responseInformation: utf8String({ maxLength: 30 }),
    serverReference: utf8String({ maxLength: 30 }),
    authenticationMethod: utf8String({ maxLength: 30 }),
    authenticationData: smallBinary,
  }).map(dropOrphanAuthData);
}

function publishProperties(o: Required<PacketArbOptions>): fc.Arbitrary<PublishProperties | undefined> {
  return optionalProps<PublishProperties>({
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: u32,
    topicAlias: u16NonZero,
    responseTopic: topicName,
    correlationData: smallBinary,
    userProperties: userProperties(o.uniqueUserPropertyNames),
    subscriptionIdentifiers: fc.array(varintNonZero, { minLength: 1, maxLength: 4 }),
    contentType: utf8String({ maxLength: 30 }),
  });
}

function ackProperties(o: Required<PacketArbOptions>): fc.Arbitrary<AckProperties | undefined> {
  return optionalProps<AckProperties>({
    reasonString: utf8String(),
    userProperties: userProperties(o.uniqueUserPropertyNames),
  });
}

function subscribeProperties(o: Required<PacketArbOptions>): fc.Arbitrary<SubscribeProperties | undefined> {
  return optionalProps<SubscribeProperties>({
    subscriptionIdentifier: varintNonZero,
    userProperties: userProperties(o.uniqueUserPropertyNames),
  });
}

function unsubscribeProperties(o: Required<PacketArbOptions>): fc.Arbitrary<{ userProperties?: UserProperty[] } | undefined> {
  return optionalProps<{ userProperties?: UserProperty[] }>({ userProperties: userProperties(o.uniqueUserPropertyNames) });
}

function disconnectProperties(o: Required<PacketArbOptions>): fc.Arbitrary<DisconnectProperties | undefined> {
  return optionalProps<DisconnectProperties>({
    sessionExpiryInterval: u32,
    reasonString: utf8String(),
    userProperties: userProperties(o.uniqueUserPropertyNames),
    serverReference: utf8String({ maxLength: 30 }),
  });
}

/** AUTH properties: when present they name the Authentication Method (§3.15.2.2.2). */
function authProperties(o: Required<PacketArbOptions>): fc.Arbitrary<AuthProperties | undefined> {
  const rest = optionalProps<Omit<AuthProperties, 'authenticationMethod'>>({
    authenticationData: smallBinary,
    reasonString: utf8String(),
    userProperties: userProperties(o.uniqueUserPropertyNames),
  });
  return fc.option(
    fc
      .tuple(utf8String({ maxLength: 30 }), rest)
      .map(([authenticationMethod, more]): AuthProperties => ({ authenticationMethod, ...more })),
    { nil: undefined },
  );
}

/** A payload that is well-formed UTF-8 when the Payload Format Indicator says so (§3.3.2.3.2). */
function payloadFor(props: { payloadFormatIndicator?: boolean } | undefined, large: boolean): fc.Arbitrary<Uint8Array> {
  if (props?.payloadFormatIndicator === true) return utf8String().map((s) => encoder.encode(s));
  return payload(large);
}

// ---------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------

function connectArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<ConnectPacket> {
  // MQTT 3.1 §3.1: the client id is 1 to 23 bytes. 3.1.1 and 5.0 allow an empty one.
  const clientId =
    v === 3
      ? utf8String({ minLength: 1, maxLength: 23 }).filter((s) => {
          const n = utf8Length(s);
          return n >= 1 && n <= 23;
        })
      : fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 5, arbitrary: utf8String({ maxLength: 40 }) });
  const will: fc.Arbitrary<Will | undefined> = fc.option(
    fc
      .record(
        { topic: topicName, qos, retain: fc.boolean(), properties: v === 5 ? willProperties(o) : fc.constant(undefined) },
        { noNullPrototype: true },
      )
      .chain((w) => payloadFor(w.properties, false).map((p): Will => compact({ ...w, payload: p }))),
    { nil: undefined, freq: 2 },
  );
  return fc
    .record(
      {
        clientId,
        clean: fc.boolean(),
        keepAlive: u16,
        username: fc.option(utf8String({ maxLength: 30 }), { nil: undefined }),
        password: fc.option(smallBinary, { nil: undefined }),
        will,
        properties: v === 5 ? connectProperties(o) : fc.constant(undefined),
      },
      { noNullPrototype: true },
    )
    .map((r) => {
      const p: ConnectPacket = compact({ type: 'connect', protocolVersion: v, ...r });
      // [MQTT-3.1.3-7] 3.1.1: an empty client id needs Clean Session.
      if (v === 4 && p.clientId === '') p.clean = true;
      // [MQTT-3.1.2-22] before MQTT 5 a password needs a user name.
      if (v !== 5 && p.password !== undefined && p.username === undefined) delete p.password;
      return p;
    });
}

function connackArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<ConnackPacket> {
  const codes: readonly number[] = v === 5 ? V5_REASON_CODES.connack : V3_CONNACK_RETURN_CODES;
  return fc
    .record(
      {
        sessionPresent: fc.boolean(),
        reasonCode: fc.oneof(fc.constant(0), fc.constantFrom(...codes)),
        properties: v === 5 ? connackProperties(o) : fc.constant(undefined),
      },
      { noNullPrototype: true },
    )
    .map((r) => {
      const p: ConnackPacket = compact({ type: 'connack', ...r });
      // 3.1 has no Session Present flag; a refusal never reports a session ([MQTT-3.2.2-4], [MQTT-3.2.2-6]).
      if (v === 3 || p.reasonCode !== 0) p.sessionPresent = false;
      return p;
    });
}

function publishArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<PublishPacket> {
  return fc
    .record(
      {
        topic: topicName,
        qos,
        retain: fc.boolean(),
        dup: fc.boolean(),
        packetId,
        properties: v === 5 ? publishProperties(o) : fc.constant(undefined),
        emptyTopic: fc.boolean(),
      },
      { noNullPrototype: true },
    )
    .chain(({ emptyTopic, ...r }) =>
      payloadFor(r.properties, o.largePayloads).map((body) => {
        const p: PublishPacket = compact({
          type: 'publish',
          topic: r.topic,
          payload: body,
          qos: r.qos,
          retain: r.retain,
          // [MQTT-3.3.1-2] DUP is 0 for QoS 0.
          dup: r.qos === 0 ? false : r.dup,
          // Present exactly when QoS > 0 ([MQTT-2.2.1-2]).
          packetId: r.qos === 0 ? undefined : r.packetId,
          properties: r.properties,
        });
        // MQTT 5: a zero-length topic name is allowed when a Topic Alias names the topic (§3.3.2.3.4).
        if (v === 5 && emptyTopic && p.properties?.topicAlias !== undefined) p.topic = '';
        return p;
      }),
    );
}

type PubAckPacket = PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket;

function pubAckArb(type: PubAckPacket['type'], v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<PubAckPacket> {
  if (v !== 5) return packetId.map((id) => ({ type, packetId: id }) as PubAckPacket);
  return fc
    .record(
      { packetId, reasonCode: fc.oneof(fc.constant(0), fc.constantFrom(...V5_REASON_CODES[type])), properties: ackProperties(o) },
      { noNullPrototype: true },
    )
    .map((r) => compact({ type, ...r }) as PubAckPacket);
}

function subscriptionArb(v: ProtocolVersion): fc.Arbitrary<Subscription> {
  if (v !== 5) return fc.record({ topicFilter: topicFilter(v), qos }, { noNullPrototype: true });
  return fc
    .record(
      {
        topicFilter: topicFilter(v),
        qos,
        noLocal: fc.boolean(),
        retainAsPublished: fc.boolean(),
        retainHandling: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
      },
      { noNullPrototype: true },
    )
    .map((s) => {
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
      if (s.topicFilter.startsWith('$share/')) s.noLocal = false;
      return s;
    });
}

function subscribeArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<SubscribePacket> {
  return fc
    .record(
      {
        packetId,
        subscriptions: fc.array(subscriptionArb(v), { minLength: 1, maxLength: 5 }),
        properties: v === 5 ? subscribeProperties(o) : fc.constant(undefined),
      },
      { noNullPrototype: true },
    )
    .map((r) => compact({ type: 'subscribe', ...r }));
}

function subackArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<SubackPacket> {
  const codes: readonly number[] = v === 5 ? V5_REASON_CODES.suback : V3_SUBACK_RETURN_CODES;
  return fc
    .record(
      {
        packetId,
        reasonCodes: fc.array(fc.constantFrom(...codes), { minLength: 1, maxLength: 6 }),
        properties: v === 5 ? ackProperties(o) : fc.constant(undefined),
      },
      { noNullPrototype: true },
    )
    .map((r) => compact({ type: 'suback', ...r }));
}

function unsubscribeArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<UnsubscribePacket> {
  return fc
    .record(
      {
        packetId,
        topicFilters: fc.array(topicFilter(v), { minLength: 1, maxLength: 5 }),
        properties: v === 5 ? unsubscribeProperties(o) : fc.constant(undefined),
      },
      { noNullPrototype: true },
    )
    .map((r) => compact({ type: 'unsubscribe', ...r }));
}

function unsubackArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<UnsubackPacket> {
  if (v !== 5) return packetId.map((id) => ({ type: 'unsuback', packetId: id }));
  return fc
    .record(
      {
        packetId,
        reasonCodes: fc.array(fc.constantFrom(...V5_REASON_CODES.unsuback), { minLength: 1, maxLength: 6 }),
        properties: ackProperties(o),
      },
      { noNullPrototype: true },
    )
    .map((r) => compact({ type: 'unsuback', ...r }));
}

function disconnectArb(v: ProtocolVersion, o: Required<PacketArbOptions>): fc.Arbitrary<DisconnectPacket> {
  if (v !== 5) return fc.constant({ type: 'disconnect' });
  return fc
    .record(
      { reasonCode: fc.oneof(fc.constant(0), fc.constantFrom(...V5_REASON_CODES.disconnect)), properties: disconnectProperties(o) },
      { noNullPrototype: true },
    )
    .map((r) => compact({ type: 'disconnect', ...r }));
}

function authArb(o: Required<PacketArbOptions>): fc.Arbitrary<AuthPacket> {
  return fc
    .record({ reasonCode: fc.constantFrom(...V5_REASON_CODES.auth), properties: authProperties(o) }, { noNullPrototype: true })
    .map((r) => compact({ type: 'auth', ...r }));
}

/** One arbitrary per packet type that protocol level `v` has. */
export function packetArbsByType(v: ProtocolVersion, options: PacketArbOptions = {}): Partial<Record<PacketType, fc.Arbitrary<Packet>>> {
  const o: Required<PacketArbOptions> = {
    uniqueUserPropertyNames: options.uniqueUserPropertyNames ?? false,
    largePayloads: options.largePayloads ?? true,
  };
  const arbs: Partial<Record<PacketType, fc.Arbitrary<Packet>>> = {
    connect: connectArb(v, o),
    connack: connackArb(v, o),
    publish: publishArb(v, o),
    puback: pubAckArb('puback', v, o),
    pubrec: pubAckArb('pubrec', v, o),
    pubrel: pubAckArb('pubrel', v, o),
    pubcomp: pubAckArb('pubcomp', v, o),
    subscribe: subscribeArb(v, o),
    suback: subackArb(v, o),
    unsubscribe: unsubscribeArb(v, o),
    unsuback: unsubackArb(v, o),
    pingreq: fc.constant<PingreqPacket>({ type: 'pingreq' }),
    pingresp: fc.constant<PingrespPacket>({ type: 'pingresp' }),
    disconnect: disconnectArb(v, o),
  };
  if (v === 5) arbs.auth = authArb(o);
  return arbs;
}

/** The arbitrary for one packet type (throws for AUTH before MQTT 5). */
export function packetArbFor(type: PacketType, v: ProtocolVersion, options: PacketArbOptions = {}): fc.Arbitrary<Packet> {
  const arb = packetArbsByType(v, options)[type];
  if (arb === undefined) throw new Error(`no ${type} packets at protocol level ${v}`);
  return arb;
}

/** Any valid packet of protocol level `v`; PUBLISH weighted up as the packet that matters most. */
export function packetArb(v: ProtocolVersion, options: PacketArbOptions = {}): fc.Arbitrary<Packet> {
  const byType = packetArbsByType(v, options);
  return fc.oneof(
    ...packetTypesFor(v).map((t) => ({
      weight: t === 'publish' ? 4 : t === 'connect' ? 2 : 1,
      arbitrary: byType[t] as fc.Arbitrary<Packet>,
    })),
  );
}

/** A stream of packets for one connection. A CONNECT in it names the same level, so the decoder stays on `v`. */
export function packetStreamArb(v: ProtocolVersion, options: PacketArbOptions & { maxLength?: number } = {}): fc.Arbitrary<Packet[]> {
  return fc.array(packetArb(v, options), { minLength: 1, maxLength: options.maxLength ?? 8 });
}

/** A short stand-in for a byte array in failure messages: class, length, bytes (abridged past 64). */
function summarizeBytes(b: Uint8Array): string {
  const hex = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  if (b.length <= 64) return `${b.constructor.name}(${b.length}) ${hex}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return `${b.constructor.name}(${b.length}) ${hex.slice(0, 64)}...${hex.slice(-16)} fnv1a:${(h >>> 0).toString(16)}`;
}

/** `value` with every byte array replaced by its summary, for a readable and fast diff. */
export function summarize(value: unknown): unknown {
  if (value instanceof Uint8Array) return summarizeBytes(value);
  if (Array.isArray(value)) return value.map(summarize);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
    for (const [k, v] of Object.entries(value)) out[k] = summarize(v);
    return out;
  }
  return value;
}

/**
 * Asserts `actual` deep-strict-equals `expected` (absent is not `undefined`, a
 * Buffer is not a plain Uint8Array). Compares with node's isDeepStrictEqual
 * (fast on large payloads) and only on a mismatch builds a diff, with byte
 * arrays summarized: vitest's own diff of a 16 KiB array, repeated for every
 * shrinking step of fast-check, takes minutes.
 */
export function expectSame(actual: unknown, expected: unknown, describe?: string | (() => string)): void {
  if (isDeepStrictEqual(actual, expected)) return;
  let message = typeof describe === 'function' ? describe() : describe;
  if (message !== undefined && message.length > 2000) message = `${message.slice(0, 2000)}... (${message.length} characters)`;
  expect(summarize(actual), message).toStrictEqual(summarize(expected));
  // The summaries matched but the values did not (an abridged difference): fail plainly.
  expect.fail(`${message ?? 'values'} differ in the abridged part of a byte array or in a property that is not enumerable`);
}

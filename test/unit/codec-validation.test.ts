/**
 * Every validation rule of the codec, on both sides where it applies:
 *  - encode(packet, v) of something MQTT forbids throws InvalidArgumentError
 *    naming the field (and carrying a reason code where one describes it);
 *  - decode(bytes, v) of bytes MQTT forbids throws MalformedPacketError with
 *    the MQTT 5 reason code (0x81 malformed, 0x82 protocol error, 0x95 too
 *    large, ...) and the field; the streaming Decoder fed one byte at a time
 *    fails the same way (it never hangs and never throws anything else).
 *
 * All packet bytes are written by hand; `pkt` only prepends a fixed header whose
 * Remaining Length it computes itself (independently of src/).
 */
import { describe, expect, it } from 'vitest';
import { Decoder, decode, encode, encodedSize, encodeInto } from '../../src/codec/index.js';
import type { Packet, ProtocolVersion, PublishPacket, Subscription } from '../../src/codec/types.js';
import { InvalidArgumentError, MalformedPacketError, MqttkitError } from '../../src/errors.js';
import * as publicEntry from '../../src/index.js';
import { spacedHex as hex } from '../helpers/bytes.js';

// ---------------------------------------------------------------------------
// helpers (independent of src/)

function h(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex in test: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A Variable Byte Integer, written here (not by the codec). */
function vbi(n: number): string {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return hex(Uint8Array.from(out));
}

/** A whole packet: first byte, then the Remaining Length of the body, then the body. */
function pkt(byte0: number, ...body: string[]): string {
  const b = h(body.join(' '));
  return `${byte0.toString(16).padStart(2, '0')} ${vbi(b.length)} ${hex(b)}`;
}

/** A UTF-8 string field: two-byte length, then the bytes (platform TextEncoder). */
function str(s: string): string {
  const b = new TextEncoder().encode(s);
  return `${((b.length >> 8) & 0xff).toString(16).padStart(2, '0')} ${(b.length & 0xff).toString(16).padStart(2, '0')} ${hex(b)}`;
}

/** A raw string field from hex bytes (for ill-formed UTF-8). */
function rawStr(bytesHex: string): string {
  const b = h(bytesHex);
  return `${((b.length >> 8) & 0xff).toString(16).padStart(2, '0')} ${(b.length & 0xff).toString(16).padStart(2, '0')} ${hex(b)}`;
}

/** A properties field: Variable Byte Integer length, then the properties. */
function props(...p: string[]): string {
  const b = h(p.join(' '));
  return `${vbi(b.length)} ${hex(b)}`;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const V = [3, 4, 5] as const;

/** encode and encodedSize both refuse `packet` with InvalidArgumentError naming `field`. */
function expectInvalid(packet: unknown, v: ProtocolVersion, field: string, reasonCode?: number): void {
  for (const run of [() => encode(packet as Packet, v), () => encodedSize(packet as Packet, v)]) {
    const err = thrown(run);
    expect(err, `expected InvalidArgumentError for ${field}`).toBeInstanceOf(InvalidArgumentError);
    expect(err).toBeInstanceOf(MqttkitError);
    const e = err as InvalidArgumentError;
    expect(e.field).toBe(field);
    expect(e.code).toBe('MQTTKIT_ERR_INVALID_ARGUMENT');
    if (reasonCode !== undefined) expect(e.reasonCode).toBe(reasonCode);
  }
  // encodeInto refuses too, and writes nothing.
  const target = new Uint8Array(64).fill(0xee);
  expect(() => encodeInto(packet as Packet, v, target, 0)).toThrow(InvalidArgumentError);
  expect(target.every((b) => b === 0xee)).toBe(true);
}

function expectValid(packet: unknown, v: ProtocolVersion): void {
  expect(() => encode(packet as Packet, v)).not.toThrow();
}

const CODE_NAMES: Record<number, string> = {
  129: 'MQTTKIT_ERR_MALFORMED_PACKET',
  130: 'MQTTKIT_ERR_PROTOCOL_ERROR',
  132: 'MQTTKIT_ERR_UNSUPPORTED_PROTOCOL_VERSION',
  133: 'MQTTKIT_ERR_CLIENT_IDENTIFIER_NOT_VALID',
  143: 'MQTTKIT_ERR_TOPIC_FILTER_INVALID',
  144: 'MQTTKIT_ERR_TOPIC_NAME_INVALID',
  148: 'MQTTKIT_ERR_TOPIC_ALIAS_INVALID',
  149: 'MQTTKIT_ERR_PACKET_TOO_LARGE',
};

function checkMalformed(err: unknown, field: string | RegExp, reasonCode: number): void {
  expect(err, `expected MalformedPacketError (${String(field)})`).toBeInstanceOf(MalformedPacketError);
  expect(err).toBeInstanceOf(MqttkitError);
  expect(err).not.toBeInstanceOf(InvalidArgumentError);
  const e = err as MalformedPacketError;
  if (typeof field === 'string') expect(e.field).toBe(field);
  else expect(e.field).toMatch(field);
  expect(e.reasonCode).toBe(reasonCode);
  expect(e.code).toBe(CODE_NAMES[reasonCode]);
}

/**
 * decode(bytes, v) throws MalformedPacketError(field, reasonCode); so does a
 * Decoder fed the bytes one at a time (unless `stream` is false, for rules
 * that only concern a whole buffer handed to decode()).
 */
function expectMalformed(bytes: string, v: ProtocolVersion, field: string | RegExp, reasonCode: number, stream = true): void {
  const data = h(bytes);
  checkMalformed(
    thrown(() => decode(data, v)),
    field,
    reasonCode,
  );
  if (!stream) return;
  const d = new Decoder({ protocolVersion: v });
  let err: unknown;
  const out: Packet[] = [];
  for (let i = 0; i < data.length && err === undefined; i++) {
    err = thrown(() => out.push(...d.push(data.subarray(i, i + 1))));
  }
  expect(out).toEqual([]);
  checkMalformed(err, field, reasonCode);
}

function pub(o: Partial<PublishPacket> = {}): PublishPacket {
  return { type: 'publish', topic: 't', payload: new Uint8Array(0), qos: 0, retain: false, dup: false, ...o };
}

function sub(subscriptions: Subscription[], o: object = {}): Packet {
  return { type: 'subscribe', packetId: 1, subscriptions, ...o } as Packet;
}

function connect(o: object = {}): Packet {
  return { type: 'connect', clientId: 'c', clean: true, keepAlive: 0, ...o } as Packet;
}

/** Head of a CONNECT body for a protocol level: protocol name, level, flags, keep alive 0. */
function connectHead(v: ProtocolVersion, flags: number): string {
  const name = v === 3 ? str('MQIsdp') : str('MQTT');
  return `${name} ${v.toString(16).padStart(2, '0')} ${flags.toString(16).padStart(2, '0')} 00 00`;
}

// ---------------------------------------------------------------------------

describe('errors: classes, stable codes, brands', () => {
  it('InvalidArgumentError: class chain, code, field, reason code, not retryable', () => {
    const e = new InvalidArgumentError('topic: bad', 'topic', 0x90);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).toBeInstanceOf(MqttkitError);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(MalformedPacketError);
    expect(e.code).toBe('MQTTKIT_ERR_INVALID_ARGUMENT');
    expect(e.field).toBe('topic');
    expect(e.reasonCode).toBe(0x90);
    expect(e.retryable).toBe(false);
    expect(e.name).toBe('InvalidArgumentError');
    expect(new InvalidArgumentError('x', 'y').reasonCode).toBeUndefined();
  });

  it.each(Object.entries(CODE_NAMES).map(([rc, code]) => [Number(rc), code] as const))(
    'MalformedPacketError with reason 0x%s has code %s',
    (rc, code) => {
      const e = new MalformedPacketError('x', 'f', rc);
      expect(e.code).toBe(code);
      expect(e.reasonCode).toBe(rc);
      expect(e).toBeInstanceOf(MalformedPacketError);
      expect(e).toBeInstanceOf(MqttkitError);
      expect(e).toBeInstanceOf(Error);
      expect(e).not.toBeInstanceOf(InvalidArgumentError);
      expect(e.name).toBe('MalformedPacketError');
    },
  );

  it('MalformedPacketError defaults to 0x81 MQTTKIT_ERR_MALFORMED_PACKET', () => {
    const e = new MalformedPacketError('x', 'f');
    expect(e.reasonCode).toBe(0x81);
    expect(e.code).toBe('MQTTKIT_ERR_MALFORMED_PACKET');
    expect(e.field).toBe('f');
  });

  it('the codec throws errors with the stable codes', () => {
    expect(thrown(() => decode(h('60 02 00 01'), 4))).toMatchObject({ code: 'MQTTKIT_ERR_MALFORMED_PACKET', reasonCode: 0x81 });
    expect(thrown(() => decode(h('20 03 00 04 00'), 5))).toMatchObject({ code: 'MQTTKIT_ERR_PROTOCOL_ERROR', reasonCode: 0x82 });
    const d = new Decoder({ maximumPacketSize: 100 });
    d.feed(h('30 80 01'));
    expect(thrown(() => d.next())).toMatchObject({ code: 'MQTTKIT_ERR_PACKET_TOO_LARGE', reasonCode: 0x95 });
    expect(thrown(() => encode(pub({ qos: 3 as 0 }), 4))).toMatchObject({ code: 'MQTTKIT_ERR_INVALID_ARGUMENT', field: 'qos' });
  });

  it('instanceof works across two copies of the module (Symbol.for brand)', async () => {
    const spec = '../../src/errors.ts?copy=2';
    const copy = (await import(/* @vite-ignore */ spec)) as typeof import('../../src/errors.js');
    expect(copy.MalformedPacketError).not.toBe(MalformedPacketError);
    const m = new copy.MalformedPacketError('x', 'f', 0x82);
    expect(m).toBeInstanceOf(MalformedPacketError);
    expect(m).toBeInstanceOf(MqttkitError);
    expect(m).not.toBeInstanceOf(InvalidArgumentError);
    const i = new copy.InvalidArgumentError('x', 'f');
    expect(i).toBeInstanceOf(InvalidArgumentError);
    expect(i).toBeInstanceOf(MqttkitError);
    expect(i).not.toBeInstanceOf(MalformedPacketError);
    // And the other way round.
    expect(new MalformedPacketError('x', 'f')).toBeInstanceOf(copy.MalformedPacketError);
    expect(new InvalidArgumentError('x', 'f')).toBeInstanceOf(copy.MqttkitError);
  });

  it('instanceof follows the Symbol.for("mqttkit.error.brands") brand, not the prototype', () => {
    const brands = Symbol.for('mqttkit.error.brands');
    const foreign = { [brands]: ['MalformedPacketError', 'MqttkitError'] };
    expect(foreign).toBeInstanceOf(MalformedPacketError);
    expect(foreign).toBeInstanceOf(MqttkitError);
    expect(foreign).not.toBeInstanceOf(InvalidArgumentError);
    expect({ [brands]: ['MqttkitError'] }).not.toBeInstanceOf(MalformedPacketError);
    expect({ [brands]: 'MalformedPacketError' }).not.toBeInstanceOf(MalformedPacketError);
    expect(new Error('plain')).not.toBeInstanceOf(MqttkitError);
    for (const notAnObject of [null, undefined, 'MqttkitError', 42]) {
      expect(MqttkitError[Symbol.hasInstance](notAnObject)).toBe(false);
      expect(notAnObject).not.toBeInstanceOf(MqttkitError);
    }
  });

  it('the public entry exports the same classes and the codec', () => {
    expect(publicEntry.MalformedPacketError).toBe(MalformedPacketError);
    expect(publicEntry.InvalidArgumentError).toBe(InvalidArgumentError);
    expect(publicEntry.MqttkitError).toBe(MqttkitError);
    expect(publicEntry.encode).toBe(encode);
    expect(publicEntry.decode).toBe(decode);
    expect(publicEntry.Decoder).toBe(Decoder);
  });
});

// ---------------------------------------------------------------------------
// fixed header

describe('fixed header', () => {
  it.each(V)('v%i: packet type 0 is reserved (decode)', (v) => {
    expectMalformed('00 00', v, 'type', 0x81);
    expectMalformed('0f 02 00 01', v, 'type', 0x81);
  });

  it.each([3, 4] as const)('v%i: packet type 15 (AUTH) is reserved before MQTT 5 (decode)', (v) => {
    expectMalformed('f0 00', v, 'type', 0x81);
    expectMalformed('f0 01 18', v, 'type', 0x81);
  });

  // [MQTT-2.1.3-1] (MQTT 5) / [MQTT-2.2.2-1] [MQTT-2.2.2-2] (3.1.1): reserved flags must be as Table 2-2 gives.
  const badFlags: Array<[string, string]> = [
    ['CONNECT 0b0001', pkt(0x11, connectHead(4, 0x02), str(''))],
    ['CONNECT 0b1000', pkt(0x18, connectHead(4, 0x02), str(''))],
    ['CONNACK 0b1000', '28 02 00 00'],
    ['PUBACK 0b0001', '41 02 00 01'],
    ['PUBREC 0b0010', '52 02 00 01'],
    ['PUBREL 0b0000 [MQTT-3.6.1-1]', '60 02 00 01'],
    ['PUBREL 0b0011 [MQTT-3.6.1-1]', '63 02 00 01'],
    ['PUBREL 0b1010 [MQTT-3.6.1-1]', '6a 02 00 01'],
    ['PUBCOMP 0b0100', '74 02 00 01'],
    ['SUBSCRIBE 0b0000 [MQTT-3.8.1-1]', '80 06 00 01 00 01 61 00'],
    ['SUBSCRIBE 0b0011 [MQTT-3.8.1-1]', '83 06 00 01 00 01 61 00'],
    ['SUBSCRIBE 0b1010 [MQTT-3.8.1-1]', '8a 06 00 01 00 01 61 00'],
    ['SUBACK 0b0001', '91 03 00 01 00'],
    ['UNSUBSCRIBE 0b0000 [MQTT-3.10.1-1]', 'a0 05 00 01 00 01 61'],
    ['UNSUBSCRIBE 0b0110 [MQTT-3.10.1-1]', 'a6 05 00 01 00 01 61'],
    ['UNSUBACK 0b1000', 'b8 02 00 01'],
    ['PINGREQ 0b0001', 'c1 00'],
    ['PINGRESP 0b0010', 'd2 00'],
    ['DISCONNECT 0b0001', 'e1 00'],
  ];
  it.each(badFlags)('v4: reserved flags of %s are refused [MQTT-2.1.3-1]', (_name, bytes) => {
    expectMalformed(bytes, 4, 'flags', 0x81);
  });

  it('v5: reserved flags of AUTH and DISCONNECT are refused [MQTT-2.1.3-1]', () => {
    expectMalformed('f4 00', 5, 'flags', 0x81);
    expectMalformed('e8 00', 5, 'flags', 0x81);
    expectMalformed('41 02 00 01', 5, 'flags', 0x81);
    expectMalformed('60 02 00 01', 5, 'flags', 0x81);
  });

  it.each(V)('v%i: PUBLISH QoS 3 (both QoS bits set) [MQTT-3.3.1-4]', (v) => {
    expectMalformed(pkt(0x36, str('t'), '00 01', v === 5 ? '00' : ''), v, 'qos', 0x81);
    expectInvalid(pub({ qos: 3 as 0, packetId: 1 }), v, 'qos');
  });

  it.each(V)('v%i: PUBLISH DUP with QoS 0 [MQTT-3.3.1-2]', (v) => {
    expectMalformed(pkt(0x38, str('t'), v === 5 ? '00' : ''), v, 'dup', 0x81);
    expectInvalid(pub({ dup: true }), v, 'dup');
  });

  it('encode refuses an unknown packet type, a non-object and an unknown protocol version', () => {
    expectInvalid({ type: 'publishh' }, 4, 'type');
    expectInvalid({ type: 'connect5' }, 5, 'type');
    expectInvalid({}, 5, 'type');
    expectInvalid(null, 4, 'packet');
    expectInvalid('pingreq', 4, 'packet');
    expectInvalid({ type: 'pingreq' }, 6 as ProtocolVersion, 'version');
    expectInvalid({ type: 'pingreq' }, 0 as ProtocolVersion, 'version');
  });

  it('encode refuses non-boolean flags', () => {
    expectInvalid(pub({ retain: 1 as unknown as boolean }), 4, 'retain');
    expectInvalid(pub({ dup: undefined as unknown as boolean }), 4, 'dup');
    expectInvalid(pub({ payload: 'text' as unknown as Uint8Array }), 4, 'payload');
  });
});

// ---------------------------------------------------------------------------
// Remaining Length and other Variable Byte Integers

describe('Variable Byte Integers (§1.5.5, 3.1.1 §2.2.3)', () => {
  it('a Remaining Length of more than 4 bytes is malformed', () => {
    expectMalformed('30 ff ff ff ff 7f', 4, 'remainingLength', 0x81);
    expectMalformed('30 80 80 80 80 01', 5, 'remainingLength', 0x81);
    expectMalformed('c0 80 80 80 80 00', 4, 'remainingLength', 0x81);
  });

  it('a Remaining Length not in its shortest form is malformed [MQTT-1.5.5-1]', () => {
    expectMalformed('c0 80 00', 4, 'remainingLength', 0x81);
    expectMalformed('30 82 00 00 00', 4, 'remainingLength', 0x81);
    expectMalformed('30 80 80 80 00', 5, 'remainingLength', 0x81);
    expectMalformed('e0 80 00', 5, 'remainingLength', 0x81);
  });

  it('a property length or Subscription Identifier not in its shortest form is malformed [MQTT-1.5.5-1]', () => {
    expectMalformed('40 05 00 01 00 80 00', 5, 'properties.length', 0x81);
    expectMalformed(pkt(0x30, str('t'), '03 0b 81 00'), 5, 'properties.subscriptionIdentifiers', 0x81);
    expectMalformed(pkt(0x82, '00 01', '03 0b 80 00', str('a'), '00'), 5, 'properties.subscriptionIdentifier', 0x81);
  });

  it('a property length of more than 4 bytes is malformed', () => {
    expectMalformed('40 08 00 01 00 ff ff ff ff 7f', 5, 'properties.length', 0x81);
  });

  it('encode refuses a packet whose Remaining Length would exceed 268,435,455', { timeout: 60_000 }, () => {
    const payload = new Uint8Array(268_435_452);
    // topic "ab" takes 4 bytes: 268,435,456 bytes after the fixed header.
    expectInvalid(pub({ topic: 'ab', payload }), 4, 'packet', 0x95);
    expectInvalid(pub({ topic: 'ab', payload }), 5, 'packet', 0x95);
  });
});

// ---------------------------------------------------------------------------
// truncation and trailing bytes

describe('truncated fields and trailing bytes', () => {
  it('decode() of an incomplete packet or of bytes after the packet is malformed', () => {
    expectMalformed('30', 4, 'packet', 0x81, false);
    expectMalformed('32 0a 00 03', 4, 'packet', 0x81, false);
    expectMalformed('30 ff', 4, 'packet', 0x81, false);
    expectMalformed('c0 00 c0 00', 4, 'packet', 0x81, false);
    expectMalformed('e0 00 00', 5, 'packet', 0x81, false);
  });

  const truncated: Array<[string, ProtocolVersion, string, string]> = [
    ['PUBLISH topic', 4, pkt(0x30, '00 05 61'), 'topic'],
    ['PUBLISH topic length', 4, pkt(0x30, '00'), 'topic'],
    ['PUBLISH packet identifier', 4, pkt(0x32, str('t')), 'packetId'],
    ['PUBLISH half a packet identifier', 4, pkt(0x32, str('t'), '00'), 'packetId'],
    ['PUBLISH 5 property length', 5, pkt(0x30, str('t')), 'properties.length'],
    ['PUBLISH 5 properties longer than the packet', 5, pkt(0x30, str('t'), '05 01'), 'properties'],
    ['PUBACK packet identifier', 4, '40 01 00', 'packetId'],
    ['PUBACK 5 property value', 5, pkt(0x40, '00 01 00', '03 1f 00 05'), 'properties.reasonString'],
    ['CONNECT protocol name', 4, pkt(0x10, '00 04 4d 51'), 'protocolName'],
    ['CONNECT protocol level', 4, pkt(0x10, str('MQTT')), 'protocolVersion'],
    ['CONNECT flags', 4, pkt(0x10, str('MQTT'), '04'), 'connectFlags'],
    ['CONNECT keep alive', 4, pkt(0x10, str('MQTT'), '04 02 00'), 'keepAlive'],
    ['CONNECT client id', 4, pkt(0x10, connectHead(4, 0x02)), 'clientId'],
    ['CONNECT will topic', 4, pkt(0x10, connectHead(4, 0x06), str('c')), 'will.topic'],
    ['CONNECT will payload', 4, pkt(0x10, connectHead(4, 0x06), str('c'), str('t'), '00 05 61'), 'will.payload'],
    ['CONNECT user name', 4, pkt(0x10, connectHead(4, 0x82), str('c')), 'username'],
    ['CONNECT password', 4, pkt(0x10, connectHead(4, 0xc2), str('c'), str('u'), '00 02 70'), 'password'],
    ['CONNECT 5 property length', 5, pkt(0x10, connectHead(5, 0x02)), 'properties.length'],
    ['CONNECT 5 will property length', 5, pkt(0x10, connectHead(5, 0x06), '00', str('c')), 'properties.length'],
    ['CONNACK return code', 4, '20 01 00', 'reasonCode'],
    ['CONNACK 5 property length', 5, '20 02 00 00', 'properties.length'],
    ['SUBSCRIBE options', 4, pkt(0x82, '00 01', str('a')), 'subscriptions[0].options'],
    ['SUBSCRIBE second filter', 4, pkt(0x82, '00 01', str('a'), '00', '00 03 62'), 'subscriptions[1].topicFilter'],
    ['SUBACK 5 property length', 5, '90 02 00 01', 'properties.length'],
    ['UNSUBSCRIBE filter', 4, pkt(0xa2, '00 01', '00 05 61'), 'topicFilters[0]'],
    ['UNSUBACK 5 property length', 5, 'b0 02 00 01', 'properties.length'],
    ['DISCONNECT 5 properties', 5, 'e0 02 00 05', 'properties'],
    ['AUTH 5 property value', 5, 'f0 04 18 02 15 00', 'properties.authenticationMethod'],
  ];
  it.each(truncated)('truncated %s (v%i) is malformed', (_name, v, bytes, field) => {
    expectMalformed(bytes, v, field, 0x81);
  });

  it('a property running past the property length is malformed', () => {
    // Property length 1 covers only the identifier 0x02; its 4-byte value lies outside it.
    expectMalformed(pkt(0x30, str('t'), '01 02 00 00 00 01', '61 62'), 5, 'properties', 0x81);
  });

  const trailing: Array<[string, ProtocolVersion, string, string]> = [
    ['CONNECT', 4, pkt(0x10, connectHead(4, 0x02), str(''), 'ff'), 'CONNECT'],
    ['CONNACK 3.1.1 with a property length', 4, '20 03 00 00 00', 'CONNACK'],
    ['CONNACK 5', 5, '20 04 00 00 00 ff', 'CONNACK'],
    ['PUBACK 3.1.1 with a reason code', 4, '40 03 00 01 00', 'PUBACK'],
    ['PUBREC 3.1 with a reason code', 3, '50 03 00 01 00', 'PUBREC'],
    ['PUBREL 5 after the properties', 5, '62 05 00 01 00 00 ff', 'PUBREL'],
    ['PUBCOMP 5 after the properties', 5, '70 05 00 01 00 00 ff', 'PUBCOMP'],
    ['UNSUBACK 3.1.1 with a reason code', 4, 'b0 03 00 01 00', 'UNSUBACK'],
    ['PINGREQ with a body', 4, 'c0 01 00', 'PINGREQ'],
    ['PINGRESP with a body', 5, 'd0 01 00', 'PINGRESP'],
    ['DISCONNECT 3.1.1 with a reason code', 4, 'e0 01 00', 'DISCONNECT'],
    ['DISCONNECT 3.1 with a reason code', 3, 'e0 01 04', 'DISCONNECT'],
    ['DISCONNECT 5 after the properties', 5, 'e0 03 00 00 ff', 'DISCONNECT'],
    ['AUTH 5 after the properties', 5, 'f0 03 18 00 ff', 'AUTH'],
  ];
  it.each(trailing)('bytes after the last field of %s (v%i) are malformed', (_name, v, bytes, field) => {
    expectMalformed(bytes, v, field, 0x81);
  });
});

// ---------------------------------------------------------------------------
// UTF-8 strings

describe('UTF-8 strings [MQTT-1.5.4-1] [MQTT-1.5.4-2]', () => {
  const illFormed: Array<[string, string]> = [
    ['overlong U+0000 (c0 80)', 'c0 80'],
    ['overlong two-byte (c1 bf)', 'c1 bf'],
    ['overlong three-byte "/" (e0 80 af)', 'e0 80 af'],
    ['overlong four-byte (f0 80 80 af)', 'f0 80 80 af'],
    ['encoded high surrogate U+D800 (ed a0 80)', 'ed a0 80'],
    ['encoded low surrogate U+DFFF (ed bf bf)', 'ed bf bf'],
    ['encoded surrogate pair (ed a0 bd ed b8 80)', 'ed a0 bd ed b8 80'],
    ['truncated three-byte sequence (e2 82)', '61 e2 82'],
    ['truncated four-byte sequence (f0 9f 98)', 'f0 9f 98'],
    ['lone continuation byte (80)', '80'],
    ['0xff', 'ff'],
    ['0xfe', '61 fe'],
    ['above U+10FFFF (f4 90 80 80)', 'f4 90 80 80'],
    ['five-byte form (f8 88 80 80 80)', 'f8 88 80 80 80'],
    ['ill-formed after 40 ASCII bytes', `${'61 '.repeat(40)} ed a0 80`],
  ];
  it.each(illFormed)('decode refuses a topic with %s', (_name, bytes) => {
    expectMalformed(pkt(0x30, rawStr(bytes)), 4, 'topic', 0x81);
    expectMalformed(pkt(0x30, rawStr(bytes), '00'), 5, 'topic', 0x81);
  });

  it.each([
    ['U+0000 alone', '00'],
    ['U+0000 inside', '61 00 62'],
    ['U+0000 after 40 ASCII bytes', `${'61 '.repeat(40)} 00`],
    ['U+0000 after a multi-byte character', 'c3 bc 00'],
  ])('decode refuses a topic containing %s [MQTT-1.5.4-2]', (_name, bytes) => {
    expectMalformed(pkt(0x30, rawStr(bytes)), 4, 'topic', 0x81);
  });

  it('a multi-byte character cut by the string length is ill-formed even when its bytes follow', () => {
    // Topic length 2 covers e2 82; the ac belongs to the payload.
    expectMalformed('30 05 00 02 e2 82 ac', 4, 'topic', 0x81);
  });

  it('every UTF-8 string field is checked on decode', () => {
    expectMalformed(pkt(0x10, rawStr('4d 51 54 c0 80'), '04 02 00 00', str('')), 4, 'protocolName', 0x81);
    expectMalformed(pkt(0x10, connectHead(4, 0x02), rawStr('ed a0 80')), 4, 'clientId', 0x81);
    expectMalformed(pkt(0x10, connectHead(4, 0x06), str('c'), rawStr('c0 80'), '00 00'), 4, 'will.topic', 0x81);
    expectMalformed(pkt(0x10, connectHead(4, 0x82), str('c'), rawStr('61 00')), 4, 'username', 0x81);
    expectMalformed(pkt(0x82, '00 01', rawStr('e2 82'), '00'), 4, 'subscriptions[0].topicFilter', 0x81);
    expectMalformed(pkt(0xa2, '00 01', rawStr('00')), 4, 'topicFilters[0]', 0x81);
    expectMalformed(pkt(0x40, '00 01 00', props(`1f ${rawStr('ff')}`)), 5, 'properties.reasonString', 0x81);
    expectMalformed(pkt(0x40, '00 01 00', props(`26 ${rawStr('c0 80')} ${str('v')}`)), 5, 'properties.userProperties.name', 0x81);
    expectMalformed(pkt(0x40, '00 01 00', props(`26 ${str('k')} ${rawStr('00')}`)), 5, 'properties.userProperties.value', 0x81);
    expectMalformed(pkt(0x30, str('t'), props(`03 ${rawStr('ed b0 80')}`)), 5, 'properties.contentType', 0x81);
  });

  it('binary data and payloads are not UTF-8 checked', () => {
    expect(decode(h(pkt(0x30, str('t'), 'c0 80 00 ff')), 4)).toMatchObject({ payload: h('c0 80 00 ff') });
    expect(decode(h(pkt(0x10, connectHead(4, 0xc2), str('c'), str('u'), '00 02 c0 00')), 4)).toMatchObject({
      password: h('c0 00'),
    });
  });

  it.each([
    ['a lone high surrogate', '\uD800'],
    ['a lone high surrogate at the end', 'a/\uD83D'],
    ['a lone low surrogate', 'a\uDC00b'],
    ['a reversed surrogate pair', '\uDE00\uD83D'],
    ['a lone surrogate in a long (> 64 unit) string', `${'x'.repeat(70)}\uD800${'y'.repeat(10)}`],
  ])('encode refuses a JS string with %s', (_name, s) => {
    expectInvalid(pub({ topic: s }), 4, 'topic');
    expectInvalid(connect({ clientId: s }), 5, 'clientId');
    expectInvalid(sub([{ topicFilter: s, qos: 0 }]), 4, 'subscriptions[0].topicFilter');
    expectInvalid({ type: 'puback', packetId: 1, properties: { reasonString: s } }, 5, 'properties.reasonString');
  });

  it('encode refuses U+0000 in every kind of string field [MQTT-1.5.4-2]', () => {
    expectInvalid(pub({ topic: 'a\u0000b' }), 4, 'topic');
    expectInvalid(pub({ topic: `${'a'.repeat(80)}\u0000` }), 4, 'topic');
    expectInvalid(connect({ clientId: '\u0000' }), 4, 'clientId');
    expectInvalid(connect({ username: 'u\u0000' }), 4, 'username');
    expectInvalid(connect({ will: { topic: '\u0000', payload: new Uint8Array(0), qos: 0, retain: false } }), 4, 'will.topic');
    expectInvalid({ type: 'unsubscribe', packetId: 1, topicFilters: ['a', '\u0000'] }, 4, 'topicFilters[1]');
    expectInvalid(pub({ properties: { contentType: '\u0000' } }), 5, 'properties.contentType');
    expectInvalid(pub({ properties: { userProperties: [['\u0000', 'v']] } }), 5, 'properties.userProperties[0][0]');
    expectInvalid(pub({ properties: { userProperties: [['k', 'v\u0000']] } }), 5, 'properties.userProperties[0][1]');
  });

  it('encode accepts well-formed surrogate pairs and U+FEFF', () => {
    expectValid(pub({ topic: '\u{1F600}/\uFEFF' }), 4);
    expectValid(pub({ topic: `${'x'.repeat(70)}\u{1F600}` }), 4);
  });

  it('a string field holds at most 65,535 bytes of UTF-8 (bytes, not UTF-16 units)', () => {
    expectValid(pub({ topic: 'a'.repeat(65_535) }), 4);
    expectInvalid(pub({ topic: 'a'.repeat(65_536) }), 4, 'topic');
    // 32,768 two-byte characters: 65,536 bytes.
    expectInvalid(pub({ topic: '\u00e9'.repeat(32_768) }), 5, 'topic');
    expectValid(pub({ topic: `${'\u00e9'.repeat(32_767)}a` }), 5);
    expectInvalid(connect({ clientId: 'c'.repeat(65_536) }), 5, 'clientId');
    expectInvalid(connect({ username: 'u'.repeat(65_536) }), 4, 'username');
    expectInvalid(sub([{ topicFilter: 'f'.repeat(65_536), qos: 0 }]), 4, 'subscriptions[0].topicFilter');
    expectInvalid(pub({ properties: { responseTopic: 'r'.repeat(65_536) } }), 5, 'properties.responseTopic');
  });

  it('binary fields hold at most 65,535 bytes', () => {
    expectValid(connect({ username: 'u', password: new Uint8Array(65_535) }), 4);
    expectInvalid(connect({ username: 'u', password: new Uint8Array(65_536) }), 4, 'password');
    expectInvalid(connect({ will: { topic: 't', payload: new Uint8Array(65_536), qos: 0, retain: false } }), 4, 'will.payload');
    expectInvalid(pub({ properties: { correlationData: new Uint8Array(65_536) } }), 5, 'properties.correlationData');
    expectInvalid(pub({ properties: { correlationData: 'abc' as unknown as Uint8Array } }), 5, 'properties.correlationData');
    expectInvalid(connect({ password: 'secret' as unknown as Uint8Array }), 5, 'password');
  });
});

// ---------------------------------------------------------------------------
// topic names and filters

describe('topic names', () => {
  const withWildcards = ['a/+', 'a/#', '#', '+', 'a+b', 'sport/tennis#', '+/a'];

  it.each(withWildcards)('topic name %j: wildcards refused on encode and decode [MQTT-3.3.2-2]', (topic) => {
    for (const v of V) {
      expectInvalid(pub({ topic }), v, 'topic', 0x90);
      expectMalformed(pkt(0x30, str(topic), v === 5 ? '00' : ''), v, 'topic', 0x90);
    }
    expectInvalid(connect({ will: { topic, payload: new Uint8Array(0), qos: 0, retain: false } }), 4, 'will.topic', 0x90);
    expectMalformed(pkt(0x10, connectHead(4, 0x06), str('c'), str(topic), '00 00'), 4, 'will.topic', 0x90);
  });

  it.each([3, 4] as const)('v%i: an empty topic name is refused [MQTT-4.7.3-1]', (v) => {
    expectInvalid(pub({ topic: '' }), v, 'topic', 0x90);
    expectMalformed('30 02 00 00', v, 'topic', 0x90);
    expectMalformed(pkt(0x32, '00 00', '00 01'), v, 'topic', 0x90);
  });

  it('v5: an empty topic name needs a Topic Alias (encode) [MQTT-4.7.3-1]', () => {
    expectInvalid(pub({ topic: '' }), 5, 'topic', 0x90);
    expectInvalid(pub({ topic: '', properties: { contentType: 'x' } }), 5, 'topic', 0x90);
    expectValid(pub({ topic: '', properties: { topicAlias: 7 } }), 5);
  });

  it('v5: an empty topic name without a Topic Alias is a protocol error on decode (§3.3.2.3.4)', () => {
    expectMalformed('30 03 00 00 00', 5, 'topic', 0x82);
    expectMalformed(pkt(0x30, '00 00', props(`03 ${str('x')}`)), 5, 'topic', 0x82);
    expect(decode(h(pkt(0x30, '00 00', props('23 00 07'))), 5)).toMatchObject({ topic: '', properties: { topicAlias: 7 } });
  });

  it('v4: a Topic Alias cannot stand in for the topic before MQTT 5', () => {
    expectInvalid(pub({ topic: '', properties: { topicAlias: 1 } }), 4, 'topic', 0x90);
  });

  it('an empty will topic is refused', () => {
    expectInvalid(connect({ will: { topic: '', payload: new Uint8Array(0), qos: 0, retain: false } }), 5, 'will.topic', 0x90);
    expectMalformed(pkt(0x10, connectHead(4, 0x06), str('c'), '00 00', '00 00'), 4, 'will.topic', 0x90);
  });
});

describe('topic filters [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1]', () => {
  const bad: Array<[string, string]> = [
    ['a/#/b', '"#" not last [MQTT-4.7.1-1]'],
    ['#a', '"#" not alone in its level [MQTT-4.7.1-1]'],
    ['a/b#', '"#" not alone in its level [MQTT-4.7.1-1]'],
    ['sport/tennis#', '"#" not alone in its level [MQTT-4.7.1-1]'],
    ['sport/tennis/#/ranking', '"#" not last [MQTT-4.7.1-1]'],
    ['##', 'two "#"'],
    ['a+', '"+" not alone in its level [MQTT-4.7.1-2]'],
    ['+a/b', '"+" not alone in its level [MQTT-4.7.1-2]'],
    ['a/+b', '"+" not alone in its level [MQTT-4.7.1-2]'],
    ['sport+', '"+" not alone in its level [MQTT-4.7.1-2]'],
    ['++', 'two "+" in one level [MQTT-4.7.1-2]'],
    ['', 'empty [MQTT-4.7.3-1]'],
  ];

  it.each(bad)('filter %j (%s) is refused in SUBSCRIBE and UNSUBSCRIBE, encode and decode', (filter) => {
    for (const v of V) {
      const p5 = v === 5 ? '00' : '';
      expectInvalid(sub([{ topicFilter: filter, qos: 0 }]), v, 'subscriptions[0].topicFilter', 0x8f);
      expectInvalid(
        sub([
          { topicFilter: 'ok', qos: 0 },
          { topicFilter: filter, qos: 1 },
        ]),
        v,
        'subscriptions[1].topicFilter',
        0x8f,
      );
      expectInvalid({ type: 'unsubscribe', packetId: 1, topicFilters: [filter] }, v, 'topicFilters[0]', 0x8f);
      expectInvalid({ type: 'unsubscribe', packetId: 1, topicFilters: ['ok', filter] }, v, 'topicFilters[1]', 0x8f);
      expectMalformed(pkt(0x82, '00 01', p5, str(filter), '00'), v, 'subscriptions[0].topicFilter', 0x8f);
      expectMalformed(pkt(0x82, '00 01', p5, str('ok'), '01', str(filter), '00'), v, 'subscriptions[1].topicFilter', 0x8f);
      expectMalformed(pkt(0xa2, '00 01', p5, str(filter)), v, 'topicFilters[0]', 0x8f);
    }
  });

  it.each(['#', '+', '/', '+/+', '/+', 'a/+/c', 'sport/tennis/#', 'sport/#', '+/tennis/#', '/finance', '$SYS/#', 'a//b', ' '])(
    'filter %j is valid on every version',
    (filter) => {
      for (const v of V) {
        expectValid(sub([{ topicFilter: filter, qos: 0 }]), v);
        expectValid({ type: 'unsubscribe', packetId: 1, topicFilters: [filter] }, v);
        expect(decode(h(pkt(0xa2, '00 01', v === 5 ? '00' : '', str(filter))), v)).toMatchObject({ topicFilters: [filter] });
      }
    },
  );
});

describe('shared subscriptions on MQTT 5 [MQTT-4.8.2-1] [MQTT-4.8.2-2]', () => {
  const bad: Array<[string, string]> = [
    ['$share/', 'no share name [MQTT-4.8.2-1]'],
    ['$share//a', 'empty share name [MQTT-4.8.2-1]'],
    ['$share/g', 'no "/" and filter after the share name [MQTT-4.8.2-2]'],
    ['$share/g/', 'no filter after the share name [MQTT-4.8.2-2]'],
    ['$share/g+/a', 'wildcard in the share name [MQTT-4.8.2-2]'],
    ['$share/+/a', 'wildcard share name [MQTT-4.8.2-2]'],
    ['$share/g#/a', 'wildcard in the share name [MQTT-4.8.2-2]'],
    ['$share/#', 'wildcard share name [MQTT-4.8.2-2]'],
    ['$share/g/a/#/b', 'bad filter after the share name [MQTT-4.7.1-1]'],
    ['$share/g/a+', 'bad filter after the share name [MQTT-4.7.1-2]'],
  ];

  it.each(bad)('%j (%s) is refused on encode and decode', (filter) => {
    expectInvalid(sub([{ topicFilter: filter, qos: 0 }]), 5, 'subscriptions[0].topicFilter', 0x8f);
    expectInvalid({ type: 'unsubscribe', packetId: 1, topicFilters: [filter] }, 5, 'topicFilters[0]', 0x8f);
    expectMalformed(pkt(0x82, '00 01 00', str(filter), '00'), 5, 'subscriptions[0].topicFilter', 0x8f);
    expectMalformed(pkt(0xa2, '00 01 00', str(filter)), 5, 'topicFilters[0]', 0x8f);
  });

  it.each(['$share/g/a', '$share/g/#', '$share/g/+/b', '$share/group-1/a/b/c', '$share/g//'])(
    '%j is a valid shared subscription',
    (filter) => {
      expectValid(sub([{ topicFilter: filter, qos: 2 }]), 5);
      expect(decode(h(pkt(0x82, '00 01 00', str(filter), '02')), 5)).toMatchObject({ subscriptions: [{ topicFilter: filter, qos: 2 }] });
    },
  );

  it('No Local on a shared subscription is a protocol error [MQTT-3.8.3-4]', () => {
    expectInvalid(sub([{ topicFilter: '$share/g/a', qos: 1, noLocal: true }]), 5, 'subscriptions[0].noLocal');
    expectInvalid(
      sub([
        { topicFilter: 'a', qos: 1, noLocal: true },
        { topicFilter: '$share/g/a', qos: 1, noLocal: true },
      ]),
      5,
      'subscriptions[1].noLocal',
    );
    expectMalformed(pkt(0x82, '00 01 00', str('$share/g/a'), '05'), 5, 'subscriptions[0].noLocal', 0x82);
    expectValid(sub([{ topicFilter: '$share/g/a', qos: 1, noLocal: false }]), 5);
  });

  it('before MQTT 5, "$share/..." is an ordinary filter', () => {
    for (const v of [3, 4] as const) {
      expectValid(sub([{ topicFilter: '$share//a', qos: 0 }]), v);
      expectValid(sub([{ topicFilter: '$share/g', qos: 0 }]), v);
      expect(decode(h(pkt(0x82, '00 01', str('$share//a'), '00')), v)).toMatchObject({
        subscriptions: [{ topicFilter: '$share//a', qos: 0 }],
      });
    }
  });
});

// ---------------------------------------------------------------------------
// packet identifiers

describe('packet identifiers [MQTT-2.2.1-3] (3.1.1 [MQTT-2.3.1-1])', () => {
  const withId: Array<[string, (id: unknown) => unknown, number]> = [
    ['PUBLISH QoS 1', (id) => pub({ qos: 1, packetId: id as number }), 0x32],
    ['PUBLISH QoS 2', (id) => pub({ qos: 2, packetId: id as number }), 0x34],
    ['PUBACK', (id) => ({ type: 'puback', packetId: id }), 0x40],
    ['PUBREC', (id) => ({ type: 'pubrec', packetId: id }), 0x50],
    ['PUBREL', (id) => ({ type: 'pubrel', packetId: id }), 0x62],
    ['PUBCOMP', (id) => ({ type: 'pubcomp', packetId: id }), 0x70],
    ['SUBSCRIBE', (id) => sub([{ topicFilter: 'a', qos: 0 }], { packetId: id }), 0x82],
    ['SUBACK', (id) => ({ type: 'suback', packetId: id, reasonCodes: [0] }), 0x90],
    ['UNSUBSCRIBE', (id) => ({ type: 'unsubscribe', packetId: id, topicFilters: ['a'] }), 0xa2],
    ['UNSUBACK', (id) => ({ type: 'unsuback', packetId: id, reasonCodes: [0] }), 0xb0],
  ];

  it.each(withId)('%s: encode refuses 0, 65536, -1, 1.5 and a missing identifier', (_name, make) => {
    for (const v of V) {
      for (const bad of [0, 65_536, -1, 1.5, undefined, '1']) expectInvalid(make(bad), v, 'packetId');
      expectValid(make(1), v);
      expectValid(make(65_535), v);
    }
  });

  it.each(withId)('%s: decode refuses packet identifier 0', (name, _make, byte0) => {
    for (const v of V) {
      const p5 = v === 5 ? '00' : '';
      let body: string;
      if (name.startsWith('PUBLISH')) body = `${str('t')} 00 00 ${p5}`;
      else if (name === 'SUBSCRIBE') body = `00 00 ${p5} ${str('a')} 00`;
      else if (name === 'UNSUBSCRIBE') body = `00 00 ${p5} ${str('a')}`;
      else if (name === 'SUBACK') body = `00 00 ${p5} 00`;
      else if (name === 'UNSUBACK') body = v === 5 ? '00 00 00 00' : '00 00';
      else body = '00 00';
      expectMalformed(pkt(byte0, body), v, 'packetId', 0x81);
    }
  });

  it('a QoS 0 PUBLISH carries no packet identifier [MQTT-2.2.1-2]', () => {
    expect(decode(h(pkt(0x30, str('t'), '00 00')), 4)).toStrictEqual(pub({ payload: h('00 00') }));
  });
});

// ---------------------------------------------------------------------------
// CONNECT

describe('CONNECT', () => {
  it('v3: the client id must be 1 to 23 bytes (MQTT 3.1 §3.1)', () => {
    expectInvalid(connect({ clientId: '' }), 3, 'clientId', 0x85);
    expectInvalid(connect({ clientId: 'x'.repeat(24) }), 3, 'clientId', 0x85);
    // 12 two-byte characters: 24 bytes.
    expectInvalid(connect({ clientId: '\u00e9'.repeat(12) }), 3, 'clientId', 0x85);
    expectValid(connect({ clientId: 'x'.repeat(23) }), 3);
    expectValid(connect({ clientId: 'x'.repeat(24) }), 4);
    expectMalformed(pkt(0x10, connectHead(3, 0x02), str('')), 3, 'clientId', 0x85);
    expectMalformed(pkt(0x10, connectHead(3, 0x02), str('x'.repeat(24))), 3, 'clientId', 0x85);
    expectMalformed(pkt(0x10, connectHead(3, 0x02), str('\u00e9'.repeat(12))), 3, 'clientId', 0x85);
  });

  it('v4: a zero-byte client id needs Clean Session (encode) [MQTT-3.1.3-7]', () => {
    expectInvalid(connect({ clientId: '', clean: false }), 4, 'clientId', 0x85);
    expectValid(connect({ clientId: '', clean: true }), 4);
    expectValid(connect({ clientId: '', clean: false }), 5);
  });

  it('v4: a zero-byte client id without Clean Session is refused on decode with 0x85 [MQTT-3.1.3-7] [MQTT-3.1.3-8]', () => {
    // 3.1.1 [MQTT-3.1.3-8]: the Server MUST answer CONNACK 0x02 "identifier rejected" (MQTT 5 0x85).
    expectMalformed(pkt(0x10, connectHead(4, 0x00), str('')), 4, 'clientId', 0x85);
  });

  it.each(V)('v%i: the reserved CONNECT flag (bit 0) must be 0 [MQTT-3.1.2-3]', (v) => {
    expectMalformed(pkt(0x10, connectHead(v, 0x03), v === 5 ? '00' : '', str('c')), v, 'connectFlags', 0x81);
    expectMalformed(pkt(0x10, connectHead(v, 0x01), v === 5 ? '00' : '', str('c')), v, 'connectFlags', 0x81);
  });

  it.each(V)('v%i: Will QoS must be 0 without a will [MQTT-3.1.2-11] (3.1.1 [MQTT-3.1.2-13])', (v) => {
    expectMalformed(pkt(0x10, connectHead(v, 0x0a), v === 5 ? '00' : '', str('c')), v, 'connectFlags', 0x81);
    expectMalformed(pkt(0x10, connectHead(v, 0x12), v === 5 ? '00' : '', str('c')), v, 'connectFlags', 0x81);
  });

  it.each(V)('v%i: Will Retain must be 0 without a will [MQTT-3.1.2-13] (3.1.1 [MQTT-3.1.2-15])', (v) => {
    expectMalformed(pkt(0x10, connectHead(v, 0x22), v === 5 ? '00' : '', str('c')), v, 'connectFlags', 0x81);
  });

  it.each(V)('v%i: Will QoS 3 is malformed [MQTT-3.1.2-12] (3.1.1 [MQTT-3.1.2-14])', (v) => {
    const willProps = v === 5 ? '00' : '';
    expectMalformed(pkt(0x10, connectHead(v, 0x1e), willProps, str('c'), willProps, str('t'), '00 00'), v, 'will.qos', 0x81);
    expectInvalid(connect({ will: { topic: 't', payload: new Uint8Array(0), qos: 3, retain: false } }), v, 'will.qos');
  });

  it.each([3, 4] as const)('v%i: a password needs a user name before MQTT 5 [MQTT-3.1.2-22]', (v) => {
    expectInvalid(connect({ password: h('70') }), v, 'password');
    expectMalformed(pkt(0x10, connectHead(v, 0x42), str('c'), '00 01 70'), v, 'connectFlags', 0x81);
    expectValid(connect({ username: 'u', password: h('70') }), v);
  });

  it('v5: a password without a user name is allowed (§3.1.2.9)', () => {
    expectValid(connect({ password: h('70') }), 5);
    expect(decode(h(pkt(0x10, connectHead(5, 0x42), '00', str('c'), '00 01 70')), 5)).toMatchObject({ password: h('70') });
  });

  it('v5: Authentication Data without an Authentication Method is a protocol error (§3.1.2.11.10)', () => {
    // MQTT 5 §3.1.2.11.10: "It is a Protocol Error to include Authentication Data if there is no Authentication Method."
    expectValid(connect({ properties: { authenticationMethod: 'm', authenticationData: h('01') } }), 5);
    expectInvalid(connect({ properties: { authenticationData: h('01') } }), 5, 'properties.authenticationData');
    expectMalformed(pkt(0x10, connectHead(5, 0x02), props('16 00 01 01'), str('c')), 5, 'properties.authenticationData', 0x82);
  });

  it('an unsupported protocol level is refused with 0x84 (§3.1.2.2 [MQTT-3.1.2-2])', () => {
    expectMalformed(pkt(0x10, str('MQTT'), '06 02 00 00', str('c')), 4, 'protocolVersion', 0x84);
    expectMalformed(pkt(0x10, str('MQTT'), '03 02 00 00', str('c')), 4, 'protocolVersion', 0x84);
    expectMalformed(pkt(0x10, str('MQIsdp'), '04 02 00 00', str('c')), 3, 'protocolVersion', 0x84);
    expectMalformed(pkt(0x10, str('MQTT'), '00 02 00 00', str('c')), 5, 'protocolVersion', 0x84);
  });

  it('an unknown protocol name is malformed (§3.1.2.1 [MQTT-3.1.2-1])', () => {
    expectMalformed(pkt(0x10, str('MQTX'), '04 02 00 00', str('c')), 4, 'protocolName', 0x81);
    expectMalformed(pkt(0x10, str('mqtt'), '04 02 00 00', str('c')), 4, 'protocolName', 0x81);
    expectMalformed(pkt(0x10, str(''), '04 02 00 00', str('c')), 4, 'protocolName', 0x81);
  });

  it('encode checks the client id, flags, keep alive and will', () => {
    expectInvalid(connect({ clientId: undefined }), 4, 'clientId');
    expectInvalid(connect({ clientId: 7 }), 5, 'clientId');
    expectInvalid(connect({ clean: 'yes' }), 4, 'clean');
    expectInvalid(connect({ clean: undefined }), 5, 'clean');
    for (const keepAlive of [65_536, -1, 1.5, '10', undefined]) expectInvalid(connect({ keepAlive }), 4, 'keepAlive');
    expectValid(connect({ keepAlive: 65_535 }), 4);
    expectInvalid(connect({ will: null }), 4, 'will');
    expectInvalid(connect({ will: { topic: 't', payload: new Uint8Array(0), qos: 0, retain: 'no' } }), 4, 'will.retain');
    expectInvalid(connect({ will: { topic: 't', payload: 'bye', qos: 0, retain: false } }), 4, 'will.payload');
    expectInvalid(connect({ username: 5 }), 4, 'username');
  });

  it('v3/v4: MQTT 5 properties are refused on encode', () => {
    for (const v of [3, 4] as const) {
      expectInvalid(connect({ properties: { sessionExpiryInterval: 10 } }), v, 'properties.sessionExpiryInterval');
      expectInvalid(
        connect({ will: { topic: 't', payload: new Uint8Array(0), qos: 0, retain: false, properties: { willDelayInterval: 5 } } }),
        v,
        'will.properties.willDelayInterval',
      );
    }
  });

  it('v5: properties not allowed in CONNECT or in the will are refused', () => {
    expectInvalid(connect({ properties: { topicAlias: 1 } }), 5, 'properties.topicAlias');
    expectInvalid(connect({ properties: { maximumQoS: 1 } }), 5, 'properties.maximumQoS');
    expectInvalid(connect({ properties: { willDelayInterval: 1 } }), 5, 'properties.willDelayInterval');
    expectInvalid(connect({ properties: { reasonString: 'x' } }), 5, 'properties.reasonString');
    const will = (properties: object) => connect({ will: { topic: 't', payload: new Uint8Array(0), qos: 0, retain: false, properties } });
    expectInvalid(will({ sessionExpiryInterval: 1 }), 5, 'will.properties.sessionExpiryInterval');
    expectInvalid(will({ topicAlias: 1 }), 5, 'will.properties.topicAlias');
    expectInvalid(will({ subscriptionIdentifiers: [1] }), 5, 'will.properties.subscriptionIdentifiers');
    expectInvalid(will({ bogus: 1 }), 5, 'will.properties.bogus');

    expectMalformed(pkt(0x10, connectHead(5, 0x02), props('23 00 01'), str('c')), 5, 'properties.topicAlias', 0x81);
    expectMalformed(pkt(0x10, connectHead(5, 0x02), props('24 01'), str('c')), 5, 'properties.maximumQoS', 0x81);
    expectMalformed(pkt(0x10, connectHead(5, 0x02), props('18 00 00 00 01'), str('c')), 5, 'properties.willDelayInterval', 0x81);
    // Will properties: only the property name is asserted in the field.
    expectMalformed(
      pkt(0x10, connectHead(5, 0x06), '00', str('c'), props('11 00 00 00 01'), str('t'), '00 00'),
      5,
      /sessionExpiryInterval$/,
      0x81,
    );
    expectMalformed(pkt(0x10, connectHead(5, 0x06), '00', str('c'), props('23 00 01'), str('t'), '00 00'), 5, /topicAlias$/, 0x81);
    expectMalformed(
      pkt(0x10, connectHead(5, 0x06), '00', str('c'), props('0b 01'), str('t'), '00 00'),
      5,
      /subscriptionIdentifiers?$/,
      0x81,
    );
  });
});

// ---------------------------------------------------------------------------
// CONNACK

describe('CONNACK', () => {
  it('v3/v4: return codes are 0..5 (3.1.1 §3.2.2.3)', () => {
    for (const v of [3, 4] as const) {
      for (const rc of [6, 0x80, 0x87, 255]) {
        expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: rc }, v, 'reasonCode');
        expectMalformed(`20 02 00 ${rc.toString(16).padStart(2, '0')}`, v, 'reasonCode', 0x82);
      }
      for (let rc = 0; rc <= 5; rc++) expectValid({ type: 'connack', sessionPresent: false, reasonCode: rc }, v);
    }
  });

  it('v3/v4: a negative or fractional return code is refused, not written modulo 256', () => {
    expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: -1 }, 4, 'reasonCode');
    expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: 2.5 }, 4, 'reasonCode');
    expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: -1 }, 3, 'reasonCode');
  });

  it('v5: a negative reason code is refused, not written modulo 256', () => {
    // -122 & 0xff === 0x86 (bad user name or password).
    expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: -122 }, 5, 'reasonCode');
    expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: 134.5 }, 5, 'reasonCode');
  });

  it('v5: reason codes must be CONNACK reason codes (§3.2.2.2)', () => {
    for (const rc of [
      0x04, 0x10, 0x11, 0x18, 0x19, 0x8b, 0x8d, 0x8e, 0x8f, 0x91, 0x92, 0x93, 0x94, 0x96, 0x98, 0x9e, 0xa0, 0xa1, 0xa2, 0x01,
    ]) {
      expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: rc }, 5, 'reasonCode');
      expectMalformed(`20 03 00 ${rc.toString(16).padStart(2, '0')} 00`, 5, 'reasonCode', 0x82);
    }
    for (const rc of [
      0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
    ]) {
      expectValid({ type: 'connack', sessionPresent: false, reasonCode: rc }, 5);
      expect(decode(h(`20 03 00 ${rc.toString(16)} 00`), 5)).toStrictEqual({ type: 'connack', sessionPresent: false, reasonCode: rc });
    }
    expectInvalid({ type: 'connack', sessionPresent: false, reasonCode: 'ok' }, 5, 'reasonCode');
    expectInvalid({ type: 'connack', sessionPresent: false }, 5, 'reasonCode');
  });

  it('Session Present must be 0 with a non-zero reason code (v5 [MQTT-3.2.2-6], 3.1.1 [MQTT-3.2.2-4])', () => {
    expectInvalid({ type: 'connack', sessionPresent: true, reasonCode: 0x80 }, 5, 'sessionPresent');
    expectInvalid({ type: 'connack', sessionPresent: true, reasonCode: 1 }, 4, 'sessionPresent');
    expectMalformed('20 03 01 80 00', 5, 'sessionPresent', 0x82);
    expectMalformed('20 02 01 05', 4, 'sessionPresent', 0x82);
  });

  it('v3: MQTT 3.1 has no Session Present flag', () => {
    expectInvalid({ type: 'connack', sessionPresent: true, reasonCode: 0 }, 3, 'sessionPresent');
  });

  it('v4/v5: acknowledge flag bits 7..1 are reserved [MQTT-3.2.2-1]', () => {
    expectMalformed('20 02 02 00', 4, 'acknowledgeFlags', 0x81);
    expectMalformed('20 02 80 00', 4, 'acknowledgeFlags', 0x81);
    expectMalformed('20 03 03 00 00', 5, 'acknowledgeFlags', 0x81);
  });

  it('sessionPresent must be a boolean', () => {
    expectInvalid({ type: 'connack', sessionPresent: 1, reasonCode: 0 }, 4, 'sessionPresent');
    expectInvalid({ type: 'connack', reasonCode: 0 }, 5, 'sessionPresent');
  });

  it('v4: MQTT 5 properties are refused', () => {
    expectInvalid(
      { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { reasonString: 'x' } },
      4,
      'properties.reasonString',
    );
  });

  it('v5: properties not allowed in CONNACK are refused', () => {
    const ack = (properties: object) => ({ type: 'connack', sessionPresent: false, reasonCode: 0, properties });
    expectInvalid(ack({ willDelayInterval: 1 }), 5, 'properties.willDelayInterval');
    expectInvalid(ack({ topicAlias: 1 }), 5, 'properties.topicAlias');
    expectInvalid(ack({ requestProblemInformation: true }), 5, 'properties.requestProblemInformation');
    expectMalformed(pkt(0x20, '00 00', props('18 00 00 00 01')), 5, 'properties.willDelayInterval', 0x81);
    expectMalformed(pkt(0x20, '00 00', props('17 01')), 5, 'properties.requestProblemInformation', 0x81);
    expectMalformed(pkt(0x20, '00 00', props('0b 01')), 5, /subscriptionIdentifiers?$/, 0x81);
  });
});

// ---------------------------------------------------------------------------
// MQTT 5 properties: values, duplicates, placement, unknown identifiers

describe('MQTT 5 property values out of range', () => {
  it('Receive Maximum 0 is a protocol error (§3.1.2.11.3, §3.2.2.3.3)', () => {
    expectInvalid(connect({ properties: { receiveMaximum: 0 } }), 5, 'properties.receiveMaximum');
    expectInvalid(connect({ properties: { receiveMaximum: 65_536 } }), 5, 'properties.receiveMaximum');
    expectInvalid(
      { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 0 } },
      5,
      'properties.receiveMaximum',
    );
    expectMalformed(pkt(0x10, connectHead(5, 0x02), props('21 00 00'), str('c')), 5, 'properties.receiveMaximum', 0x82);
    expectMalformed(pkt(0x20, '00 00', props('21 00 00')), 5, 'properties.receiveMaximum', 0x82);
  });

  it('Maximum Packet Size 0 is a protocol error (§3.1.2.11.4, §3.2.2.3.6)', () => {
    expectInvalid(connect({ properties: { maximumPacketSize: 0 } }), 5, 'properties.maximumPacketSize');
    expectInvalid(connect({ properties: { maximumPacketSize: 2 ** 32 } }), 5, 'properties.maximumPacketSize');
    expectInvalid(
      { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { maximumPacketSize: 0 } },
      5,
      'properties.maximumPacketSize',
    );
    expectMalformed(pkt(0x10, connectHead(5, 0x02), props('27 00 00 00 00'), str('c')), 5, 'properties.maximumPacketSize', 0x82);
    expectMalformed(pkt(0x20, '00 00', props('27 00 00 00 00')), 5, 'properties.maximumPacketSize', 0x82);
  });

  it('Topic Alias 0 is refused with 0x94 topic alias invalid (§3.3.2.3.4)', () => {
    expectInvalid(pub({ properties: { topicAlias: 0 } }), 5, 'properties.topicAlias', 0x94);
    expectInvalid(pub({ properties: { topicAlias: 65_536 } }), 5, 'properties.topicAlias', 0x94);
    expectInvalid(pub({ topic: '', properties: { topicAlias: 0 } }), 5, 'properties.topicAlias', 0x94);
    expectMalformed(pkt(0x30, str('t'), props('23 00 00')), 5, 'properties.topicAlias', 0x94);
  });

  it('Subscription Identifier 0 is a protocol error (§3.8.2.1.2, §3.3.2.3.8)', () => {
    expectInvalid(
      sub([{ topicFilter: 'a', qos: 0 }], { properties: { subscriptionIdentifier: 0 } }),
      5,
      'properties.subscriptionIdentifier',
    );
    expectInvalid(
      sub([{ topicFilter: 'a', qos: 0 }], { properties: { subscriptionIdentifier: 268_435_456 } }),
      5,
      'properties.subscriptionIdentifier',
    );
    expectInvalid(pub({ properties: { subscriptionIdentifiers: [0] } }), 5, 'properties.subscriptionIdentifiers[0]');
    expectInvalid(pub({ properties: { subscriptionIdentifiers: [1, 268_435_456] } }), 5, 'properties.subscriptionIdentifiers[1]');
    expectInvalid(pub({ properties: { subscriptionIdentifiers: 5 as unknown as number[] } }), 5, 'properties.subscriptionIdentifiers');
    expectMalformed(pkt(0x82, '00 01', props('0b 00'), str('a'), '00'), 5, 'properties.subscriptionIdentifier', 0x82);
    expectMalformed(pkt(0x30, str('t'), props('0b 00')), 5, 'properties.subscriptionIdentifiers', 0x82);
    expectMalformed(pkt(0x30, str('t'), props('0b 01 0b 00')), 5, 'properties.subscriptionIdentifiers', 0x82);
  });

  const booleans: Array<[string, number, string]> = [
    ['requestProblemInformation', 0x17, 'connect'],
    ['requestResponseInformation', 0x19, 'connect'],
    ['retainAvailable', 0x25, 'connack'],
    ['wildcardSubscriptionAvailable', 0x28, 'connack'],
    ['subscriptionIdentifiersAvailable', 0x29, 'connack'],
    ['sharedSubscriptionAvailable', 0x2a, 'connack'],
    ['payloadFormatIndicator', 0x01, 'publish'],
  ];
  it.each(booleans)('boolean property %s (0x%s): a byte other than 0 or 1 is a protocol error', (name, id, where) => {
    const idHex = id.toString(16).padStart(2, '0');
    for (const value of ['02', 'ff']) {
      const p = props(`${idHex} ${value}`);
      const bytes =
        where === 'connect'
          ? pkt(0x10, connectHead(5, 0x02), p, str('c'))
          : where === 'connack'
            ? pkt(0x20, '00 00', p)
            : pkt(0x30, str('t'), p);
      expectMalformed(bytes, 5, `properties.${name}`, 0x82);
    }
    const packet =
      where === 'connect'
        ? connect({ properties: { [name]: 1 } })
        : where === 'connack'
          ? { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { [name]: 1 } }
          : pub({ properties: { [name]: 1 } as object });
    expectInvalid(packet, 5, `properties.${name}`);
  });

  it('Maximum QoS is 0 or 1 (§3.2.2.3.4)', () => {
    const ack = (maximumQoS: unknown) => ({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { maximumQoS } });
    expectInvalid(ack(2), 5, 'properties.maximumQoS');
    expectInvalid(ack(true), 5, 'properties.maximumQoS');
    expectMalformed(pkt(0x20, '00 00', props('24 02')), 5, 'properties.maximumQoS', 0x82);
  });

  it('Response Topic is a topic name: no wildcards, not empty [MQTT-3.3.2-13] [MQTT-3.3.2-14]', () => {
    expectInvalid(pub({ properties: { responseTopic: 'a/#' } }), 5, 'properties.responseTopic', 0x90);
    expectInvalid(pub({ properties: { responseTopic: 'a/+/b' } }), 5, 'properties.responseTopic', 0x90);
    expectInvalid(pub({ properties: { responseTopic: '' } }), 5, 'properties.responseTopic', 0x90);
    expectMalformed(pkt(0x30, str('t'), props(`08 ${str('a/#')}`)), 5, 'properties.responseTopic', 0x82);
    expectMalformed(pkt(0x30, str('t'), props(`08 ${str('')}`)), 5, 'properties.responseTopic', 0x82);
  });

  it('integer properties must be integers in range', () => {
    expectInvalid(pub({ properties: { messageExpiryInterval: -1 } }), 5, 'properties.messageExpiryInterval');
    expectInvalid(pub({ properties: { messageExpiryInterval: 2 ** 32 } }), 5, 'properties.messageExpiryInterval');
    expectInvalid(pub({ properties: { messageExpiryInterval: 1.5 } }), 5, 'properties.messageExpiryInterval');
    expectInvalid(connect({ properties: { sessionExpiryInterval: '10' } }), 5, 'properties.sessionExpiryInterval');
    expectInvalid(connect({ properties: { topicAliasMaximum: 65_536 } }), 5, 'properties.topicAliasMaximum');
    expectInvalid(
      { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { serverKeepAlive: -1 } },
      5,
      'properties.serverKeepAlive',
    );
    expectValid(pub({ properties: { messageExpiryInterval: 0xffffffff } }), 5);
    expectValid(connect({ properties: { topicAliasMaximum: 0, sessionExpiryInterval: 0 } }), 5);
  });

  it('user properties are [name, value] pairs of strings', () => {
    expectInvalid(pub({ properties: { userProperties: [['a']] as unknown as [string, string][] } }), 5, 'properties.userProperties[0]');
    expectInvalid(
      pub({
        properties: {
          userProperties: [
            ['a', 'b'],
            ['a', 'b', 'c'],
          ] as unknown as [string, string][],
        },
      }),
      5,
      'properties.userProperties[1]',
    );
    expectInvalid(
      pub({ properties: { userProperties: [['a', 1]] as unknown as [string, string][] } }),
      5,
      'properties.userProperties[0][1]',
    );
    expectInvalid(pub({ properties: { userProperties: { a: 'b' } as unknown as [string, string][] } }), 5, 'properties.userProperties');
    expectValid(pub({ properties: { userProperties: [['', '']] } }), 5);
  });

  it('a properties value that is not an object is refused', () => {
    expectInvalid(pub({ properties: 'x' as unknown as object }), 5, 'properties');
  });
});

describe('MQTT 5 properties given more than once are a protocol error (§2.2.2.2)', () => {
  const dupes: Array<[string, string]> = [
    ['CONNECT Session Expiry Interval', pkt(0x10, connectHead(5, 0x02), props('11 00 00 00 01 11 00 00 00 02'), str('c'))],
    ['CONNECT Receive Maximum', pkt(0x10, connectHead(5, 0x02), props('21 00 01 21 00 02'), str('c'))],
    ['CONNECT Authentication Method', pkt(0x10, connectHead(5, 0x02), props(`15 ${str('a')} 15 ${str('b')}`), str('c'))],
    ['CONNECT Authentication Data', pkt(0x10, connectHead(5, 0x02), props(`15 ${str('a')} 16 00 00 16 00 00`), str('c'))],
    ['CONNECT Request Problem Information', pkt(0x10, connectHead(5, 0x02), props('17 01 17 01'), str('c'))],
    ['CONNACK Maximum QoS', pkt(0x20, '00 00', props('24 00 24 01'))],
    ['CONNACK Assigned Client Identifier', pkt(0x20, '00 00', props(`12 ${str('a')} 12 ${str('a')}`))],
    ['CONNACK Server Keep Alive', pkt(0x20, '00 00', props('13 00 01 13 00 01'))],
    ['CONNACK Reason String', pkt(0x20, '00 00', props(`1f ${str('a')} 1f ${str('b')}`))],
    ['PUBLISH Message Expiry Interval', pkt(0x30, str('t'), props('02 00 00 00 01 02 00 00 00 02'))],
    ['PUBLISH Topic Alias', pkt(0x30, str('t'), props('23 00 01 23 00 02'))],
    ['PUBLISH Payload Format Indicator', pkt(0x30, str('t'), props('01 01 01 01'))],
    ['PUBLISH Content Type', pkt(0x30, str('t'), props(`03 ${str('a')} 03 ${str('a')}`))],
    ['PUBLISH Response Topic', pkt(0x30, str('t'), props(`08 ${str('r')} 08 ${str('r')}`))],
    ['PUBLISH Correlation Data', pkt(0x30, str('t'), props('09 00 00 09 00 00'))],
    ['PUBACK Reason String', pkt(0x40, '00 01 00', props(`1f ${str('a')} 1f ${str('b')}`))],
    ['SUBSCRIBE Subscription Identifier', pkt(0x82, '00 01', props('0b 01 0b 02'), str('a'), '00')],
    ['DISCONNECT Server Reference', pkt(0xe0, '9c', props(`1c ${str('a')} 1c ${str('b')}`))],
    ['DISCONNECT Session Expiry Interval', pkt(0xe0, '00', props('11 00 00 00 00 11 00 00 00 00'))],
    ['AUTH Authentication Method', pkt(0xf0, '18', props(`15 ${str('a')} 15 ${str('b')}`))],
  ];
  it.each(dupes)('%s twice', (name, bytes) => {
    const prop = {
      'Session Expiry Interval': 'sessionExpiryInterval',
      'Receive Maximum': 'receiveMaximum',
      'Authentication Method': 'authenticationMethod',
      'Authentication Data': 'authenticationData',
      'Request Problem Information': 'requestProblemInformation',
      'Maximum QoS': 'maximumQoS',
      'Assigned Client Identifier': 'assignedClientIdentifier',
      'Server Keep Alive': 'serverKeepAlive',
      'Reason String': 'reasonString',
      'Message Expiry Interval': 'messageExpiryInterval',
      'Topic Alias': 'topicAlias',
      'Payload Format Indicator': 'payloadFormatIndicator',
      'Content Type': 'contentType',
      'Response Topic': 'responseTopic',
      'Correlation Data': 'correlationData',
      'Subscription Identifier': 'subscriptionIdentifier',
      'Server Reference': 'serverReference',
    }[name.slice(name.indexOf(' ') + 1)];
    expectMalformed(bytes, 5, `properties.${prop}`, 0x82);
  });

  it('will properties given twice', () => {
    expectMalformed(
      pkt(0x10, connectHead(5, 0x06), '00', str('c'), props('18 00 00 00 01 18 00 00 00 01'), str('t'), '00 00'),
      5,
      /willDelayInterval$/,
      0x82,
    );
  });

  it('User Property and PUBLISH Subscription Identifier may repeat (§3.3.2.3.7, §3.3.2.3.8)', () => {
    expect(decode(h(pkt(0x30, str('t'), props(`26 ${str('a')} ${str('1')} 26 ${str('a')} ${str('1')} 0b 01 0b 01`))), 5)).toMatchObject({
      properties: {
        userProperties: [
          ['a', '1'],
          ['a', '1'],
        ],
        subscriptionIdentifiers: [1, 1],
      },
    });
  });
});

describe('MQTT 5 properties not allowed in the packet, and unknown identifiers (§2.2.2.2)', () => {
  const misplaced: Array<[string, string, string]> = [
    ['PUBLISH Reason String', pkt(0x30, str('t'), props(`1f ${str('x')}`)), 'reasonString'],
    ['PUBLISH Session Expiry Interval', pkt(0x30, str('t'), props('11 00 00 00 01')), 'sessionExpiryInterval'],
    ['PUBLISH Will Delay Interval', pkt(0x30, str('t'), props('18 00 00 00 01')), 'willDelayInterval'],
    ['PUBACK Topic Alias', pkt(0x40, '00 01 00', props('23 00 01')), 'topicAlias'],
    ['PUBREC Content Type', pkt(0x50, '00 01 00', props(`03 ${str('x')}`)), 'contentType'],
    ['PUBREL Session Expiry Interval', pkt(0x62, '00 01 00', props('11 00 00 00 01')), 'sessionExpiryInterval'],
    ['PUBCOMP Server Reference', pkt(0x70, '00 01 00', props(`1c ${str('x')}`)), 'serverReference'],
    ['SUBSCRIBE Topic Alias', pkt(0x82, '00 01', props('23 00 01'), str('a'), '00'), 'topicAlias'],
    ['SUBSCRIBE Reason String', pkt(0x82, '00 01', props(`1f ${str('x')}`), str('a'), '00'), 'reasonString'],
    ['SUBACK Session Expiry Interval', pkt(0x90, '00 01', props('11 00 00 00 01'), '00'), 'sessionExpiryInterval'],
    ['UNSUBSCRIBE Reason String', pkt(0xa2, '00 01', props(`1f ${str('x')}`), str('a')), 'reasonString'],
    ['UNSUBACK Server Reference', pkt(0xb0, '00 01', props(`1c ${str('x')}`), '00'), 'serverReference'],
    ['DISCONNECT Authentication Method', pkt(0xe0, '00', props(`15 ${str('x')}`)), 'authenticationMethod'],
    ['DISCONNECT Topic Alias', pkt(0xe0, '00', props('23 00 01')), 'topicAlias'],
    ['AUTH Session Expiry Interval', pkt(0xf0, '18', props('11 00 00 00 01')), 'sessionExpiryInterval'],
    ['AUTH Server Reference', pkt(0xf0, '18', props(`1c ${str('x')}`)), 'serverReference'],
  ];
  it.each(misplaced)('decode refuses %s', (_name, bytes, prop) => {
    expectMalformed(bytes, 5, `properties.${prop}`, 0x81);
  });

  it('decode refuses a Subscription Identifier outside PUBLISH and SUBSCRIBE', () => {
    expectMalformed(pkt(0xa2, '00 01', props('0b 01'), str('a')), 5, /^properties\.subscriptionIdentifiers?$/, 0x81);
    expectMalformed(pkt(0x40, '00 01 00', props('0b 01')), 5, /^properties\.subscriptionIdentifiers?$/, 0x81);
    expectMalformed(pkt(0xe0, '00', props('0b 01')), 5, /^properties\.subscriptionIdentifiers?$/, 0x81);
  });

  it.each(['00', '04', '05', '06', '07', '0a', '0c', '10', '14', '1b', '1d', '1e', '20', '2b', '7f', '80', 'ff'])(
    'decode refuses unknown property identifier 0x%s',
    (id) => {
      expectMalformed(pkt(0x30, str('t'), props(`${id} 00`)), 5, 'properties', 0x81);
      expectMalformed(pkt(0x40, '00 01 00', props(`${id} 00`)), 5, 'properties', 0x81);
    },
  );

  const encodeMisplaced: Array<[string, unknown, string]> = [
    ['PUBLISH reasonString', pub({ properties: { reasonString: 'x' } as object }), 'properties.reasonString'],
    [
      'PUBLISH subscriptionIdentifier (singular)',
      pub({ properties: { subscriptionIdentifier: 1 } as object }),
      'properties.subscriptionIdentifier',
    ],
    ['PUBACK topicAlias', { type: 'puback', packetId: 1, properties: { topicAlias: 1 } }, 'properties.topicAlias'],
    [
      'PUBREL sessionExpiryInterval',
      { type: 'pubrel', packetId: 1, properties: { sessionExpiryInterval: 1 } },
      'properties.sessionExpiryInterval',
    ],
    [
      'SUBSCRIBE subscriptionIdentifiers (plural)',
      sub([{ topicFilter: 'a', qos: 0 }], { properties: { subscriptionIdentifiers: [1] } }),
      'properties.subscriptionIdentifiers',
    ],
    ['SUBSCRIBE reasonString', sub([{ topicFilter: 'a', qos: 0 }], { properties: { reasonString: 'x' } }), 'properties.reasonString'],
    ['SUBACK contentType', { type: 'suback', packetId: 1, reasonCodes: [0], properties: { contentType: 'x' } }, 'properties.contentType'],
    [
      'UNSUBSCRIBE subscriptionIdentifier',
      { type: 'unsubscribe', packetId: 1, topicFilters: ['a'], properties: { subscriptionIdentifier: 1 } },
      'properties.subscriptionIdentifier',
    ],
    [
      'UNSUBSCRIBE reasonString',
      { type: 'unsubscribe', packetId: 1, topicFilters: ['a'], properties: { reasonString: 'x' } },
      'properties.reasonString',
    ],
    [
      'UNSUBACK serverReference',
      { type: 'unsuback', packetId: 1, reasonCodes: [0], properties: { serverReference: 'x' } },
      'properties.serverReference',
    ],
    [
      'DISCONNECT authenticationMethod',
      { type: 'disconnect', reasonCode: 0, properties: { authenticationMethod: 'x' } },
      'properties.authenticationMethod',
    ],
    [
      'AUTH sessionExpiryInterval',
      { type: 'auth', reasonCode: 0x18, properties: { sessionExpiryInterval: 1 } },
      'properties.sessionExpiryInterval',
    ],
    ['AUTH serverReference', { type: 'auth', reasonCode: 0x18, properties: { serverReference: 'x' } }, 'properties.serverReference'],
  ];
  it.each(encodeMisplaced)('encode refuses %s', (_name, packet, field) => {
    expectInvalid(packet, 5, field);
  });

  it('encode refuses unknown property names', () => {
    expectInvalid(pub({ properties: { topicAliass: 1 } as object }), 5, 'properties.topicAliass');
    expectInvalid(connect({ properties: { keepAlive: 1 } }), 5, 'properties.keepAlive');
    expectInvalid({ type: 'puback', packetId: 1, properties: { userProperty: ['a', 'b'] } }, 5, 'properties.userProperty');
    expectInvalid({ type: 'disconnect', properties: { reason: 'x' } }, 5, 'properties.reason');
  });
});

// ---------------------------------------------------------------------------
// MQTT 5-only features on older protocol levels

describe('MQTT 5-only features are refused for MQTT 3.1 and 3.1.1', () => {
  it.each([3, 4] as const)('v%i: properties on every packet type', (v) => {
    expectInvalid(pub({ properties: { messageExpiryInterval: 1 } }), v, 'properties.messageExpiryInterval');
    expectInvalid(pub({ properties: { userProperties: [['a', 'b']] } }), v, 'properties.userProperties');
    expectInvalid({ type: 'puback', packetId: 1, properties: { reasonString: 'x' } }, v, 'properties.reasonString');
    expectInvalid({ type: 'pubrec', packetId: 1, properties: { reasonString: 'x' } }, v, 'properties.reasonString');
    expectInvalid({ type: 'pubrel', packetId: 1, properties: { userProperties: [['a', 'b']] } }, v, 'properties.userProperties');
    expectInvalid({ type: 'pubcomp', packetId: 1, properties: { reasonString: 'x' } }, v, 'properties.reasonString');
    expectInvalid(
      sub([{ topicFilter: 'a', qos: 0 }], { properties: { subscriptionIdentifier: 1 } }),
      v,
      'properties.subscriptionIdentifier',
    );
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [0], properties: { reasonString: 'x' } }, v, 'properties.reasonString');
    expectInvalid(
      { type: 'unsubscribe', packetId: 1, topicFilters: ['a'], properties: { userProperties: [['a', 'b']] } },
      v,
      'properties.userProperties',
    );
    expectInvalid({ type: 'unsuback', packetId: 1, properties: { reasonString: 'x' } }, v, 'properties.reasonString');
    expectInvalid({ type: 'disconnect', properties: { sessionExpiryInterval: 0 } }, v, 'properties.sessionExpiryInterval');
  });

  it.each([3, 4] as const)('v%i: non-zero reason codes on acks and DISCONNECT', (v) => {
    for (const type of ['puback', 'pubrec', 'pubrel', 'pubcomp']) {
      expectInvalid({ type, packetId: 1, reasonCode: 0x80 }, v, 'reasonCode');
      expectValid({ type, packetId: 1, reasonCode: 0 }, v);
    }
    expectInvalid({ type: 'disconnect', reasonCode: 0x04 }, v, 'reasonCode');
    expectValid({ type: 'disconnect', reasonCode: 0 }, v);
    expectInvalid({ type: 'unsuback', packetId: 1, reasonCodes: [0x11] }, v, 'reasonCodes');
  });

  it.each([3, 4] as const)('v%i: AUTH does not exist', (v) => {
    expectInvalid({ type: 'auth' }, v, 'type');
    expectInvalid({ type: 'auth', reasonCode: 0x18 }, v, 'type');
  });

  it.each([3, 4] as const)('v%i: subscription options other than QoS', (v) => {
    expectInvalid(sub([{ topicFilter: 'a', qos: 0, noLocal: true }]), v, 'subscriptions[0]');
    expectInvalid(sub([{ topicFilter: 'a', qos: 0, retainAsPublished: true }]), v, 'subscriptions[0]');
    expectInvalid(sub([{ topicFilter: 'a', qos: 0, retainHandling: 2 }]), v, 'subscriptions[0]');
    expectInvalid(
      sub([
        { topicFilter: 'a', qos: 0 },
        { topicFilter: 'b', qos: 0, retainHandling: 1 },
      ]),
      v,
      'subscriptions[1]',
    );
    expectValid(sub([{ topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }]), v);
    // On the wire: bits 7..2 of the requested QoS byte are reserved (3.1.1 [MQTT-3-8.3-4]).
    for (const options of ['04', '08', '10', '20', '80']) {
      expectMalformed(pkt(0x82, '00 01', str('a'), options), v, 'subscriptions[0].options', 0x81);
    }
  });
});

// ---------------------------------------------------------------------------
// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK

describe('SUBSCRIBE', () => {
  it.each(V)('v%i: at least one subscription (3.1.1 [MQTT-3.8.3-3], MQTT 5 [MQTT-3.8.3-2])', (v) => {
    expectInvalid(sub([]), v, 'subscriptions');
    expectInvalid(sub(undefined as unknown as Subscription[]), v, 'subscriptions');
    expectMalformed(pkt(0x82, '00 01', v === 5 ? '00' : ''), v, 'subscriptions', 0x82);
  });

  it.each(V)('v%i: each subscription must be an object', (v) => {
    expectInvalid(sub([null as unknown as Subscription]), v, 'subscriptions[0]');
    expectInvalid(sub([{ topicFilter: 'a', qos: 0 }, 'b' as unknown as Subscription]), v, 'subscriptions[1]');
  });

  it.each(V)('v%i: requested QoS 3 is refused on encode', (v) => {
    expectInvalid(sub([{ topicFilter: 'a', qos: 3 as 0 }]), v, 'subscriptions[0].qos');
    expectInvalid(
      sub([
        { topicFilter: 'a', qos: 0 },
        { topicFilter: 'b', qos: -1 as 0 },
      ]),
      v,
      'subscriptions[1].qos',
    );
  });

  it.each([3, 4] as const)('v%i: requested QoS 3 is malformed on decode (3.1.1 [MQTT-3-8.3-4])', (v) => {
    expectMalformed(pkt(0x82, '00 01', str('a'), '03'), v, 'subscriptions[0].qos', 0x81);
  });

  it('v5: Maximum QoS 3 in the subscription options is a protocol error (§3.8.3.1)', () => {
    // MQTT 5 §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3."
    expectMalformed(pkt(0x82, '00 01 00', str('a'), '03'), 5, 'subscriptions[0].qos', 0x82);
  });

  it('v5: reserved option bits 7..6 must be 0 [MQTT-3.8.3-5]', () => {
    expectMalformed(pkt(0x82, '00 01 00', str('a'), '40'), 5, 'subscriptions[0].options', 0x81);
    expectMalformed(pkt(0x82, '00 01 00', str('a'), '80'), 5, 'subscriptions[0].options', 0x81);
    expectMalformed(pkt(0x82, '00 01 00', str('a'), '01', str('b'), 'c1'), 5, 'subscriptions[1].options', 0x81);
  });

  it('v5: Retain Handling 3 is a protocol error (§3.8.3.1)', () => {
    expectMalformed(pkt(0x82, '00 01 00', str('a'), '30'), 5, 'subscriptions[0].retainHandling', 0x82);
    expectInvalid(sub([{ topicFilter: 'a', qos: 0, retainHandling: 3 as 0 }]), 5, 'subscriptions[0].retainHandling');
  });

  it('v5: option types are checked on encode', () => {
    expectInvalid(sub([{ topicFilter: 'a', qos: 0, noLocal: 1 as unknown as boolean }]), 5, 'subscriptions[0].noLocal');
    expectInvalid(
      sub([{ topicFilter: 'a', qos: 0, retainAsPublished: 'y' as unknown as boolean }]),
      5,
      'subscriptions[0].retainAsPublished',
    );
    expectInvalid(sub([{ topicFilter: 'a', qos: 0, retainHandling: -1 as 0 }]), 5, 'subscriptions[0].retainHandling');
  });

  it('topic filters must be strings', () => {
    expectInvalid(sub([{ topicFilter: 5 as unknown as string, qos: 0 }]), 4, 'subscriptions[0].topicFilter');
  });
});

describe('SUBACK', () => {
  it.each(V)('v%i: one reason code per filter: an empty list is refused', (v) => {
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [] }, v, 'reasonCodes');
    expectInvalid({ type: 'suback', packetId: 1 }, v, 'reasonCodes');
    expectMalformed(pkt(0x90, '00 01', v === 5 ? '00' : ''), v, 'reasonCodes', 0x81);
  });

  it.each([3, 4] as const)('v%i: return codes are 0, 1, 2 or 0x80 (3.1.1 §3.9.3)', (v) => {
    for (const rc of [3, 0x04, 0x81, 0x87, 0xff]) {
      expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [0, rc] }, v, 'reasonCodes[1]');
      expectMalformed(pkt(0x90, '00 01', '00', rc.toString(16).padStart(2, '0')), v, 'reasonCodes[1]', 0x82);
    }
  });

  it('v5: reason codes must be SUBACK reason codes (§3.9.3)', () => {
    for (const rc of [0x03, 0x04, 0x10, 0x11, 0x18, 0x81, 0x82, 0x84, 0x8e, 0x90, 0x92, 0x95]) {
      expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [rc] }, 5, 'reasonCodes[0]');
      expectMalformed(pkt(0x90, '00 01 00', rc.toString(16).padStart(2, '0')), 5, 'reasonCodes[0]', 0x82);
    }
  });

  it('negative or fractional reason codes are refused, not written modulo 256', () => {
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [-1] }, 4, 'reasonCodes[0]');
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [1.5] }, 4, 'reasonCodes[0]');
    // -255 & 0xff === 1 (granted QoS 1): must not slip through.
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [-255] }, 5, 'reasonCodes[0]');
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: [1.5] }, 5, 'reasonCodes[0]');
    expectInvalid({ type: 'suback', packetId: 1, reasonCodes: ['1'] }, 5, 'reasonCodes[0]');
  });
});

describe('UNSUBSCRIBE and UNSUBACK', () => {
  it.each(V)('v%i: UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]', (v) => {
    expectInvalid({ type: 'unsubscribe', packetId: 1, topicFilters: [] }, v, 'topicFilters');
    expectInvalid({ type: 'unsubscribe', packetId: 1 }, v, 'topicFilters');
    expectMalformed(pkt(0xa2, '00 01', v === 5 ? '00' : ''), v, 'topicFilters', 0x82);
  });

  it('v5: UNSUBACK needs one reason code per filter', () => {
    expectInvalid({ type: 'unsuback', packetId: 1, reasonCodes: [] }, 5, 'reasonCodes');
    expectInvalid({ type: 'unsuback', packetId: 1 }, 5, 'reasonCodes');
    expectMalformed('b0 03 00 01 00', 5, 'reasonCodes', 0x81);
  });

  it('v5: reason codes must be UNSUBACK reason codes (§3.11.3)', () => {
    for (const rc of [0x01, 0x02, 0x10, 0x81, 0x97, 0x9e]) {
      expectInvalid({ type: 'unsuback', packetId: 1, reasonCodes: [0, rc] }, 5, 'reasonCodes[1]');
      expectMalformed(pkt(0xb0, '00 01 00', '00', rc.toString(16).padStart(2, '0')), 5, 'reasonCodes[1]', 0x82);
    }
  });
});

// ---------------------------------------------------------------------------
// PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH reason codes

describe('MQTT 5 reason codes per packet type (§2.4)', () => {
  const invalidFor: Array<[string, number, number[]]> = [
    ['puback', 0x40, [0x01, 0x04, 0x11, 0x18, 0x81, 0x82, 0x8f, 0x92, 0x95]],
    ['pubrec', 0x50, [0x01, 0x04, 0x11, 0x18, 0x81, 0x82, 0x8f, 0x92, 0x95]],
    ['pubrel', 0x62, [0x10, 0x80, 0x83, 0x87, 0x91, 0x97]],
    ['pubcomp', 0x70, [0x10, 0x80, 0x83, 0x87, 0x91, 0x97]],
  ];
  it.each(invalidFor)('%s refuses reason codes it does not allow', (type, byte0, codes) => {
    for (const rc of codes) {
      expectInvalid({ type, packetId: 1, reasonCode: rc }, 5, 'reasonCode');
      expectMalformed(pkt(byte0, '00 01', rc.toString(16).padStart(2, '0')), 5, 'reasonCode', 0x82);
    }
  });

  const validFor: Array<[string, number[]]> = [
    ['puback', [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]],
    ['pubrec', [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]],
    ['pubrel', [0x00, 0x92]],
    ['pubcomp', [0x00, 0x92]],
  ];
  it.each(validFor)('%s accepts its reason codes', (type, codes) => {
    for (const rc of codes) expectValid({ type, packetId: 1, reasonCode: rc }, 5);
  });

  it('a negative or fractional ack reason code is refused, not written modulo 256', () => {
    // -240 & 0xff === 0x10 and 16.5 & 0xff === 0x10: neither is a reason code.
    expectInvalid({ type: 'puback', packetId: 1, reasonCode: -240 }, 5, 'reasonCode');
    expectInvalid({ type: 'puback', packetId: 1, reasonCode: 16.5 }, 5, 'reasonCode');
    expectInvalid({ type: 'pubrel', packetId: 1, reasonCode: 0x192 }, 5, 'reasonCode');
    expectInvalid({ type: 'pubrec', packetId: 1, reasonCode: '16' }, 5, 'reasonCode');
  });

  it('DISCONNECT refuses reason codes it does not allow (§3.14.2.1)', () => {
    for (const rc of [0x01, 0x02, 0x10, 0x11, 0x18, 0x19, 0x84, 0x85, 0x86, 0x88, 0x8a, 0x91, 0x92]) {
      expectInvalid({ type: 'disconnect', reasonCode: rc }, 5, 'reasonCode');
      expectMalformed(pkt(0xe0, rc.toString(16).padStart(2, '0')), 5, 'reasonCode', 0x82);
    }
    for (const rc of [0x00, 0x04, 0x80, 0x81, 0x82, 0x8b, 0x8d, 0x8e, 0x93, 0x94, 0x98, 0xa0, 0xa2]) {
      expectValid({ type: 'disconnect', reasonCode: rc }, 5);
    }
    expectInvalid({ type: 'disconnect', reasonCode: 'normal' }, 5, 'reasonCode');
  });

  it('DISCONNECT, AUTH, UNSUBACK: negative reason codes are refused, not written modulo 256', () => {
    // -252 & 0xff === 0x04, -232 & 0xff === 0x18, -239 & 0xff === 0x11.
    expectInvalid({ type: 'disconnect', reasonCode: -252 }, 5, 'reasonCode');
    expectInvalid({ type: 'auth', reasonCode: -232 }, 5, 'reasonCode');
    expectInvalid({ type: 'unsuback', packetId: 1, reasonCodes: [-239] }, 5, 'reasonCodes[0]');
  });

  it('AUTH allows only 0x00, 0x18 and 0x19 (§3.15.2.1)', () => {
    for (const rc of [0x01, 0x04, 0x10, 0x80, 0x87, 0x8c]) {
      expectInvalid({ type: 'auth', reasonCode: rc }, 5, 'reasonCode');
      expectMalformed(pkt(0xf0, rc.toString(16).padStart(2, '0')), 5, 'reasonCode', 0x82);
    }
  });
});

// ---------------------------------------------------------------------------
// the streaming Decoder

describe('Decoder: Maximum Packet Size', () => {
  it('refuses a 1 MB PUBLISH with 0x95 as soon as its fixed header has arrived', () => {
    const d = new Decoder({ protocolVersion: 5, maximumPacketSize: 1000 });
    // Remaining Length 1,048,576 = 80 80 40.
    d.feed(h('30 80 80 40'));
    const err = thrown(() => d.next());
    checkMalformed(err, 'remainingLength', 0x95);
    expect((err as MalformedPacketError).code).toBe('MQTTKIT_ERR_PACKET_TOO_LARGE');
  });

  it('refuses it even when the header arrives one byte at a time', () => {
    const d = new Decoder({ protocolVersion: 4, maximumPacketSize: 1000 });
    expect(d.push(h('30'))).toEqual([]);
    expect(d.push(h('80'))).toEqual([]);
    expect(d.push(h('80'))).toEqual([]);
    checkMalformed(
      thrown(() => d.push(h('40'))),
      'remainingLength',
      0x95,
    );
  });

  it('the limit counts the fixed header: exactly the maximum passes, one byte more is refused', () => {
    const ok = new Decoder({ protocolVersion: 4, maximumPacketSize: 10 });
    // 2 + 8 bytes.
    expect(ok.push(h(pkt(0x30, str('t'), '01 02 03 04 05'))).length).toBe(1);
    const tooBig = new Decoder({ protocolVersion: 4, maximumPacketSize: 10 });
    tooBig.feed(h('30 09'));
    checkMalformed(
      thrown(() => tooBig.next()),
      'remainingLength',
      0x95,
    );
  });

  it('without a maximum, a header announcing 268,435,455 bytes waits for the body', () => {
    const d = new Decoder({ protocolVersion: 4 });
    d.feed(h('30 ff ff ff 7f 00 01 61'));
    expect(d.next()).toBeUndefined();
    expect(d.bufferedBytes).toBe(8);
  });

  it('small packets pass under a small maximum', () => {
    const d = new Decoder({ protocolVersion: 5, maximumPacketSize: 4 });
    expect(d.push(h('c0 00 40 02 00 01'))).toStrictEqual([{ type: 'pingreq' }, { type: 'puback', packetId: 1, reasonCode: 0 }]);
  });
});

describe('Decoder: after a malformed packet the stream is dead', () => {
  it('keeps throwing the same error from next(), feed() and push()', () => {
    const d = new Decoder({ protocolVersion: 4 });
    d.feed(h('60 02 00 01')); // PUBREL with flags 0b0000
    const first = thrown(() => d.next());
    checkMalformed(first, 'flags', 0x81);
    expect(thrown(() => d.next())).toBe(first);
    expect(thrown(() => d.feed(h('c0 00')))).toBe(first);
    expect(thrown(() => d.push(h('c0 00')))).toBe(first);
    expect(thrown(() => d.next())).toBe(first);
    expect(d.bufferedBytes).toBe(0);
  });

  it('an error after a good packet in the same chunk: next() returns the good one, then throws', () => {
    const d = new Decoder({ protocolVersion: 5 });
    d.feed(h('c0 00 00 00 d0 00'));
    expect(d.next()).toStrictEqual({ type: 'pingreq' });
    const err = thrown(() => d.next());
    checkMalformed(err, 'type', 0x81);
    expect(thrown(() => d.next())).toBe(err);
  });

  it('a too-large packet also kills the stream', () => {
    const d = new Decoder({ protocolVersion: 5, maximumPacketSize: 100 });
    d.feed(h('30 80 01'));
    const err = thrown(() => d.next());
    checkMalformed(err, 'remainingLength', 0x95);
    expect(thrown(() => d.push(h('c0 00')))).toBe(err);
  });

  it('never throws anything but MalformedPacketError for arbitrary bytes', () => {
    // A deterministic pseudo-random byte stream, fed in uneven chunks.
    let seed = 0x2545f491;
    const rnd = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) & 0xff;
    };
    for (let round = 0; round < 300; round++) {
      const v = V[round % 3];
      const d = new Decoder({ protocolVersion: v, maximumPacketSize: 4096 });
      const bytes = Uint8Array.from({ length: 64 }, rnd);
      let failed: unknown;
      for (let i = 0; i < bytes.length && failed === undefined; i += 1 + (i % 7)) {
        failed = thrown(() => d.push(bytes.subarray(i, i + 1 + (i % 7))));
      }
      if (failed !== undefined) expect(failed).toBeInstanceOf(MalformedPacketError);
    }
  });
});

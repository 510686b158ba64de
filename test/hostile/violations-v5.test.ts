/**
 * A hostile MQTT 5 broker against the real client over TCP: garbage,
 * oversized packets, bad topic aliases, a second CONNACK, QoS 3, reserved
 * flag bits, packets only clients send.
 *
 * MQTT 5 §4.13.1: a client that detects a Malformed Packet or Protocol Error
 * SHOULD send DISCONNECT with the reason code (0x81 malformed, 0x82 protocol
 * error, or a more specific one from §3.14.2.1: 0x94 Topic Alias invalid,
 * 0x95 Packet too large) and close the connection. After DISCONNECT it sends
 * nothing more [MQTT-3.14.4-1] and closes [MQTT-3.14.4-2]. Each case checks
 * the bytes the broker got, the typed error the client reported, that it
 * reconnected once (these errors are retryable: a broker's bad packet is no
 * reason to give up) and that nothing reached the process unhandled.
 */
import { describe, expect, it } from 'vitest';
import { MalformedPacketError } from '../../src/errors.js';
import { type ClientOptions, connect } from '../../src/node.js';
import { rejectionOf, within } from '../helpers/clients.js';
import { ScriptedBroker, type ScriptedConnection } from '../helpers/scripted-broker.js';
import { FAST, Fixture, guardProcess, type Recorder } from './support.js';

guardProcess();
const fixture = new Fixture();

const payload = (n: number) => new Uint8Array(n).fill(0x61);

/** Attempt 1 runs `hostile` after CONNACK; later attempts are a well-behaved broker. */
async function brokerThatMisbehavesOnce(hostile: (c: ScriptedConnection) => void | Promise<void>): Promise<ScriptedBroker> {
  return fixture.broker(
    await ScriptedBroker.start(async (c) => {
      await c.accept();
      if (c.index === 1) await hostile(c);
      else c.answerPings();
    }),
  );
}

/**
 * Runs a client against a broker that breaks a rule once, and checks what
 * every such case shares: DISCONNECT with `reasonCode` as the last thing on
 * the wire, the client closing the connection, one typed error reported the
 * same way in 'error', 'offline' and 'reconnect', and exactly one reconnect.
 */
async function expectViolation(
  hostile: (c: ScriptedConnection) => void | Promise<void>,
  reasonCode: number,
  options: ClientOptions = {},
  delivered: string[] = [],
): Promise<{ first: ScriptedConnection; error: MalformedPacketError; rec: Recorder }> {
  const broker = await brokerThatMisbehavesOnce(hostile);
  const rec = fixture.client(broker, { protocolVersion: 5, ...options });
  rec.client.on('message', (m) => delivered.push(m.topic));
  rec.client.start();
  await rec.connected(2);
  const first = broker.connection(1);
  await within(first.closed, 5_000, 'the client to close the first connection');
  expect(first.last).toEqual({ type: 'disconnect', reasonCode });
  expect(first.closedBy).toBe('client');
  expect(first.decodeError).toBeUndefined(); // what the client sent decodes
  expect(rec.errors).toHaveLength(1);
  const error = rec.errors[0];
  expect(error).toBeInstanceOf(MalformedPacketError);
  expect(error.reasonCode).toBe(reasonCode);
  expect(error.retryable).toBe(true);
  expect(rec.offline).toEqual([error]);
  expect(rec.reconnects.map((r) => [r.attempt, r.error])).toEqual([[1, error]]);
  expect(broker.attempts).toBe(2);
  expect(broker.scriptErrors).toEqual([]);
  return { first, error: error as MalformedPacketError, rec };
}

describe('MQTT 5: malformed packets -> DISCONNECT 0x81 [MQTT 5 §4.13.1]', () => {
  it('garbage bytes (a Remaining Length longer than 4 bytes)', async () => {
    const { error } = await expectViolation((c) => c.sendRaw(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe)), 0x81);
    expect(error.code).toBe('MQTTKIT_ERR_MALFORMED_PACKET');
    expect(error.field).toBe('remainingLength');
  });

  it('packet type 0 (reserved)', async () => {
    const { error } = await expectViolation((c) => c.sendRaw(Uint8Array.of(0x00, 0x00)), 0x81);
    expect(error.field).toBe('type');
  });

  it('PUBLISH with QoS 3 [MQTT-3.3.1-4]', async () => {
    // 0x36: PUBLISH, both QoS bits set; topic "t", packet id 1, no properties.
    const { error, rec } = await expectViolation((c) => c.sendRaw(Uint8Array.of(0x36, 0x06, 0x00, 0x01, 0x74, 0x00, 0x01, 0x00)), 0x81);
    expect(error.field).toBe('qos');
    expect(rec.errors).toHaveLength(1);
  });

  it('PUBACK with a reserved flag bit set (0x41) [MQTT-2.1.3-1]', async () => {
    const { error } = await expectViolation((c) => c.sendRaw(Uint8Array.of(0x41, 0x02, 0x00, 0x01)), 0x81);
    expect(error.field).toBe('flags');
  });

  it('PUBREL without its mandatory flags 0b0010 (0x60) [MQTT-2.1.3-1]', async () => {
    const { error } = await expectViolation((c) => c.sendRaw(Uint8Array.of(0x60, 0x02, 0x00, 0x01)), 0x81);
    expect(error.field).toBe('flags');
  });

  it('a PUBLISH whose topic is not well-formed UTF-8 [MQTT-1.5.4-1]: nothing is delivered', async () => {
    const delivered: string[] = [];
    const { error } = await expectViolation(
      (c) => c.sendRaw(Uint8Array.of(0x30, 0x06, 0x00, 0x02, 0xc3, 0x28, 0x00, 0x61)),
      0x81,
      {},
      delivered,
    );
    expect(error.field).toBe('topic');
    expect(delivered).toEqual([]);
  });
});

describe('MQTT 5: protocol errors -> DISCONNECT 0x82', () => {
  it('a second CONNACK on one connection [MQTT-3.2.0-2]', async () => {
    const { error } = await expectViolation((c) => c.connack(), 0x82);
    expect(error.code).toBe('MQTTKIT_ERR_PROTOCOL_ERROR');
    expect(error.message).toMatch(/second CONNACK/);
  });

  it('packets only a client may send: SUBSCRIBE, PINGREQ, CONNECT from the broker', async () => {
    await expectViolation((c) => c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'x', qos: 0 }] }), 0x82);
    await expectViolation((c) => c.send({ type: 'pingreq' }), 0x82);
    await expectViolation((c) => c.send({ type: 'connect', clientId: 'evil', clean: true, keepAlive: 0 }), 0x82);
  });

  it('Session Present on a CONNACK answering a Clean Start [MQTT-3.2.2-4]: the client closes (no DISCONNECT before it is connected)', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        if (c.index === 1) c.connack(undefined, true);
        else c.connack();
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 5 });
    rec.client.start();
    await rec.connected(1);
    expect(broker.attempts).toBe(2);
    expect(broker.connection(1).received.map((p) => p.type)).toEqual(['connect']);
    expect(rec.errors[0]).toMatchObject({ reasonCode: 0x82, field: 'sessionPresent' });
  });
});

describe('MQTT 5: too large -> DISCONNECT 0x95 [MQTT 5 §3.1.2.11.4]', () => {
  it('a PUBLISH over the Maximum Packet Size the client sent in CONNECT; nothing is delivered [MQTT-3.1.2-24]', async () => {
    const delivered: string[] = [];
    const { first, error } = await expectViolation(
      (c) => c.send({ type: 'publish', topic: 'big', payload: payload(2_000), qos: 0, retain: false, dup: false }),
      0x95,
      { properties: { maximumPacketSize: 1_024 } },
      delivered,
    );
    expect(first.connect?.properties?.maximumPacketSize).toBe(1_024);
    expect(error.code).toBe('MQTTKIT_ERR_PACKET_TOO_LARGE');
    expect(delivered).toEqual([]);
  });

  it('refused on the fixed header alone: a 1 MB PUBLISH header with no body is answered at once, nothing buffered', async () => {
    // 0x30, Remaining Length 1,000,000 (c0 84 3d), then silence: the body never comes.
    await expectViolation((c) => c.sendRaw(Uint8Array.of(0x30, 0xc0, 0x84, 0x3d)), 0x95, { properties: { maximumPacketSize: 1_024 } });
  });
});

describe('MQTT 5: topic aliases [MQTT 5 §3.3.2.3.4]', () => {
  const aliases: ClientOptions = { properties: { topicAliasMaximum: 5 } };

  it('an alias above the Topic Alias Maximum the client sent -> DISCONNECT 0x94 [MQTT-3.3.2-11]', async () => {
    const { first, error } = await expectViolation(
      (c) => c.send({ type: 'publish', topic: 'a', payload: payload(1), qos: 0, retain: false, dup: false, properties: { topicAlias: 6 } }),
      0x94,
      aliases,
    );
    expect(first.connect?.properties?.topicAliasMaximum).toBe(5);
    expect(error.code).toBe('MQTTKIT_ERR_TOPIC_ALIAS_INVALID');
  });

  it('any alias when the client allowed none (Topic Alias Maximum absent = 0) -> 0x94', async () => {
    await expectViolation(
      (c) => c.send({ type: 'publish', topic: 'a', payload: payload(1), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } }),
      0x94,
    );
  });

  it('alias 0 -> 0x94 [MQTT-3.3.2-8]', async () => {
    // PUBLISH, empty topic, properties: Topic Alias (0x23) = 0, payload "x".
    await expectViolation((c) => c.sendRaw(Uint8Array.of(0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x00, 0x78)), 0x94, aliases);
  });

  it('an empty topic with an alias that was never mapped -> DISCONNECT 0x82 (protocol error)', async () => {
    const { error } = await expectViolation(
      (c) => c.send({ type: 'publish', topic: '', payload: payload(1), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } }),
      0x82,
      aliases,
    );
    expect(error.field).toBe('properties.topicAlias');
  });

  it('mapped aliases work, and do not outlive the connection: reusing one after a reconnect is a protocol error [MQTT-3.3.2-7]', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.accept();
        c.answerPings();
        const alias = { topicAlias: 2 };
        if (c.index === 1) {
          c.send({ type: 'publish', topic: 'room/1', payload: payload(1), qos: 0, retain: false, dup: false, properties: alias });
          c.send({ type: 'publish', topic: '', payload: payload(2), qos: 0, retain: false, dup: false, properties: alias });
          c.end();
        } else if (c.index === 2) {
          c.send({ type: 'publish', topic: '', payload: payload(3), qos: 0, retain: false, dup: false, properties: alias });
        }
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 5, ...aliases });
    const topics: string[] = [];
    rec.client.on('message', (m) => topics.push(`${m.topic}:${m.payload.length}`));
    rec.client.start();
    await rec.connected(3);
    expect(topics).toEqual(['room/1:1', 'room/1:2']);
    expect(broker.connection(2).last).toEqual({ type: 'disconnect', reasonCode: 0x82 });
    expect(rec.errors.map((e) => e.reasonCode)).toEqual([0x82]);
  });
});

describe('MQTT 5: before CONNACK', () => {
  it('a PUBLISH instead of CONNACK [MQTT-3.2.0-1]: connect() rejects with a typed error, nothing is delivered, no retry from connect()', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.send({ type: 'publish', topic: 't', payload: payload(1), qos: 1, retain: false, dup: false, packetId: 1 });
      }),
    );
    const err = await rejectionOf(connect(broker.url, { protocolVersion: 5, reconnect: FAST }));
    expect(err).toBeInstanceOf(MalformedPacketError);
    expect(err).toMatchObject({ reasonCode: 0x82, code: 'MQTTKIT_ERR_PROTOCOL_ERROR' });
    await within(broker.connection(1).closed, 5_000, 'the close');
    // Not yet connected: the client closes without DISCONNECT, and without a PUBACK (nothing was delivered).
    expect(broker.connection(1).received.map((p) => p.type)).toEqual(['connect']);
    expect(broker.connection(1).closedBy).toBe('client');
    expect(broker.attempts).toBe(1);
  });
});

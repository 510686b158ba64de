/**
 * A broker that gets packet identifiers wrong, and QoS the client did not ask
 * for. Not every mismatch is an error: the specification answers some and
 * lets the rest be ignored, and a client that dropped the connection for each
 * would fight a broker recovering its session.
 *
 * - PUBACK / PUBCOMP for an id not in flight: ignored (a late duplicate does no harm).
 * - PUBREC for an unknown id: answered with PUBREL, 0x92 Packet Identifier not found on MQTT 5 (§3.6.2.1).
 * - PUBREL for an unknown id: answered with PUBCOMP [MQTT-4.3.3-11] (0x92 on MQTT 5, §3.7.2.1).
 * - QoS 2 PUBLISH repeating an id that awaits PUBREL: PUBREC again, no second delivery [MQTT-4.3.3-10].
 * - QoS 1 PUBLISH under an id a QoS 2 message still holds: the broker reused an id in use
 *   [MQTT-2.2.1-4]. MQTT 5 answers PUBACK 0x91 (Packet Identifier in use) and keeps the
 *   connection; MQTT 3.1.1 has no reason codes and closes it [MQTT-4.8.0-1].
 * - A QoS above the one granted: the broker broke [MQTT-3.8.4-8], but the client cannot always
 *   know what was granted (a session's subscriptions may predate this process, and messages
 *   buffered before an UNSUBACK may still come [MQTT-3.10.4-3]), so it completes the flow of the
 *   QoS the message carries and delivers it once.
 */
import { describe, expect, it } from 'vitest';
import { MalformedPacketError } from '../../src/errors.js';
import { within } from '../helpers/clients.js';
import { ScriptedBroker, type ScriptedConnection } from '../helpers/scripted-broker.js';
import { Fixture, guardProcess, type Recorder } from './support.js';

guardProcess();
const fixture = new Fixture();

const x = new Uint8Array([0x78]);

/** A client connected to a quiet scripted broker (it answers PINGREQ and nothing else). */
async function connectedPair(version: 4 | 5): Promise<{ rec: Recorder; c: ScriptedConnection; broker: ScriptedBroker }> {
  const broker = fixture.broker(
    await ScriptedBroker.start(async (c) => {
      await c.accept();
      c.answerPings();
    }),
  );
  const rec = fixture.client(broker, { protocolVersion: version });
  rec.client.start();
  await rec.connected(1);
  return { rec, c: broker.connection(1), broker };
}

/** Proves the connection still works: a QoS 1 publish completes through the scripted broker. */
async function roundTrip(rec: Recorder, c: ScriptedConnection): Promise<void> {
  const done = rec.client.publish('alive', 'x', { qos: 1 });
  const p = await c.next('publish');
  c.send({ type: 'puback', packetId: p.packetId as number, reasonCode: 0 });
  await within(done, 5_000, 'the QoS 1 publish');
}

describe('MQTT 5: acknowledgements for ids not in flight', () => {
  it('PUBACK and PUBCOMP are ignored; PUBREC gets PUBREL 0x92; PUBREL gets PUBCOMP 0x92 [MQTT-4.3.3-11]; the connection stays', async () => {
    const { rec, c, broker } = await connectedPair(5);
    c.send({ type: 'puback', packetId: 42, reasonCode: 0 });
    c.send({ type: 'pubcomp', packetId: 43, reasonCode: 0 });
    c.send({ type: 'pubrec', packetId: 44, reasonCode: 0 });
    expect(await c.next('pubrel')).toEqual({ type: 'pubrel', packetId: 44, reasonCode: 0x92 });
    c.send({ type: 'pubrel', packetId: 45, reasonCode: 0 });
    expect(await c.next('pubcomp')).toEqual({ type: 'pubcomp', packetId: 45, reasonCode: 0x92 });
    await roundTrip(rec, c);
    expect(c.received.filter((p) => p.type === 'disconnect')).toEqual([]);
    expect(rec.errors).toEqual([]);
    expect(rec.offline).toEqual([]);
    expect(broker.attempts).toBe(1);
  });

  it('the wrong acknowledgement for a QoS 2 publish in flight (PUBACK, or PUBCOMP before PUBREC) is ignored; the right ones complete it', async () => {
    const { rec, c } = await connectedPair(5);
    const done = rec.client.publish('q2', 'x', { qos: 2 });
    const p = await c.next('publish');
    const id = p.packetId as number;
    c.send({ type: 'puback', packetId: id, reasonCode: 0 });
    c.send({ type: 'pubcomp', packetId: id, reasonCode: 0 });
    c.send({ type: 'pubrec', packetId: id, reasonCode: 0 });
    expect(await c.next('pubrel')).toEqual({ type: 'pubrel', packetId: id, reasonCode: 0 });
    c.send({ type: 'pubcomp', packetId: id, reasonCode: 0 });
    await within(done, 5_000, 'the QoS 2 publish');
    expect(rec.client.inFlightCount).toBe(0);
    expect(rec.errors).toEqual([]);
  });
});

describe('MQTT 5: incoming packet ids', () => {
  it('a QoS 2 PUBLISH repeated (no DUP) before PUBREL is acknowledged again and delivered once; after PUBCOMP the id is new [MQTT-4.3.3-10] [MQTT-4.3.3-12]', async () => {
    const { rec, c } = await connectedPair(5);
    const got: string[] = [];
    rec.client.on('message', (m) => got.push(m.text()));
    const publish = (text: string) =>
      c.send({ type: 'publish', topic: 'in', payload: new TextEncoder().encode(text), qos: 2, retain: false, dup: false, packetId: 9 });
    publish('first');
    expect(await c.next('pubrec')).toEqual({ type: 'pubrec', packetId: 9, reasonCode: 0 });
    publish('first');
    expect(await c.next('pubrec')).toEqual({ type: 'pubrec', packetId: 9, reasonCode: 0 });
    c.send({ type: 'pubrel', packetId: 9, reasonCode: 0 });
    expect(await c.next('pubcomp')).toEqual({ type: 'pubcomp', packetId: 9, reasonCode: 0 });
    publish('second');
    expect(await c.next('pubrec')).toEqual({ type: 'pubrec', packetId: 9, reasonCode: 0 });
    expect(got).toEqual(['first', 'second']);
    expect(rec.errors).toEqual([]);
  });

  it('a QoS 1 PUBLISH under an id that awaits PUBREL: PUBACK 0x91 (Packet Identifier in use), not delivered, an "error" event, the connection stays [MQTT-2.2.1-4]', async () => {
    const { rec, c, broker } = await connectedPair(5);
    const got: string[] = [];
    rec.client.on('message', (m) => got.push(`${m.qos}:${m.text()}`));
    c.send({ type: 'publish', topic: 'in', payload: x, qos: 2, retain: false, dup: false, packetId: 9 });
    await c.next('pubrec');
    c.send({ type: 'publish', topic: 'in', payload: x, qos: 1, retain: false, dup: false, packetId: 9 });
    expect(await c.next('puback')).toEqual({ type: 'puback', packetId: 9, reasonCode: 0x91 });
    expect(got).toEqual(['2:x']);
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toBeInstanceOf(MalformedPacketError);
    expect(rec.errors[0]).toMatchObject({ reasonCode: 0x82, field: 'packetId' });
    // The QoS 2 exchange is untouched.
    c.send({ type: 'pubrel', packetId: 9, reasonCode: 0 });
    expect(await c.next('pubcomp')).toEqual({ type: 'pubcomp', packetId: 9, reasonCode: 0 });
    await roundTrip(rec, c);
    expect(rec.offline).toEqual([]);
    expect(broker.attempts).toBe(1);
  });

  it('QoS 2 on a subscription granted QoS 0: the QoS 2 flow completes and the message is delivered once [MQTT-3.8.4-8]', async () => {
    const { rec, c } = await connectedPair(5);
    const subscribed = rec.client.subscribe('q/#', { qos: 0 });
    const sub = await c.next('subscribe');
    c.send({ type: 'suback', packetId: sub.packetId, reasonCodes: [0] });
    const subscription = await subscribed;
    expect(subscription.reasonCodes).toEqual([0]);
    const got: string[] = [];
    rec.client.on('message', (m) => got.push(`${m.topic}@${m.qos}`));
    c.send({ type: 'publish', topic: 'q/x', payload: x, qos: 2, retain: false, dup: false, packetId: 5 });
    expect(await c.next('pubrec')).toEqual({ type: 'pubrec', packetId: 5, reasonCode: 0 });
    c.send({ type: 'pubrel', packetId: 5, reasonCode: 0 });
    expect(await c.next('pubcomp')).toEqual({ type: 'pubcomp', packetId: 5, reasonCode: 0 });
    expect(got).toEqual(['q/x@2']);
    expect(rec.errors).toEqual([]);
    expect(c.received.filter((p) => p.type === 'disconnect')).toEqual([]);
  });
});

describe('MQTT 3.1.1: the same mismatches, without reason codes', () => {
  it('PUBACK/PUBCOMP for unknown ids ignored; PUBREC answered with PUBREL; PUBREL answered with PUBCOMP (3.1.1 [MQTT-4.3.3-2])', async () => {
    const { rec, c, broker } = await connectedPair(4);
    c.send({ type: 'puback', packetId: 42 });
    c.send({ type: 'pubcomp', packetId: 43 });
    c.send({ type: 'pubrec', packetId: 44 });
    expect(await c.next('pubrel')).toEqual({ type: 'pubrel', packetId: 44 });
    c.send({ type: 'pubrel', packetId: 45 });
    expect(await c.next('pubcomp')).toEqual({ type: 'pubcomp', packetId: 45 });
    await roundTrip(rec, c);
    expect(rec.errors).toEqual([]);
    expect(broker.attempts).toBe(1);
  });

  it('a QoS 1 PUBLISH under an id that awaits PUBREL: a protocol violation, so the client closes the connection (no DISCONNECT in 3.1.1) and reconnects [MQTT-4.8.0-1]', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.accept();
        c.answerPings();
        if (c.index !== 1) return;
        c.send({ type: 'publish', topic: 'in', payload: x, qos: 2, retain: false, dup: false, packetId: 9 });
        await c.next('pubrec');
        c.send({ type: 'publish', topic: 'in', payload: x, qos: 1, retain: false, dup: false, packetId: 9 });
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 4 });
    const got: number[] = [];
    rec.client.on('message', (m) => got.push(m.qos));
    rec.client.start();
    await rec.connected(2);
    const first = broker.connection(1);
    await within(first.closed, 5_000, 'the close');
    expect(first.closedBy).toBe('client');
    expect(first.received.map((p) => p.type)).toEqual(['connect', 'pubrec']);
    expect(got).toEqual([2]);
    expect(rec.errors.map((e) => [e.code, e.reasonCode])).toEqual([['MQTTKIT_ERR_PROTOCOL_ERROR', 0x82]]);
    expect(rec.reconnects.map((r) => r.attempt)).toEqual([1]);
    expect(broker.attempts).toBe(2);
  });
});

/**
 * Engine: flow control (MQTT 5 §4.9: the broker's Receive Maximum caps what
 * is in flight), running out of packet ids, and the broker's other CONNACK
 * limits, all honoured before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import type { ConnackProperties, PublishPacket } from '../../src/codec/types.js';
import type { EngineOptions } from '../../src/engine/types.js';
import { InvalidArgumentError, StateError } from '../../src/errors.js';
import { EngineHarness } from '../helpers/engine-harness.js';

function connected(connack: ConnackProperties = {}, options: EngineOptions = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', random: () => 0, ...options });
  h.connectAccepted(connack);
  h.takeSent();
  return h;
}

const topics = (h: EngineHarness) => (h.takeSent() as PublishPacket[]).map((p) => p.topic);

describe('engine: Receive Maximum', () => {
  it('never more QoS 1/2 in flight than the broker allows; the rest waits in order [MQTT-4.9.0-2] [MQTT-3.3.4-7]', () => {
    const h = connected({ receiveMaximum: 2 });
    for (const t of ['a', 'b', 'c', 'd']) h.publish(t, 'x', { qos: 1 });
    expect(topics(h)).toEqual(['a', 'b']);
    expect(h.engine.inFlightCount).toBe(2);
    expect(h.engine.queuedCount).toBe(2);
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(topics(h)).toEqual(['c']);
    h.brokerSends({ type: 'puback', packetId: 2 });
    expect(topics(h)).toEqual(['d']);
    expect(h.engine.queuedCount).toBe(0);
  });

  it('a QoS 2 exchange holds its slot until PUBCOMP, not PUBREC', () => {
    const h = connected({ receiveMaximum: 1 });
    h.publish('a', 'x', { qos: 2 });
    h.publish('b', 'x', { qos: 2 });
    expect(topics(h)).toEqual(['a']);
    h.brokerSends({ type: 'pubrec', packetId: 1 });
    expect(h.takeSent().map((p) => p.type)).toEqual(['pubrel']);
    h.brokerSends({ type: 'pubcomp', packetId: 1 });
    expect(topics(h)).toEqual(['b']);
  });

  it('a refusing PUBREC (>= 0x80) frees the slot', () => {
    const h = connected({ receiveMaximum: 1 });
    h.publish('a', 'x', { qos: 2 });
    h.publish('b', 'x', { qos: 2 });
    h.takeSent();
    h.brokerSends({ type: 'pubrec', packetId: 1, reasonCode: 0x80 });
    expect(topics(h)).toEqual(['b']);
  });

  it('a QoS 0 queued behind a waiting QoS 1 keeps its place', () => {
    const h = connected({ receiveMaximum: 1 });
    h.publish('q1-a', 'x', { qos: 1 });
    h.publish('q1-b', 'x', { qos: 1 });
    const op0 = h.publish('q0', 'x', { qos: 0 });
    h.publish('q1-c', 'x', { qos: 1 });
    expect(topics(h)).toEqual(['q1-a']);
    expect(h.settled.has(op0)).toBe(false);
    h.brokerSends({ type: 'puback', packetId: 1 });
    // q1-b takes the freed slot; q0 follows it, but q1-c must wait for the next slot.
    expect(topics(h)).toEqual(['q1-b', 'q0']);
    expect(h.settled.has(op0)).toBe(true);
    h.brokerSends({ type: 'puback', packetId: 2 });
    expect(topics(h)).toEqual(['q1-c']);
  });

  it('a QoS 0 with nothing queued goes out even when the quota is used up', () => {
    const h = connected({ receiveMaximum: 1 });
    h.publish('q1', 'x', { qos: 1 });
    h.publish('q0', 'x', { qos: 0 });
    expect(topics(h)).toEqual(['q1', 'q0']);
  });

  it('the quota is per connection: a new CONNACK with a larger Receive Maximum lets the queue out', () => {
    const h = connected({ receiveMaximum: 1 });
    for (const t of ['a', 'b', 'c']) h.publish(t, 'x', { qos: 1 });
    h.transportClosed();
    h.reconnectAccepted({ receiveMaximum: 10 }, false);
    expect(topics(h)).toEqual(['a', 'b', 'c']);
  });

  it('resends after a reconnect respect the new connection’s Receive Maximum [MQTT-4.9.0-2]', () => {
    const h = connected({}, { clean: false });
    for (const t of ['a', 'b', 'c']) h.publish(t, 'x', { qos: 1 });
    h.takeSent();
    h.transportClosed();
    h.reconnectAccepted({ receiveMaximum: 1 }, true);
    expect(topics(h)).toEqual(['a']);
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(topics(h)).toEqual(['b']);
  });

  it('more than 65,535 outstanding QoS 1 publishes: the extra ones wait and go out as ids free up (65,600 publishes)', () => {
    const h = connected({ receiveMaximum: 65_535 });
    const N = 65_600;
    const inFlight = new Set<number>();
    let maxInFlight = 0;
    let sentCount = 0;
    const onSent = () => {
      for (const p of h.takeSent()) {
        if (p.type !== 'publish') continue;
        const id = p.packetId as number;
        expect(id >= 1 && id <= 65_535).toBe(true);
        if (inFlight.has(id)) throw new Error(`packet id ${id} reused while in flight`);
        inFlight.add(id);
        sentCount++;
      }
      maxInFlight = Math.max(maxInFlight, inFlight.size);
    };
    const payload = new Uint8Array(1);
    const ops: number[] = [];
    for (let i = 0; i < N; i++) ops.push(h.publish('t', payload, { qos: 1 }));
    onSent();
    expect(sentCount).toBe(65_535);
    expect(h.engine.queuedCount).toBe(N - 65_535);
    expect(h.failed.size).toBe(0);
    // Acknowledge the oldest 65: each ack lets exactly one waiting publish out.
    for (let id = 1; id <= 65; id++) {
      h.brokerSends({ type: 'puback', packetId: id });
      inFlight.delete(id);
      onSent();
    }
    expect(sentCount).toBe(N);
    expect(h.engine.queuedCount).toBe(0);
    expect(maxInFlight).toBe(65_535);
    for (const id of [...inFlight]) h.brokerSends({ type: 'puback', packetId: id });
    expect(h.settled.size).toBe(N);
    expect(h.failed.size).toBe(0);
    expect(ops.every((op) => h.settled.get(op)?.kind === 'publish')).toBe(true);
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('with every id taken by publishes, a SUBSCRIBE waits for a free id instead of failing', () => {
    const h = connected();
    const payload = new Uint8Array(0);
    for (let i = 0; i < 65_535; i++) h.publish('t', payload, { qos: 1 });
    h.takeSent();
    const op = h.subscribe('s');
    expect(h.takeSent()).toEqual([]);
    expect(h.failed.has(op)).toBe(false);
    h.brokerSends({ type: 'puback', packetId: 500 });
    expect(h.expectSent('subscribe').packetId).toBe(500);
  });
});

describe('engine: broker limits from CONNACK, honoured before sending', () => {
  it('Maximum QoS 1: a QoS 2 publish fails with StateError NOT_SUPPORTED 0x9b, nothing sent [MQTT-3.2.2-11]', () => {
    const h = connected({ maximumQoS: 1 });
    const op = h.publish('t', 'x', { qos: 2 });
    const err = h.failed.get(op);
    expect(err).toBeInstanceOf(StateError);
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_NOT_SUPPORTED', reasonCode: 0x9b });
    expect(h.takeSent()).toEqual([]);
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('Maximum QoS 0: a QoS 1 publish fails with 0x9b [MQTT-3.2.2-11]', () => {
    const h = connected({ maximumQoS: 0 });
    const op = h.publish('t', 'x', { qos: 1 });
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_NOT_SUPPORTED', reasonCode: 0x9b });
    expect(h.takeSent()).toEqual([]);
  });

  it('Retain Available 0: a retained publish fails with 0x9a, nothing sent [MQTT-3.2.2-14]', () => {
    const h = connected({ retainAvailable: false });
    const op = h.publish('t', 'x', { retain: true });
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_NOT_SUPPORTED', reasonCode: 0x9a });
    expect(h.takeSent()).toEqual([]);
  });

  it('Maximum Packet Size: a bigger packet fails with InvalidArgumentError 0x95, nothing sent [MQTT-3.2.2-15]', () => {
    const h = connected({ maximumPacketSize: 64 });
    const op = h.publish('t', new Uint8Array(100), { qos: 1 });
    const err = h.failed.get(op);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err?.reasonCode).toBe(0x95);
    expect(h.takeSent()).toEqual([]);
    expect(h.engine.inFlightCount).toBe(0);
    const next = h.publish('t', 'small', { qos: 1 });
    expect(h.expectSent('publish').topic).toBe('t');
    expect(h.failed.has(next)).toBe(false);
  });

  it('Maximum Packet Size: a packet of exactly the maximum is sent', () => {
    const h = connected({ maximumPacketSize: 64 });
    // MQTT 5 QoS 0: 1 type byte + 1 length byte + (2 + 1) topic + 1 property length + payload = 64.
    const op = h.publish('t', new Uint8Array(58));
    expect(h.settled.has(op)).toBe(true);
    expect(h.sent[h.sent.length - 1].bytes.length).toBe(64);
  });

  it('a publish queued while offline that breaks the new limits fails when dequeued; the ones behind still go', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const bad = h.publish('t', 'x', { qos: 2 });
    const good = h.publish('u', 'y', { qos: 1 });
    h.connectAccepted({ maximumQoS: 1 });
    expect(h.failed.get(bad)).toMatchObject({ reasonCode: 0x9b });
    expect(topics(h)).toEqual(['u']);
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(h.settled.has(good)).toBe(true);
  });

  it('limits are per connection: a CONNACK without them lifts them again', () => {
    const h = connected({ retainAvailable: false });
    h.transportClosed();
    h.reconnectAccepted();
    const op = h.publish('t', 'x', { retain: true });
    expect(h.settled.has(op)).toBe(true);
  });

  it('Wildcard Subscription Available 0: SUBSCRIBE with + or # fails with 0xa2, nothing sent', () => {
    const h = connected({ wildcardSubscriptionAvailable: false });
    const op = h.subscribe('a/+');
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_NOT_SUPPORTED', reasonCode: 0xa2 });
    expect(h.takeSent()).toEqual([]);
    h.subscribe('a/b');
    expect(h.expectSent('subscribe').packetId).toBe(1);
  });

  it('Shared Subscription Available 0: SUBSCRIBE to $share/... fails with 0x9e, nothing sent', () => {
    const h = connected({ sharedSubscriptionAvailable: false });
    const op = h.subscribe('$share/g/a');
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_NOT_SUPPORTED', reasonCode: 0x9e });
    expect(h.takeSent()).toEqual([]);
  });

  it('Subscription Identifiers Available 0: SUBSCRIBE with an identifier fails with 0xa1, nothing sent', () => {
    const h = connected({ subscriptionIdentifiersAvailable: false });
    const op = h.subscribe([{ topicFilter: 'a', qos: 0 }], { subscriptionIdentifier: 7 });
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_NOT_SUPPORTED', reasonCode: 0xa1 });
    expect(h.takeSent()).toEqual([]);
  });
});

describe('engine: a transport whose send buffer is full', () => {
  it('publishes wait in the queue (within its bounds) until the transport drains; acks and pings still go out', () => {
    const h = connected({}, { maxQueuedMessages: 2 });
    h.publish('a', 'x', { qos: 1 });
    h.feed({ type: 'writable', writable: false });
    h.publish('b', 'x', { qos: 1 });
    const q0 = h.publish('c', 'x', { qos: 0 });
    const overflow = h.publish('d', 'x', { qos: 1 });
    expect(topics(h)).toEqual(['a']);
    expect(h.engine.queuedCount).toBe(2);
    expect(h.failed.get(overflow)).toMatchObject({ code: 'MQTTKIT_ERR_QUEUE_FULL' });
    // The broker's traffic is still answered: a QoS 1 PUBLISH gets its PUBACK.
    h.brokerSends({ type: 'publish', topic: 'in', payload: new Uint8Array(0), qos: 1, packetId: 7, retain: false, dup: false });
    expect(h.takeSent()).toMatchObject([{ type: 'puback', packetId: 7 }]);
    h.feed({ type: 'writable', writable: true });
    expect(topics(h)).toEqual(['b', 'c']);
    expect(h.failed.get(q0)).toBeUndefined();
    expect(h.settled.has(q0)).toBe(true);
    expect(h.engine.queuedCount).toBe(0);
  });

  it('a new connection starts writable', () => {
    const h = connected();
    h.feed({ type: 'writable', writable: false });
    h.transportClosed(new Error('reset'));
    h.advance(60_000);
    h.acceptConnection();
    h.takeSent();
    h.publish('a', 'x', { qos: 1 });
    expect(topics(h)).toEqual(['a']);
  });
});

describe('engine: maxInFlight', () => {
  it('MQTT 3.1.1 has no Receive Maximum: at most 20 QoS 1/2 in flight by default, the rest waits in order', () => {
    const h = new EngineHarness({ protocolVersion: 4, clientId: 'c' });
    h.connectAccepted();
    h.takeSent();
    for (let i = 0; i < 25; i++) h.publish(`t/${i}`, 'x', { qos: 2 });
    expect(topics(h)).toHaveLength(20);
    expect(h.engine.queuedCount).toBe(5);
    h.brokerSends({ type: 'pubrec', packetId: 1 });
    expect(h.takeSent().map((p) => p.type)).toEqual(['pubrel']);
    h.brokerSends({ type: 'pubcomp', packetId: 1 });
    expect(topics(h)).toEqual(['t/20']);
  });

  it('the option lowers the broker’s Receive Maximum, never raises it', () => {
    const low = connected({ receiveMaximum: 100 }, { maxInFlight: 3 });
    for (let i = 0; i < 5; i++) low.publish(`t/${i}`, 'x', { qos: 1 });
    expect(topics(low)).toHaveLength(3);
    const high = connected({ receiveMaximum: 2 }, { maxInFlight: 50 });
    for (let i = 0; i < 5; i++) high.publish(`t/${i}`, 'x', { qos: 1 });
    expect(topics(high)).toHaveLength(2);
  });

  it('MQTT 5 without the option: only the broker’s Receive Maximum applies', () => {
    const h = connected({});
    for (let i = 0; i < 100; i++) h.publish(`t/${i}`, 'x', { qos: 1 });
    expect(topics(h)).toHaveLength(100);
  });
});

/**
 * Engine: what happens to in-flight state across a reconnect (MQTT 5 §4.4,
 * §4.6): resend with DUP and the original ids when the session is kept;
 * new messages and re-subscription when it was lost.
 */
import { describe, expect, it } from 'vitest';
import type { PublishPacket, SubscribePacket } from '../../src/codec/types.js';
import type { EngineOptions } from '../../src/engine/types.js';
import { bytesOf, EngineHarness } from '../helpers/engine-harness.js';

function connected(options: EngineOptions = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', clean: false, random: () => 0, ...options });
  h.connectAccepted();
  h.takeSent();
  return h;
}

/** Four exchanges in flight: QoS 1 ids 1 and 2, QoS 2 id 3 awaiting PUBREC, QoS 2 id 4 past PUBREC. */
function fourInFlight(h: EngineHarness): number[] {
  const ops = [
    h.publish('t/1', 'one', { qos: 1 }),
    h.publish('t/2', 'two', { qos: 1 }),
    h.publish('t/3', 'three', { qos: 2 }),
    h.publish('t/4', 'four', { qos: 2 }),
  ];
  h.brokerSends({ type: 'pubrec', packetId: 4 });
  h.takeSent();
  return ops;
}

describe('engine: resend with the session present', () => {
  it('unacknowledged PUBLISHes are resent with DUP=1, their original ids, in original order [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.6.0-1]', () => {
    const h = connected();
    fourInFlight(h);
    h.transportClosed(new Error('reset'));
    h.reconnectAccepted(undefined, true);
    const sent = h.takeSent();
    const publishes = sent.filter((p): p is PublishPacket => p.type === 'publish');
    expect(publishes.map((p) => [p.packetId, p.dup, p.topic, p.qos])).toEqual([
      [1, true, 't/1', 1],
      [2, true, 't/2', 1],
      [3, true, 't/3', 2],
    ]);
    expect(publishes[0].payload).toEqual(bytesOf('one'));
  });

  it('PUBREL is resent for an exchange past PUBREC, and its PUBLISH is not [MQTT-4.4.0-1] [MQTT-4.3.3-6]', () => {
    const h = connected();
    fourInFlight(h);
    h.transportClosed();
    h.reconnectAccepted(undefined, true);
    const sent = h.takeSent();
    expect(sent.filter((p) => p.type === 'pubrel')).toEqual([{ type: 'pubrel', packetId: 4, reasonCode: 0 }]);
    expect(sent.some((p) => p.type === 'publish' && p.packetId === 4)).toBe(false);
  });

  it('PUBRELs are resent in the order the PUBRECs arrived [MQTT-4.6.0-4]', () => {
    const h = connected();
    h.publish('a', '1', { qos: 2 });
    h.publish('b', '2', { qos: 2 });
    h.publish('c', '3', { qos: 2 });
    h.brokerSends({ type: 'pubrec', packetId: 3 });
    h.brokerSends({ type: 'pubrec', packetId: 1 });
    h.brokerSends({ type: 'pubrec', packetId: 2 });
    h.transportClosed();
    h.reconnectAccepted(undefined, true);
    expect(h.takeSent().map((p) => (p.type === 'pubrel' ? p.packetId : p.type))).toEqual([3, 1, 2]);
  });

  it('the resent exchanges complete and settle the original operations', () => {
    const h = connected();
    const ops = fourInFlight(h);
    h.transportClosed();
    h.reconnectAccepted(undefined, true);
    h.brokerSends({ type: 'puback', packetId: 1 });
    h.brokerSends({ type: 'puback', packetId: 2 });
    h.brokerSends({ type: 'pubrec', packetId: 3 });
    h.brokerSends({ type: 'pubcomp', packetId: 3 });
    h.brokerSends({ type: 'pubcomp', packetId: 4 });
    for (const op of ops) expect(h.settled.get(op)?.kind).toBe('publish');
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('publishes queued while offline follow the resent ones, with fresh ids and DUP=0', () => {
    const h = connected();
    h.publish('old', 'x', { qos: 1 });
    h.transportClosed();
    h.publish('new', 'y', { qos: 1 });
    h.reconnectAccepted(undefined, true);
    const sent = h.takeSent() as PublishPacket[];
    expect(sent.map((p) => [p.topic, p.packetId, p.dup])).toEqual([
      ['old', 1, true],
      ['new', 2, false],
    ]);
  });

  it('subscriptions are not sent again when the session is present', () => {
    const h = connected();
    h.subscribe('s/+');
    h.brokerSends({ type: 'suback', packetId: 1, reasonCodes: [0] });
    h.transportClosed();
    h.reconnectAccepted(undefined, true);
    expect(h.takeSent()).toEqual([]);
  });

  it('a SUBSCRIBE in flight when the connection dropped is sent again and its operation settles', () => {
    const h = connected();
    const op = h.subscribe('s');
    h.transportClosed();
    h.reconnectAccepted(undefined, true);
    const sub = h.expectSent('subscribe');
    h.brokerSends({ type: 'suback', packetId: sub.packetId, reasonCodes: [0] });
    expect(h.settled.get(op)).toEqual({ kind: 'subscribe', reasonCodes: [0] });
  });
});

describe('engine: reconnect without the session', () => {
  it('unacknowledged PUBLISHes go out again as new messages (DUP=0), in original order', () => {
    const h = connected();
    fourInFlight(h);
    h.transportClosed();
    h.reconnectAccepted(undefined, false);
    const sent = h.takeSent();
    expect(sent.every((p) => p.type === 'publish')).toBe(true);
    const publishes = sent as PublishPacket[];
    expect(publishes.map((p) => [p.topic, p.qos, p.dup])).toEqual([
      ['t/1', 1, false],
      ['t/2', 1, false],
      ['t/3', 2, false],
    ]);
    expect(new Set(publishes.map((p) => p.packetId)).size).toBe(3);
  });

  it('the new messages settle the original operations; the one past PUBREC counts as delivered', () => {
    const h = connected();
    const ops = fourInFlight(h);
    h.transportClosed();
    h.reconnectAccepted(undefined, false);
    expect(h.settled.get(ops[3])?.kind).toBe('publish');
    const [p1, p2, p3] = h.takeSent() as PublishPacket[];
    h.brokerSends({ type: 'puback', packetId: p1.packetId as number });
    h.brokerSends({ type: 'puback', packetId: p2.packetId as number });
    h.brokerSends({ type: 'pubrec', packetId: p3.packetId as number });
    h.brokerSends({ type: 'pubcomp', packetId: p3.packetId as number });
    for (const op of ops) expect(h.settled.get(op)?.kind).toBe('publish');
    expect(h.failed.size).toBe(0);
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('the granted subscriptions are made again (before the publishes); refused and unsubscribed ones are not', () => {
    const h = connected();
    h.subscribe([
      { topicFilter: 'a/#', qos: 1 },
      { topicFilter: 'denied', qos: 0 },
    ]);
    h.brokerSends({ type: 'suback', packetId: 1, reasonCodes: [1, 0x87] });
    h.subscribe([{ topicFilter: 'b', qos: 2, noLocal: true }]);
    h.brokerSends({ type: 'suback', packetId: 2, reasonCodes: [2] });
    h.subscribe('gone');
    h.brokerSends({ type: 'suback', packetId: 3, reasonCodes: [0] });
    h.unsubscribe(['gone']);
    h.brokerSends({ type: 'unsuback', packetId: 4, reasonCodes: [0] });
    h.publish('p', 'x', { qos: 1 });
    h.transportClosed();
    h.reconnectAccepted(undefined, false);
    const sent = h.takeSent();
    expect(sent.map((p) => p.type)).toEqual(['subscribe', 'subscribe', 'publish']);
    const filters = (sent.slice(0, 2) as SubscribePacket[]).flatMap((s) => s.subscriptions);
    expect(filters).toEqual([
      expect.objectContaining({ topicFilter: 'a/#', qos: 1 }),
      expect.objectContaining({ topicFilter: 'b', qos: 2, noLocal: true }),
    ]);
  });

  it('resubscribe: false leaves re-subscription to the application', () => {
    const h = connected({ resubscribe: false });
    h.subscribe('a');
    h.brokerSends({ type: 'suback', packetId: 1, reasonCodes: [0] });
    h.transportClosed();
    h.reconnectAccepted(undefined, false);
    expect(h.takeSent()).toEqual([]);
  });

  it('incoming QoS 2 state is forgotten with the session: the same id is a new message', () => {
    const h = connected();
    h.brokerSends({ type: 'publish', topic: 'in', payload: bytesOf('1'), qos: 2, retain: false, dup: false, packetId: 5 });
    h.transportClosed();
    h.reconnectAccepted(undefined, false);
    h.brokerSends({ type: 'publish', topic: 'in', payload: bytesOf('2'), qos: 2, retain: false, dup: false, packetId: 5 });
    expect(h.delivered.map((m) => new TextDecoder().decode(m.payload))).toEqual(['1', '2']);
  });
});

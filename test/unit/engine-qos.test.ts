/**
 * Engine: QoS 0/1/2 in both directions (MQTT 5 §4.3, §2.2.1), SUBSCRIBE and
 * UNSUBSCRIBE, and invalid arguments. Statement numbers are MQTT 5.0's.
 */
import { describe, expect, it } from 'vitest';
import type { PublishPacket } from '../../src/codec/types.js';
import { InvalidArgumentError, ReasonCodeError } from '../../src/errors.js';
import { bytesOf, EngineHarness, hex } from '../helpers/engine-harness.js';

function connected(options: ConstructorParameters<typeof EngineHarness>[0] = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', ...options });
  h.connectAccepted();
  h.takeSent();
  return h;
}

function incoming(qos: 0 | 1 | 2, packetId?: number, topic = 'in/t', payload = 'hello', dup = false): PublishPacket {
  const p: PublishPacket = { type: 'publish', topic, payload: bytesOf(payload), qos, retain: false, dup };
  if (packetId !== undefined) p.packetId = packetId;
  return p;
}

describe('engine: packet identifiers', () => {
  it('QoS > 0 PUBLISH, SUBSCRIBE and UNSUBSCRIBE get distinct non-zero ids from 1 upward [MQTT-2.2.1-3]', () => {
    const h = connected();
    h.publish('a', 'x', { qos: 1 });
    h.subscribe('s');
    h.publish('b', 'y', { qos: 2 });
    h.unsubscribe(['s']);
    h.publish('c', 'z', { qos: 0 });
    const sent = h.takeSent();
    expect(sent.map((p) => [p.type, 'packetId' in p ? p.packetId : undefined])).toEqual([
      ['publish', 1],
      ['subscribe', 2],
      ['publish', 3],
      ['unsubscribe', 4],
      ['publish', undefined],
    ]);
  });

  it('an id is not reused while its exchange is in flight [MQTT-2.2.1-3]', () => {
    const h = connected();
    for (let i = 0; i < 3; i++) h.publish('t', `${i}`, { qos: 1 });
    h.brokerSends({ type: 'puback', packetId: 2 });
    h.takeSent();
    h.publish('t', 'next', { qos: 1 });
    const id = (h.expectSent('publish') as PublishPacket).packetId;
    expect(id).not.toBe(1);
    expect(id).not.toBe(3);
    expect(h.engine.inFlightCount).toBe(3);
  });
});

describe('engine: QoS 0 outgoing', () => {
  it('sends PUBLISH with no packet id and settles at once (byte-exact)', () => {
    const h = connected();
    const op = h.publish('a/b', 'hi');
    const last = h.sent[h.sent.length - 1];
    expect(hex(last.bytes)).toBe('30 08 00 03 61 2f 62 00 68 69');
    expect(h.settled.get(op)).toEqual({ kind: 'publish' });
  });
});

describe('engine: QoS 1 outgoing', () => {
  it('sends PUBLISH with qos 1, dup 0 and an id; PUBACK settles it [MQTT-4.3.2-1] [MQTT-4.3.2-2]', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 1 });
    expect(h.expectSent('publish')).toMatchObject({ topic: 't', qos: 1, dup: false, packetId: 1 });
    expect(h.settled.has(op)).toBe(false);
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(h.settled.get(op)).toMatchObject({ kind: 'publish', reasonCode: 0 });
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('PUBACK 0x10 (no matching subscribers) is a success carrying its reason code', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 1 });
    h.brokerSends({ type: 'puback', packetId: 1, reasonCode: 0x10 });
    expect(h.settled.get(op)).toMatchObject({ kind: 'publish', reasonCode: 0x10 });
  });

  it('PUBACK >= 0x80 fails the publish with a ReasonCodeError carrying the reason code and reason string', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 1 });
    h.brokerSends({ type: 'puback', packetId: 1, reasonCode: 0x87, properties: { reasonString: 'acl' } });
    const err = h.failed.get(op);
    expect(err).toBeInstanceOf(ReasonCodeError);
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87, packet: 'puback', reasonString: 'acl' });
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('a publish refused by PUBACK >= 0x80 is acknowledged: not resent on reconnect [MQTT-4.4.0-2]', () => {
    const h = connected({ clean: false, random: () => 0 });
    h.publish('t', 'x', { qos: 1 });
    h.brokerSends({ type: 'puback', packetId: 1, reasonCode: 0x97 });
    h.transportClosed();
    h.reconnectAccepted(undefined, true);
    expect(h.takeSent()).toEqual([]);
  });

  it('MQTT 3.1.1: PUBACK settles the publish', () => {
    const h = connected({ protocolVersion: 4 });
    const op = h.publish('t', 'x', { qos: 1 });
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(h.settled.get(op)?.kind).toBe('publish');
  });

  it('a PUBACK for an unknown id is ignored', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 1 });
    h.brokerSends({ type: 'puback', packetId: 9 });
    expect(h.settled.has(op)).toBe(false);
    expect(h.takeSent()).toEqual([expect.objectContaining({ type: 'publish' })]);
    expect(h.closes).toEqual([]);
  });
});

describe('engine: QoS 2 outgoing', () => {
  it('PUBLISH, PUBREC -> PUBREL with the same id [MQTT-4.3.3-3] [MQTT-4.3.3-4], PUBCOMP settles [MQTT-4.3.3-5]', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 2 });
    expect(h.expectSent('publish')).toMatchObject({ qos: 2, dup: false, packetId: 1 });
    h.brokerSends({ type: 'pubrec', packetId: 1 });
    const last = h.sent[h.sent.length - 1];
    expect(h.expectSent('pubrel')).toEqual({ type: 'pubrel', packetId: 1, reasonCode: 0 });
    expect(hex(last.bytes)).toBe('62 02 00 01'); // shortest form: success, no properties
    expect(h.settled.has(op)).toBe(false);
    h.brokerSends({ type: 'pubcomp', packetId: 1 });
    expect(h.settled.get(op)).toMatchObject({ kind: 'publish', reasonCode: 0 });
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('a PUBREC >= 0x80 ends the exchange: no PUBREL, the publish fails with the reason code', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 2 });
    h.takeSent();
    h.brokerSends({ type: 'pubrec', packetId: 1, reasonCode: 0x97 });
    expect(h.takeSent()).toEqual([]);
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_QUOTA_EXCEEDED', reasonCode: 0x97, packet: 'pubrec' });
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('MQTT 5: a PUBREC for an unknown id is answered with PUBREL 0x92', () => {
    const h = connected();
    h.brokerSends({ type: 'pubrec', packetId: 77 });
    expect(h.takeSent()).toEqual([{ type: 'pubrel', packetId: 77, reasonCode: 0x92 }]);
  });

  it('MQTT 3.1.1: a PUBREC for an unknown id is answered with a plain PUBREL', () => {
    const h = connected({ protocolVersion: 4 });
    h.brokerSends({ type: 'pubrec', packetId: 77 });
    expect(h.takeSent()).toEqual([{ type: 'pubrel', packetId: 77 }]);
  });

  it('a repeated PUBREC is answered with PUBREL again, and PUBCOMP still settles once', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 2 });
    h.brokerSends({ type: 'pubrec', packetId: 1 });
    h.brokerSends({ type: 'pubrec', packetId: 1 });
    expect(h.takeSent().map((p) => p.type)).toEqual(['publish', 'pubrel', 'pubrel']);
    h.brokerSends({ type: 'pubcomp', packetId: 1 });
    expect(h.settled.has(op)).toBe(true);
  });

  it('a PUBCOMP before PUBREC (or for an unknown id) is ignored', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 2 });
    h.brokerSends({ type: 'pubcomp', packetId: 1 });
    h.brokerSends({ type: 'pubcomp', packetId: 5 });
    expect(h.settled.has(op)).toBe(false);
    expect(h.engine.inFlightCount).toBe(1);
  });
});

describe('engine: incoming publishes', () => {
  it('QoS 0: delivered, nothing sent back', () => {
    const h = connected();
    h.brokerSends({ ...incoming(0), retain: true, properties: { contentType: 'text/plain' } });
    expect(h.delivered).toEqual([
      { topic: 'in/t', payload: bytesOf('hello'), qos: 0, retain: true, dup: false, properties: { contentType: 'text/plain' } },
    ]);
    expect(h.takeSent()).toEqual([]);
  });

  it('QoS 1: delivered and PUBACK with the same id [MQTT-4.3.2-4] (byte-exact, shortest form)', () => {
    const h = connected();
    h.brokerSends(incoming(1, 7));
    expect(h.delivered).toHaveLength(1);
    const last = h.sent[h.sent.length - 1];
    expect(h.expectSent('puback')).toEqual({ type: 'puback', packetId: 7, reasonCode: 0 });
    expect(hex(last.bytes)).toBe('40 02 00 07');
  });

  it('QoS 2: delivered once and PUBREC with the same id [MQTT-4.3.3-8]', () => {
    const h = connected();
    h.brokerSends(incoming(2, 9));
    expect(h.delivered.map((m) => m.qos)).toEqual([2]);
    expect(h.takeSent()).toEqual([{ type: 'pubrec', packetId: 9, reasonCode: 0 }]);
  });

  it('QoS 2: a repeated PUBLISH before PUBREL is not delivered again, PUBREC is sent again [MQTT-4.3.3-10]', () => {
    const h = connected();
    h.brokerSends(incoming(2, 9));
    h.brokerSends(incoming(2, 9, 'in/t', 'hello', true));
    expect(h.delivered).toHaveLength(1);
    expect(h.takeSent()).toEqual([
      { type: 'pubrec', packetId: 9, reasonCode: 0 },
      { type: 'pubrec', packetId: 9, reasonCode: 0 },
    ]);
  });

  it('QoS 2: PUBREL is answered with PUBCOMP [MQTT-4.3.3-11]; afterwards the id is a new message [MQTT-4.3.3-12]', () => {
    const h = connected();
    h.brokerSends(incoming(2, 9));
    h.takeSent();
    h.brokerSends({ type: 'pubrel', packetId: 9 });
    expect(h.takeSent()).toEqual([{ type: 'pubcomp', packetId: 9, reasonCode: 0 }]);
    h.brokerSends(incoming(2, 9, 'in/t', 'second'));
    expect(h.delivered).toHaveLength(2);
  });

  it('MQTT 5: an unknown PUBREL is answered with PUBCOMP 0x92', () => {
    const h = connected();
    h.brokerSends({ type: 'pubrel', packetId: 40 });
    expect(h.takeSent()).toEqual([{ type: 'pubcomp', packetId: 40, reasonCode: 0x92 }]);
  });

  it('MQTT 3.1.1: an unknown PUBREL is answered with a plain PUBCOMP [MQTT-4.3.3-11]', () => {
    const h = connected({ protocolVersion: 4 });
    h.brokerSends({ type: 'pubrel', packetId: 40 });
    expect(h.takeSent()).toEqual([{ type: 'pubcomp', packetId: 40 }]);
  });

  it('QoS 2 exactly once survives a reconnect with the session kept (id remembered until PUBREL)', () => {
    const h = connected({ clean: false, random: () => 0 });
    h.brokerSends(incoming(2, 3));
    h.transportClosed(new Error('reset'));
    h.reconnectAccepted(undefined, true);
    h.takeSent();
    h.brokerSends(incoming(2, 3, 'in/t', 'hello', true));
    expect(h.delivered).toHaveLength(1);
    expect(h.takeSent()).toEqual([{ type: 'pubrec', packetId: 3, reasonCode: 0 }]);
    h.brokerSends({ type: 'pubrel', packetId: 3 });
    expect(h.takeSent()).toEqual([{ type: 'pubcomp', packetId: 3, reasonCode: 0 }]);
  });

  it('more QoS 2 awaiting PUBREL than our Receive Maximum: DISCONNECT 0x93 [MQTT-3.3.4-9]', () => {
    const h = connected({ properties: { receiveMaximum: 2 } });
    h.brokerSends(incoming(2, 1));
    h.brokerSends(incoming(2, 2));
    h.takeSent();
    h.brokerSends(incoming(2, 3));
    expect(h.delivered).toHaveLength(2);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x93 }]);
    expect(h.closes).toHaveLength(1);
  });

  it('many packets in one chunk and the same packets byte by byte give the same result', () => {
    const packets = [incoming(0), incoming(1, 1), incoming(2, 2), { type: 'pubrel' as const, packetId: 2 }];
    const a = connected();
    a.brokerSendsAll(packets);
    const b = connected();
    for (const p of packets) b.brokerSends(p, { split: true });
    expect(a.delivered).toHaveLength(3);
    expect(b.delivered).toEqual(a.delivered);
    expect(b.takeSent()).toEqual(a.takeSent());
  });
});

describe('engine: SUBSCRIBE and UNSUBSCRIBE', () => {
  it('SUBACK settles with the granted reason codes', () => {
    const h = connected();
    const op = h.subscribe([
      { topicFilter: 'a/+', qos: 1 },
      { topicFilter: 'b/#', qos: 2 },
    ]);
    expect(h.expectSent('subscribe')).toMatchObject({ packetId: 1, subscriptions: [{ topicFilter: 'a/+' }, { topicFilter: 'b/#' }] });
    h.brokerSends({ type: 'suback', packetId: 1, reasonCodes: [1, 0x87] });
    expect(h.settled.get(op)).toEqual({ kind: 'subscribe', reasonCodes: [1, 0x87] });
  });

  it('a SUBACK refusing every filter fails the subscribe with a ReasonCodeError', () => {
    const h = connected();
    const op = h.subscribe('a');
    h.brokerSends({ type: 'suback', packetId: 1, reasonCodes: [0x8f] });
    expect(h.failed.get(op)).toMatchObject({ code: 'MQTTKIT_ERR_TOPIC_FILTER_INVALID', reasonCode: 0x8f, packet: 'suback' });
  });

  it('UNSUBACK settles the unsubscribe (MQTT 3.1.1: no reason codes on the wire)', () => {
    const h = connected({ protocolVersion: 4 });
    const op = h.unsubscribe(['a', 'b']);
    expect(h.expectSent('unsubscribe')).toEqual({ type: 'unsubscribe', packetId: 1, topicFilters: ['a', 'b'] });
    h.brokerSends({ type: 'unsuback', packetId: 1 });
    expect(h.settled.get(op)).toEqual({ kind: 'unsubscribe', reasonCodes: [0, 0] });
  });

  it('a SUBSCRIBE while offline waits and goes out after CONNACK', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.subscribe('x');
    h.connectAccepted();
    expect(h.takeSent().map((p) => p.type)).toEqual(['subscribe']);
  });
});

describe('engine: invalid arguments fail at once, nothing sent or queued', () => {
  it('publish to "a/#" (a wildcard in a topic name) while connected', () => {
    const h = connected();
    const op = h.publish('a/#', 'x', { qos: 1 });
    expect(h.failed.get(op)).toBeInstanceOf(InvalidArgumentError);
    expect(h.takeSent()).toEqual([]);
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('publish to "a/#" while offline is not queued', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const op = h.publish('a/#', 'x', { qos: 1 });
    expect(h.failed.get(op)).toBeInstanceOf(InvalidArgumentError);
    expect(h.engine.queuedCount).toBe(0);
  });

  it('publish with qos 3 while connected is an InvalidArgumentError', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 3 as 0 });
    expect(h.failed.get(op)).toBeInstanceOf(InvalidArgumentError);
    expect(h.takeSent()).toEqual([]);
  });

  it('publish with qos 3 while offline is an InvalidArgumentError and is not queued', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const op = h.publish('t', 'x', { qos: 3 as 0 });
    expect(h.failed.get(op)).toBeInstanceOf(InvalidArgumentError);
    expect(h.engine.queuedCount).toBe(0);
  });

  it('a publish queued behind others is validated when queued, not when sent', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.connectAccepted({ receiveMaximum: 1 });
    h.publish('t', 'first', { qos: 1 }); // takes the only slot
    const op = h.publish('bad/+', 'x', { qos: 1 });
    expect(h.failed.get(op)).toBeInstanceOf(InvalidArgumentError);
    expect(h.engine.queuedCount).toBe(0);
  });

  it('subscribe to an invalid filter "a/#/b" fails at once', () => {
    const h = connected();
    const op = h.subscribe('a/#/b');
    expect(h.failed.get(op)).toBeInstanceOf(InvalidArgumentError);
    expect(h.takeSent()).toEqual([]);
  });
});

/**
 * Engine: the end of connections and of the client. Server DISCONNECT,
 * enhanced authentication (AUTH), end() graceful and forced, cancellation,
 * and malformed bytes from the broker.
 */
import { describe, expect, it } from 'vitest';
import type { PublishPacket } from '../../src/codec/types.js';
import type { EngineOptions } from '../../src/engine/types.js';
import { MalformedPacketError, ReasonCodeError, StateError } from '../../src/errors.js';
import { EngineHarness, hex } from '../helpers/engine-harness.js';

function connected(options: EngineOptions = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', random: () => 0.5, ...options });
  h.connectAccepted();
  h.takeSent();
  return h;
}

const enc = new TextEncoder();

describe('engine: DISCONNECT from the server', () => {
  it('emits "disconnect" with the packet (reason code, server reference), closes, and reconnects for a retryable reason', () => {
    const h = connected();
    h.brokerSends({ type: 'disconnect', reasonCode: 0x9c, properties: { serverReference: 'other:1883', reasonString: 'moved' } });
    expect(h.lastEvent('disconnect')?.packet).toEqual({
      type: 'disconnect',
      reasonCode: 0x9c,
      properties: { serverReference: 'other:1883', reasonString: 'moved' },
    });
    expect(h.closes).toHaveLength(1);
    expect(h.closes[0]).toBeInstanceOf(ReasonCodeError);
    expect(h.closes[0]).toMatchObject({ code: 'MQTTKIT_ERR_USE_ANOTHER_SERVER', reasonCode: 0x9c, packet: 'disconnect' });
    expect(h.takeSent()).toEqual([]); // no DISCONNECT answers a DISCONNECT
    expect(h.engine.state).toBe('waiting');
  });

  it('0x8b (server shutting down) reconnects', () => {
    const h = connected();
    h.brokerSends({ type: 'disconnect', reasonCode: 0x8b });
    expect(h.engine.state).toBe('waiting');
    expect(h.timerDelay('reconnect')).toBe(500);
  });

  it('0x8e (session taken over): no reconnect, closed with the error', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 1 });
    h.brokerSends({ type: 'disconnect', reasonCode: 0x8e });
    expect(h.engine.state).toBe('closed');
    expect(h.timers.has('reconnect')).toBe(false);
    const err = h.lastEvent('close')?.error;
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_SESSION_TAKEN_OVER', reasonCode: 0x8e });
    expect(h.failed.get(op)).toBe(err);
  });
});

describe('engine: enhanced authentication (AUTH)', () => {
  const properties = { authenticationMethod: 'SCRAM-SHA-1', authenticationData: enc.encode('client-first') };

  it('AUTH 0x18 before CONNACK -> "auth" event; the answer goes out as AUTH 0x18; CONNACK completes', () => {
    const h = new EngineHarness({ clientId: 'c', properties });
    h.start();
    h.open();
    expect(h.expectSent('connect').properties).toMatchObject({ authenticationMethod: 'SCRAM-SHA-1' });
    const challenge = { authenticationMethod: 'SCRAM-SHA-1', authenticationData: enc.encode('server-first') };
    h.brokerSends({ type: 'auth', reasonCode: 0x18, properties: challenge });
    expect(h.lastEvent('auth')).toEqual({ type: 'auth', reasonCode: 0x18, properties: challenge });
    expect(h.closes).toEqual([]);
    const answer = { authenticationMethod: 'SCRAM-SHA-1', authenticationData: enc.encode('client-final') };
    h.auth(0x18, answer);
    expect(h.takeSent()).toEqual([{ type: 'auth', reasonCode: 0x18, properties: answer }]);
    h.brokerSends(h.connack({ properties: { authenticationMethod: 'SCRAM-SHA-1' } }));
    expect(h.engine.state).toBe('connected');
  });

  it('nothing but AUTH goes out before CONNACK when authenticating [MQTT-3.1.2-30]', () => {
    const h = new EngineHarness({ clientId: 'c', properties });
    h.start();
    h.open();
    h.takeSent();
    h.brokerSends({ type: 'auth', reasonCode: 0x18, properties });
    h.publish('t', 'x', { qos: 1 });
    h.subscribe('s');
    expect(h.takeSent()).toEqual([]);
  });

  it('MQTT 3.1.1 has no AUTH: an auth input neither throws nor sends anything', () => {
    const h = connected({ protocolVersion: 4 });
    expect(() => h.auth(0x19, properties)).not.toThrow();
    expect(h.takeSent()).toEqual([]);
  });

  it('re-authentication: AUTH 0x19 while connected, and the broker’s AUTH 0x00 answer is reported', () => {
    const h = connected({ properties });
    h.auth(0x19, properties);
    expect(h.takeSent()).toEqual([{ type: 'auth', reasonCode: 0x19, properties }]);
    h.brokerSends({ type: 'auth', reasonCode: 0x00, properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    expect(h.lastEvent('auth')?.reasonCode).toBe(0);
    expect(h.engine.state).toBe('connected');
  });
});

describe('engine: end()', () => {
  it('with nothing in flight: DISCONNECT (normal, shortest form), close-transport, "close", end settled', () => {
    const h = connected();
    const op = h.end();
    const last = h.sent[h.sent.length - 1];
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0 }]);
    expect(hex(last.bytes)).toBe('e0 00');
    expect(h.closes).toEqual([undefined]);
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
    expect(h.engine.state).toBe('closed');
    expect(h.lastEvent('close')?.error).toBeUndefined();
    expect([...h.timers.keys()]).toEqual([]);
  });

  it('graceful: waits for in-flight acks, then DISCONNECT and close-transport, settling the end op', () => {
    const h = connected();
    const pub = h.publish('t', 'x', { qos: 1 });
    h.takeSent();
    const op = h.end();
    expect(h.engine.state).toBe('ending');
    expect(h.takeSent()).toEqual([]);
    expect(h.settled.has(op)).toBe(false);
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(h.settled.get(pub)?.kind).toBe('publish');
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0 }]);
    expect(h.closes).toHaveLength(1);
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
    // The publish settled before the end did.
    const order = h.actions.filter((a) => a.type === 'settle').map((a) => (a.type === 'settle' ? a.op : 0));
    expect(order.indexOf(pub)).toBeLessThan(order.indexOf(op));
  });

  it('graceful: publishes still queued behind the Receive Maximum are sent and acknowledged first', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.connectAccepted({ receiveMaximum: 1 });
    h.publish('a', 'x', { qos: 1 });
    h.publish('b', 'x', { qos: 1 });
    h.takeSent();
    h.end();
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect((h.takeSent() as PublishPacket[]).map((p) => p.topic)).toEqual(['b']);
    h.brokerSends({ type: 'puback', packetId: 2 });
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0 }]);
  });

  it('graceful: publishes made while ending fail with CLIENT_CLOSED', () => {
    const h = connected();
    h.publish('t', 'x', { qos: 1 });
    h.end();
    const op = h.publish('u', 'y', { qos: 1 });
    expect(h.failed.get(op)?.code).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
  });

  it('graceful: gives up after the end timeout, sends DISCONNECT and fails what is still in flight', () => {
    const h = connected({ connectTimeout: 2_000, keepAlive: 0 });
    const pub = h.publish('t', 'x', { qos: 1 });
    h.takeSent();
    const op = h.end();
    h.advance(1_999);
    expect(h.takeSent()).toEqual([]);
    h.advance(1);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0 }]);
    expect(h.failed.get(pub)?.code).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
  });

  it('graceful: a connection lost while ending closes for good (no reconnect), settling the end op', () => {
    const h = connected();
    h.publish('t', 'x', { qos: 1 });
    const op = h.end();
    h.transportClosed(new Error('reset'));
    expect(h.engine.state).toBe('closed');
    expect(h.timers.has('reconnect')).toBe(false);
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
  });

  it('force: DISCONNECT at once; pending operations fail with CLIENT_CLOSED', () => {
    const h = connected();
    const pub = h.publish('t', 'x', { qos: 1 });
    const sub = h.subscribe('s');
    h.takeSent();
    const op = h.end({ force: true });
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0 }]);
    expect(h.closes).toHaveLength(1);
    for (const p of [pub, sub]) {
      expect(h.failed.get(p)).toBeInstanceOf(StateError);
      expect(h.failed.get(p)?.code).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    }
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
  });

  it('a forced end while a graceful end waits settles both end operations', () => {
    const h = connected();
    h.publish('t', 'x', { qos: 1 });
    const graceful = h.end();
    const forced = h.end({ force: true });
    expect(h.settled.get(forced)).toEqual({ kind: 'end' });
    expect(h.settled.get(graceful)).toEqual({ kind: 'end' });
  });

  it('MQTT 5: end with a reason code and properties sends them (0x04: disconnect with will)', () => {
    const h = connected();
    h.end({ reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } });
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } }]);
  });

  it('MQTT 3.1.1: DISCONNECT is the two bytes e0 00', () => {
    const h = connected({ protocolVersion: 4 });
    h.end();
    expect(hex(h.sent[h.sent.length - 1].bytes)).toBe('e0 00');
  });

  it('publish, subscribe and unsubscribe after end fail with CLIENT_CLOSED', () => {
    const h = connected();
    h.end();
    h.takeSent();
    const ops = [h.publish('t', 'x'), h.subscribe('s'), h.unsubscribe(['s'])];
    for (const op of ops) expect(h.failed.get(op)?.code).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    expect(h.takeSent()).toEqual([]);
  });

  it('end while waiting to reconnect: no DISCONNECT, timer cleared, queued publishes fail', () => {
    const h = connected();
    h.transportClosed(new Error('reset'));
    const pub = h.publish('t', 'x', { qos: 1 });
    const op = h.end();
    expect(h.takeSent()).toEqual([]);
    expect(h.timers.has('reconnect')).toBe(false);
    expect(h.failed.get(pub)?.code).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
    expect(h.engine.state).toBe('closed');
  });

  it('end before start settles at once; start afterwards connects again', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const op = h.end();
    expect(h.settled.get(op)).toEqual({ kind: 'end' });
    h.connectAccepted();
    expect(h.engine.state).toBe('connected');
  });
});

describe('engine: cancel (AbortSignal)', () => {
  it('a queued publish that is cancelled fails with the given error and is never sent', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const a = h.publish('a', 'x', { qos: 1 });
    const b = h.publish('b', 'x', { qos: 1 });
    const error = new StateError('aborted', 'MQTTKIT_ERR_ABORTED');
    h.cancel(b, error);
    expect(h.failed.get(b)).toBe(error);
    expect(h.engine.queuedCount).toBe(1);
    h.connectAccepted();
    expect((h.takeSent() as PublishPacket[]).map((p) => p.topic)).toEqual(['a']);
    expect(h.failed.has(a)).toBe(false);
  });

  it('a cancelled publish in flight completes its exchange without settling again', () => {
    const h = connected();
    const op = h.publish('t', 'x', { qos: 1 });
    h.cancel(op);
    expect(h.failed.get(op)?.code).toBe('MQTTKIT_ERR_ABORTED');
    h.brokerSends({ type: 'puback', packetId: 1 }); // the harness throws on a second settlement
    expect(h.settled.has(op)).toBe(false);
    expect(h.engine.inFlightCount).toBe(0);
  });

  it('a queued subscribe that is cancelled is never sent', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const op = h.subscribe('s');
    h.cancel(op);
    h.connectAccepted();
    expect(h.takeSent()).toEqual([]);
    expect(h.failed.get(op)?.code).toBe('MQTTKIT_ERR_ABORTED');
  });

  it('cancelling an unknown or finished operation does nothing', () => {
    const h = connected();
    const op = h.publish('t', 'x');
    const actions = h.cancel(op);
    expect(actions).toEqual([]);
    expect(h.settled.has(op)).toBe(true);
  });
});

describe('engine: malformed bytes from the broker', () => {
  it('MQTT 5: "error" event with MalformedPacketError, DISCONNECT 0x81, close-transport, then reconnect', () => {
    const h = connected();
    h.brokerSendsBytes(Uint8Array.of(0x00, 0x00)); // packet type 0 is reserved
    const err = h.lastEvent('error')?.error;
    expect(err).toBeInstanceOf(MalformedPacketError);
    expect(err?.reasonCode).toBe(0x81);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x81 }]);
    expect(h.closes).toEqual([err]);
    expect(h.engine.state).toBe('waiting');
    expect(h.timerDelay('reconnect')).toBe(500);
  });

  it('MQTT 3.1.1: closes without a DISCONNECT, then reconnects', () => {
    const h = connected({ protocolVersion: 4 });
    h.brokerSendsBytes(Uint8Array.of(0x40, 0x01, 0x00)); // PUBACK with a 1-byte body
    expect(h.lastEvent('error')?.error).toBeInstanceOf(MalformedPacketError);
    expect(h.takeSent()).toEqual([]);
    expect(h.closes).toHaveLength(1);
    expect(h.engine.state).toBe('waiting');
  });

  it('bytes after the malformed packet in the same chunk are not acted on', () => {
    const h = connected();
    h.brokerSendsBytes(Uint8Array.of(0x00, 0x00, 0x30, 0x04, 0x00, 0x01, 0x61, 0x00));
    expect(h.delivered).toEqual([]);
  });

  it('a packet larger than our Maximum Packet Size: DISCONNECT 0x95 [MQTT-3.1.2-24]', () => {
    const h = connected({ properties: { maximumPacketSize: 32 } });
    h.brokerSends({ type: 'publish', topic: 't', payload: new Uint8Array(64), qos: 0, retain: false, dup: false });
    expect(h.delivered).toEqual([]);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x95 }]);
  });

  it('the next connection decodes afresh (a partial packet from the old one is forgotten)', () => {
    const h = connected();
    h.brokerSendsBytes(Uint8Array.of(0x30, 0x10, 0x00)); // the start of a PUBLISH
    h.transportClosed(new Error('reset'));
    h.reconnectAccepted();
    h.brokerSends({ type: 'publish', topic: 'in', payload: enc.encode('ok'), qos: 0, retain: false, dup: false });
    expect(h.delivered.map((m) => m.topic)).toEqual(['in']);
    expect(h.eventsOf('error')).toEqual([]);
  });
});

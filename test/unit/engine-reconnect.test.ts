/**
 * Engine: reconnection with backoff (exponential, full jitter, capped, reset
 * after a stable connection) on a virtual clock with a seeded random source,
 * and the offline queue that holds publishes while disconnected.
 */
import { describe, expect, it } from 'vitest';
import type { PublishPacket } from '../../src/codec/types.js';
import { StateError } from '../../src/errors.js';
import { EngineHarness, scriptedRandom, seededRandom } from '../helpers/engine-harness.js';

/** The transport could not be opened (connection refused). */
function refuse(h: EngineHarness): void {
  h.transportClosed(new Error('ECONNREFUSED'));
}

/** Lets the pending reconnect timer fire and refuses the attempt. */
function failNextAttempt(h: EngineHarness): void {
  const delay = h.timerDelay('reconnect');
  if (delay === undefined) throw new Error('no reconnect timer');
  h.advance(delay);
  expect(h.engine.state).toBe('opening');
  refuse(h);
}

/** Independent statement of the policy: full jitter below an exponentially growing, capped ceiling. */
function expectedDelay(attempt: number, r: number, initial = 1_000, max = 30_000, factor = 2): number {
  return Math.floor(r * Math.min(max, initial * factor ** attempt));
}

describe('engine: reconnect backoff', () => {
  it('delays grow exponentially with full jitter from a seeded random source', () => {
    const h = new EngineHarness({ clientId: 'c', random: seededRandom(7) });
    const mirror = seededRandom(7);
    h.start();
    refuse(h);
    for (let i = 0; i < 6; i++) failNextAttempt(h);
    const events = h.eventsOf('reconnecting');
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.map((e) => e.delay)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => expectedDelay(i, mirror())));
    expect(h.opens).toBe(7);
  });

  it('the reconnect timer is set to exactly the announced delay and opens a transport when it fires', () => {
    const h = new EngineHarness({ clientId: 'c', random: () => 0.3 });
    h.start();
    refuse(h);
    expect(h.timerDelay('reconnect')).toBe(300);
    h.advance(299);
    expect(h.opens).toBe(1);
    h.advance(1);
    expect(h.opens).toBe(2);
  });

  it('full jitter: random 0 reconnects at once; random near 1 waits almost the whole ceiling', () => {
    const zero = new EngineHarness({ clientId: 'c', random: () => 0 });
    zero.start();
    refuse(zero);
    failNextAttempt(zero);
    expect(zero.eventsOf('reconnecting').map((e) => e.delay)).toEqual([0, 0]);
    const high = new EngineHarness({ clientId: 'c', random: () => 0.9999 });
    high.start();
    refuse(high);
    failNextAttempt(high);
    expect(high.eventsOf('reconnecting').map((e) => e.delay)).toEqual([999, 1_999]);
  });

  it('the ceiling is capped at maxDelay (custom initialDelay, factor, maxDelay)', () => {
    const h = new EngineHarness({
      clientId: 'c',
      reconnect: { initialDelay: 100, factor: 3, maxDelay: 2_000 },
      random: () => 0.5,
    });
    h.start();
    refuse(h);
    for (let i = 0; i < 5; i++) failNextAttempt(h);
    // ceilings 100, 300, 900, 2000 (2700 capped), 2000, 2000
    expect(h.eventsOf('reconnecting').map((e) => e.delay)).toEqual([50, 150, 450, 1_000, 1_000, 1_000]);
  });

  it('a connection that stayed up for stableAfter resets the backoff', () => {
    const h = new EngineHarness({ clientId: 'c', reconnect: { stableAfter: 10_000 }, random: () => 0.5 });
    h.start();
    refuse(h);
    failNextAttempt(h);
    failNextAttempt(h);
    expect(h.lastEvent('reconnecting')).toMatchObject({ attempt: 3, delay: 2_000 });
    h.reconnectAccepted();
    h.advance(10_000);
    h.transportClosed(new Error('reset'));
    expect(h.lastEvent('reconnecting')).toMatchObject({ attempt: 1, delay: 500 });
  });

  it('a connection shorter than stableAfter does not reset the backoff', () => {
    const h = new EngineHarness({ clientId: 'c', reconnect: { stableAfter: 10_000 }, random: () => 0.5 });
    h.start();
    refuse(h);
    failNextAttempt(h);
    failNextAttempt(h);
    h.reconnectAccepted();
    h.advance(9_999);
    h.transportClosed(new Error('reset'));
    expect(h.lastEvent('reconnecting')).toMatchObject({ attempt: 4, delay: 4_000 });
  });

  it('a lost connection emits "offline" then "reconnecting" with the cause', () => {
    const h = new EngineHarness({ clientId: 'c', random: () => 0 });
    h.connectAccepted();
    h.transportClosed(new Error('ECONNRESET'));
    const types = h.events.map((e) => e.type);
    expect(types.slice(-2)).toEqual(['offline', 'reconnecting']);
    const err = h.lastEvent('reconnecting')?.error;
    expect(err).toBeInstanceOf(StateError);
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_CONNECTION_LOST', retryable: true });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('reconnect: false -> closed on loss, "close" event, waiting operations fail, no timer', () => {
    const h = new EngineHarness({ clientId: 'c', reconnect: false });
    h.connectAccepted();
    const op = h.publish('t', 'x', { qos: 1 });
    h.transportClosed(new Error('reset'));
    expect(h.engine.state).toBe('closed');
    expect(h.timers.has('reconnect')).toBe(false);
    expect(h.lastEvent('close')?.error?.code).toBe('MQTTKIT_ERR_CONNECTION_LOST');
    expect(h.failed.get(op)?.code).toBe('MQTTKIT_ERR_CONNECTION_LOST');
    expect(h.eventsOf('reconnecting')).toEqual([]);
  });

  it('reconnect: false and a refused first connection -> closed', () => {
    const h = new EngineHarness({ clientId: 'c', reconnect: false });
    h.start();
    refuse(h);
    expect(h.engine.state).toBe('closed');
    expect(h.opens).toBe(1);
  });

  it('start() while waiting reconnects at once and cancels the timer', () => {
    const h = new EngineHarness({ clientId: 'c', random: () => 0.9 });
    h.start();
    refuse(h);
    expect(h.timers.has('reconnect')).toBe(true);
    h.start();
    expect(h.timers.has('reconnect')).toBe(false);
    expect(h.opens).toBe(2);
    expect(h.engine.state).toBe('opening');
  });

  it('a transport-closed after the engine already dropped the connection changes nothing', () => {
    const h = new EngineHarness({ clientId: 'c', random: scriptedRandom(0.1, 0.9) });
    h.connectAccepted();
    h.brokerSends(h.connack()); // protocol error: the engine drops the link itself
    const reconnecting = h.eventsOf('reconnecting').length;
    h.transportClosed(new Error('closed'));
    expect(h.eventsOf('reconnecting')).toHaveLength(reconnecting);
    expect(h.timerDelay('reconnect')).toBe(100);
  });
});

describe('engine: offline queue', () => {
  it('publishes made while disconnected are queued and sent in order after CONNACK', () => {
    const h = new EngineHarness({ clientId: 'c', random: () => 0 });
    h.connectAccepted();
    h.transportClosed();
    const ops = [h.publish('a', '1', { qos: 0 }), h.publish('b', '2', { qos: 1 }), h.publish('c', '3', { qos: 2 }), h.publish('d', '4')];
    expect(h.engine.queuedCount).toBe(4);
    expect(h.settled.size).toBe(0);
    h.takeSent();
    h.reconnectAccepted();
    const sent = h.takeSent() as PublishPacket[];
    expect(sent.map((p) => [p.topic, p.qos])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 0],
    ]);
    expect(h.settled.has(ops[0])).toBe(true);
    expect(h.settled.has(ops[3])).toBe(true);
    expect(h.settled.has(ops[1])).toBe(false);
  });

  it('publishes made before the first connection are queued too', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.publish('early', 'x', { qos: 1 });
    h.connectAccepted();
    expect((h.takeSent() as PublishPacket[]).map((p) => p.topic)).toEqual(['early']);
  });

  it('maxQueuedMessages: a publish past the bound fails with QUEUE_FULL and is not queued', () => {
    const h = new EngineHarness({ clientId: 'c', maxQueuedMessages: 2 });
    h.publish('a', 'x', { qos: 1 });
    h.publish('b', 'x', { qos: 0 });
    const op = h.publish('c', 'x', { qos: 1 });
    const err = h.failed.get(op);
    expect(err).toBeInstanceOf(StateError);
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_QUEUE_FULL', retryable: true });
    expect(h.engine.queuedCount).toBe(2);
    h.connectAccepted();
    expect((h.takeSent() as PublishPacket[]).map((p) => p.topic)).toEqual(['a', 'b']);
  });

  it('maxQueuedBytes: a publish whose payload would pass the bound fails with QUEUE_FULL', () => {
    const h = new EngineHarness({ clientId: 'c', maxQueuedBytes: 10 });
    const ok = h.publish('a', new Uint8Array(6), { qos: 1 });
    const full = h.publish('b', new Uint8Array(5), { qos: 1 });
    const fits = h.publish('c', new Uint8Array(4), { qos: 1 });
    expect(h.failed.has(ok)).toBe(false);
    expect(h.failed.get(full)?.code).toBe('MQTTKIT_ERR_QUEUE_FULL');
    expect(h.failed.has(fits)).toBe(false);
    expect(h.engine.queuedCount).toBe(2);
  });

  it('the queue bound frees up once queued publishes are sent', () => {
    const h = new EngineHarness({ clientId: 'c', maxQueuedMessages: 1, random: () => 0 });
    h.publish('a', 'x', { qos: 1 });
    h.connectAccepted();
    h.transportClosed();
    const op = h.publish('b', 'x', { qos: 1 });
    expect(h.failed.has(op)).toBe(false);
  });

  it('qos0WhenOffline "drop": a QoS 0 publish while offline fails with NOT_CONNECTED; QoS 1 still queues', () => {
    const h = new EngineHarness({ clientId: 'c', qos0WhenOffline: 'drop' });
    const op0 = h.publish('a', 'x', { qos: 0 });
    const op1 = h.publish('b', 'x', { qos: 1 });
    expect(h.failed.get(op0)).toMatchObject({ code: 'MQTTKIT_ERR_NOT_CONNECTED' });
    expect(h.failed.get(op0)).toBeInstanceOf(StateError);
    expect(h.failed.has(op1)).toBe(false);
    expect(h.engine.queuedCount).toBe(1);
    h.connectAccepted();
    expect((h.takeSent() as PublishPacket[]).map((p) => p.topic)).toEqual(['b']);
  });

  it('publishes wait while connecting (CONNECT sent, no CONNACK yet)', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.start();
    h.open();
    h.takeSent();
    h.publish('t', 'x', { qos: 1 });
    expect(h.takeSent()).toEqual([]);
    h.brokerSends(h.connack());
    expect(h.takeSent().map((p) => p.type)).toEqual(['publish']);
  });
});

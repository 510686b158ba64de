/**
 * Engine: keep alive on a virtual clock (MQTT 5 §3.1.2.10, §3.12, §3.13).
 * PINGREQ only after Keep Alive seconds with nothing sent; a late PINGRESP
 * drops the connection; a timer that fires late is not a timeout by itself.
 */
import { describe, expect, it } from 'vitest';
import type { EngineOptions } from '../../src/engine/types.js';
import { StateError } from '../../src/errors.js';
import { bytesOf, EngineHarness, hex } from '../helpers/engine-harness.js';

function connected(options: EngineOptions = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', keepAlive: 10, random: () => 0.5, ...options });
  h.connectAccepted();
  h.takeSent();
  return h;
}

/** Times (ms) at which PINGREQs were sent. */
const pingTimes = (h: EngineHarness) => h.sent.filter((s) => s.packet.type === 'pingreq').map((s) => s.at);

describe('engine: keep alive', () => {
  it('sends PINGREQ after Keep Alive seconds with nothing sent [MQTT-3.1.2-20] (byte-exact)', () => {
    const h = connected();
    expect(h.timerDelay('keepalive')).toBe(10_000);
    h.advance(9_999);
    expect(h.takeSent()).toEqual([]);
    h.advance(1);
    const last = h.sent[h.sent.length - 1];
    expect(h.expectSent('pingreq')).toEqual({ type: 'pingreq' });
    expect(hex(last.bytes)).toBe('c0 00');
    expect(last.at).toBe(10_000);
  });

  it('a publish sent at t=5 s (keepAlive 10) moves the PINGREQ to t=15 s', () => {
    const h = connected();
    h.advance(5_000);
    h.publish('t', 'x');
    h.advance(9_999);
    expect(pingTimes(h)).toEqual([]);
    h.advance(1);
    expect(pingTimes(h)).toEqual([15_000]);
  });

  it('the interval is measured from CONNECT: a CONNACK that took 8 s still gets a PINGREQ at t=10 s [MQTT-3.1.2-20]', () => {
    const h = new EngineHarness({ clientId: 'c', keepAlive: 10 });
    h.start();
    h.open(); // CONNECT sent at t=0
    h.advance(8_000);
    h.brokerSends(h.connack());
    h.advance(2_000);
    expect(pingTimes(h)).toEqual([10_000]);
  });

  it('packets received do not count: an idle sender pings on time even while messages arrive', () => {
    const h = connected();
    for (let t = 1_000; t < 10_000; t += 1_000) {
      h.advance(1_000);
      h.brokerSends({ type: 'publish', topic: 'in', payload: bytesOf('x'), qos: 0, retain: false, dup: false });
    }
    h.advance(1_000);
    expect(pingTimes(h)).toEqual([10_000]);
  });

  it('PINGRESP clears the ping timeout; the next PINGREQ follows one Keep Alive later', () => {
    const h = connected();
    h.advance(10_000);
    expect(h.timerDelay('ping-timeout')).toBe(5_000); // default: half the keep alive
    h.advance(100);
    h.brokerSends({ type: 'pingresp' });
    expect(h.timers.has('ping-timeout')).toBe(false);
    h.advance(9_900);
    expect(pingTimes(h)).toEqual([10_000, 20_000]);
    h.advance(4_999);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
  });

  it('no PINGRESP within pingTimeout: the connection is dropped and a reconnect scheduled', () => {
    const h = connected({ pingTimeout: 3_000 });
    h.advance(10_000);
    expect(h.timerDelay('ping-timeout')).toBe(3_000);
    h.advance(2_999);
    expect(h.closes).toEqual([]);
    h.advance(1);
    expect(h.closes).toHaveLength(1);
    expect(h.closes[0]).toBeInstanceOf(StateError);
    expect(h.closes[0]).toMatchObject({ code: 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT', retryable: true });
    expect(h.lastEvent('offline')?.error).toBe(h.closes[0]);
    expect(h.engine.state).toBe('waiting');
    expect(h.timerDelay('reconnect')).toBe(500);
    expect(h.timers.has('keepalive')).toBe(false);
  });

  it('any packet from the broker proves the link alive while a PINGRESP is outstanding', () => {
    const h = connected();
    h.advance(10_000);
    h.advance(1_000);
    h.brokerSends({ type: 'publish', topic: 'in', payload: bytesOf('x'), qos: 0, retain: false, dup: false });
    expect(h.timers.has('ping-timeout')).toBe(false);
    h.advance(4_000);
    expect(h.closes).toEqual([]);
  });

  it('a keepalive timer that fires late (throttled tab: 120 s at once) sends PINGREQ and is no false timeout', () => {
    const h = connected();
    h.advanceLate(120_000);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
    expect(h.takeSent()).toEqual([{ type: 'pingreq' }]);
    h.advance(50);
    h.brokerSends({ type: 'pingresp' });
    h.advance(9_950);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
    expect(pingTimes(h)).toEqual([120_000, 130_000]);
  });

  it('after a late timer, a missing PINGRESP still times out', () => {
    const h = connected();
    h.advanceLate(120_000);
    h.advance(5_000);
    expect(h.closes).toHaveLength(1);
    expect(h.closes[0]?.code).toBe('MQTTKIT_ERR_KEEPALIVE_TIMEOUT');
  });

  it('keepAlive 0 turns keep alive off: no timer, no PINGREQ', () => {
    const h = connected({ keepAlive: 0 });
    expect(h.timers.has('keepalive')).toBe(false);
    h.advance(3_600_000);
    expect(h.takeSent()).toEqual([]);
  });

  it('keep alive restarts on each connection and stops when the connection is lost', () => {
    const h = connected();
    h.advance(3_000);
    h.transportClosed(new Error('reset'));
    expect(h.timers.has('keepalive')).toBe(false);
    expect(h.timers.has('ping-timeout')).toBe(false);
    const reconnectAt = h.now + (h.timerDelay('reconnect') ?? 0);
    h.reconnectAccepted();
    expect(h.now).toBe(reconnectAt);
    expect(h.timerDelay('keepalive')).toBe(10_000);
    h.advance(10_000);
    expect(pingTimes(h)).toEqual([reconnectAt + 10_000]);
  });

  it('MQTT 3.1.1: the same rules (PINGREQ after 10 s idle)', () => {
    const h = connected({ protocolVersion: 4 });
    h.advance(10_000);
    expect(h.takeSent()).toEqual([{ type: 'pingreq' }]);
  });
});

/**
 * Engine: keep alive on a virtual clock (MQTT 5 §3.1.2.10, §3.12, §3.13).
 * A PINGREQ goes out after Keep Alive with nothing sent ([MQTT-3.1.2-20]) and
 * also after Keep Alive with nothing received, so a client that keeps
 * publishing into a dead link still finds out: a stall is detected at most
 * 1.5x Keep Alive after the last byte received (ping timeout: half the Keep
 * Alive by default). A timer that fires late is never a timeout by itself.
 */
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/codec/types.js';
import type { EngineOptions } from '../../src/engine/types.js';
import { StateError } from '../../src/errors.js';
import { bytesOf, EngineHarness, hex, seededRandom } from '../helpers/engine-harness.js';

const K = 10_000;

function connected(options: EngineOptions = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', keepAlive: K / 1000, random: () => 0.5, ...options });
  h.connectAccepted();
  h.takeSent();
  return h;
}

/** Times (ms) at which PINGREQs were sent. */
const pingTimes = (h: EngineHarness) => h.sent.filter((s) => s.packet.type === 'pingreq').map((s) => s.at);

/** When the connection was dropped for a missing PINGRESP, or undefined. */
function keepAliveDropAt(h: EngineHarness, dropTimes: number[]): number | undefined {
  const i = h.closes.findIndex((e) => e?.code === 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT');
  return i === -1 ? undefined : dropTimes[i];
}

const incoming = (topic = 'in'): Packet => ({ type: 'publish', topic, payload: bytesOf('x'), qos: 0, retain: false, dup: false });

/**
 * Runs the clock in `step` ms ticks until `until`, calling `tick` at each
 * tick (the test's broker and publisher), and records when closes happened.
 */
function run(h: EngineHarness, until: number, step: number, tick: (now: number) => void): number[] {
  const dropTimes: number[] = [];
  while (h.now < until && h.engine.state === 'connected') {
    h.advance(step);
    while (dropTimes.length < h.closes.length) dropTimes.push(h.now);
    if (h.engine.state !== 'connected') break;
    tick(h.now);
    while (dropTimes.length < h.closes.length) dropTimes.push(h.now);
  }
  return dropTimes;
}

/** A broker that answers each PINGREQ (sent since the last call) after `delay` ms, on the first tick after that. */
function pingAnswerer(h: EngineHarness, delay: number, send: (p: Packet) => void = (p) => h.brokerSends(p)): (now: number) => void {
  let seen = 0;
  const due: number[] = [];
  return (now) => {
    const pings = pingTimes(h);
    for (; seen < pings.length; seen++) due.push(pings[seen] + delay);
    while (due.length > 0 && due[0] <= now) {
      due.shift();
      send({ type: 'pingresp' });
    }
  };
}

describe('engine: keep alive, send side [MQTT-3.1.2-20]', () => {
  it('sends PINGREQ after Keep Alive seconds with nothing sent (byte-exact)', () => {
    const h = connected();
    expect(h.timerDelay('keepalive')).toBe(K);
    h.advance(K - 1);
    expect(h.takeSent()).toEqual([]);
    h.advance(1);
    const last = h.sent[h.sent.length - 1];
    expect(h.expectSent('pingreq')).toEqual({ type: 'pingreq' });
    expect(hex(last.bytes)).toBe('c0 00');
    expect(last.at).toBe(K);
  });

  it('a publish sent and a message received at t=5 s (keepAlive 10) move the PINGREQ to t=15 s', () => {
    const h = connected();
    h.advance(5_000);
    h.publish('t', 'x');
    h.brokerSends(incoming());
    h.advance(K - 1);
    expect(pingTimes(h)).toEqual([]);
    h.advance(1);
    expect(pingTimes(h)).toEqual([15_000]);
  });

  it('the interval is measured from CONNECT: a CONNACK that took 8 s still gets a PINGREQ at t=10 s', () => {
    const h = new EngineHarness({ clientId: 'c', keepAlive: 10 });
    h.start();
    h.open(); // CONNECT sent at t=0
    h.advance(8_000);
    h.brokerSends(h.connack());
    h.advance(2_000);
    expect(pingTimes(h)).toEqual([K]);
  });

  it('packets received do not excuse an idle sender: it pings on time while messages keep arriving', () => {
    const h = connected();
    for (let t = 1_000; t < K; t += 1_000) {
      h.advance(1_000);
      h.brokerSends(incoming());
    }
    h.advance(1_000);
    expect(pingTimes(h)).toEqual([K]);
  });

  it('PINGRESP clears the ping timeout; the next PINGREQ follows one Keep Alive later', () => {
    const h = connected();
    h.advance(K);
    expect(h.timerDelay('ping-timeout')).toBe(K / 2); // default: half the keep alive
    h.advance(100);
    h.brokerSends({ type: 'pingresp' });
    expect(h.timers.has('ping-timeout')).toBe(false);
    h.advance(K - 100);
    expect(pingTimes(h)).toEqual([K, 2 * K]);
    h.advance(K / 2 - 1);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
  });

  it('the default ping timeout is exactly half the Keep Alive, even for keepAlive 1 (500 ms: detection within 1.5 s)', () => {
    const h = connected({ keepAlive: 1 });
    h.advance(1_000);
    expect(pingTimes(h)).toEqual([1_000]);
    expect(h.timerDelay('ping-timeout')).toBe(500);
    h.advance(500);
    expect(h.closes[0]?.code).toBe('MQTTKIT_ERR_KEEPALIVE_TIMEOUT');
  });

  it('no PINGRESP within pingTimeout: the connection is dropped and a reconnect scheduled', () => {
    const h = connected({ pingTimeout: 3_000 });
    h.advance(K);
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
    // The client closes without DISCONNECT: 0x8D (Keep Alive timeout) is a reason only a server sends.
    expect(h.takeSent()).toEqual([{ type: 'pingreq' }]);
  });

  it('any packet from the broker proves the link alive while a PINGRESP is outstanding', () => {
    const h = connected();
    h.advance(K);
    h.advance(1_000);
    h.brokerSends(incoming());
    expect(h.timers.has('ping-timeout')).toBe(false);
    h.advance(4_000);
    expect(h.closes).toEqual([]);
  });

  it('keepAlive 0 turns keep alive off: no timer, no PINGREQ, no matter how long the broker is silent', () => {
    const h = connected({ keepAlive: 0 });
    expect(h.timers.has('keepalive')).toBe(false);
    h.publish('t', 'x');
    h.takeSent();
    h.advance(3_600_000);
    expect(h.takeSent()).toEqual([]);
    expect(h.engine.state).toBe('connected');
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
    expect(h.timerDelay('keepalive')).toBe(K);
    h.advance(K);
    expect(pingTimes(h)).toEqual([reconnectAt + K]);
  });

  it('MQTT 3.1.1: the same rules (PINGREQ after 10 s idle)', () => {
    const h = connected({ protocolVersion: 4 });
    h.advance(K);
    expect(h.takeSent()).toEqual([{ type: 'pingreq' }]);
  });
});

describe('engine: a stalled connection is detected within 1.5x Keep Alive of the last byte received', () => {
  it('idle stall: PINGREQ at Keep Alive, dropped at 1.5x Keep Alive, then a reconnect', () => {
    const h = connected();
    h.advance(K);
    expect(pingTimes(h)).toEqual([K]);
    h.advance(K / 2 - 1);
    expect(h.closes).toEqual([]);
    h.advance(1);
    expect(h.closes.map((e) => e?.code)).toEqual(['MQTTKIT_ERR_KEEPALIVE_TIMEOUT']);
    expect(h.now).toBe(1.5 * K);
    expect(h.engine.state).toBe('waiting');
  });

  it('stall while publishing QoS 0 continuously: the client never goes quiet, yet it pings at Keep Alive of silence', () => {
    const h = connected();
    h.advance(3_000);
    h.brokerSends(incoming()); // the last byte the broker ever sends
    const drops = run(h, 60_000, 100, () => h.publish('telemetry', 'x'));
    expect(pingTimes(h)).toEqual([3_000 + K]);
    expect(keepAliveDropAt(h, drops)).toBe(3_000 + 1.5 * K);
  });

  it('stall while QoS 1 acks stop coming: detected 1.5x Keep Alive after the last PUBACK; what is in flight is kept for the next connection', () => {
    const h = connected();
    let lastAckAt = 0;
    let published = 0;
    let acked = 0;
    const drops = run(h, 60_000, 100, (now) => {
      h.publish('telemetry', 'x', { qos: 1 });
      published++;
      const sent = h.takeSent();
      if (now > 4_000) return; // the broker goes silent after t=4 s
      for (const p of sent) {
        if (p.type === 'publish' && p.packetId !== undefined) {
          h.brokerSends({ type: 'puback', packetId: p.packetId, reasonCode: 0 });
          lastAckAt = now;
          acked++;
        }
      }
    });
    expect(lastAckAt).toBe(4_000);
    expect(pingTimes(h)).toEqual([4_000 + K]);
    expect(keepAliveDropAt(h, drops)).toBe(4_000 + 1.5 * K);
    // Unacknowledged QoS 1 publishes neither fail nor vanish: they wait for the next connection.
    expect(acked).toBe(40);
    expect(h.engine.inFlightCount).toBe(published - acked);
    expect(published - acked).toBeGreaterThan(100);
    expect(h.failed.size).toBe(0);
  });

  it('the ping timeout option sets the bound: pingTimeout 2 s detects at Keep Alive + 2 s of silence', () => {
    const h = connected({ pingTimeout: 2_000 });
    const drops = run(h, 60_000, 250, () => h.publish('t', 'x'));
    expect(keepAliveDropAt(h, drops)).toBe(K + 2_000);
  });

  it('worst case over random traffic: every stall is found no earlier than Keep Alive and no later than 1.5x Keep Alive after the last byte received', () => {
    const random = seededRandom(20240605);
    for (let trial = 0; trial < 40; trial++) {
      const h = connected();
      const stallAt = Math.floor(random() * 40_000);
      const publishEvery = 50 + Math.floor(random() * 2_000);
      const messageEvery = 200 + Math.floor(random() * 15_000);
      let lastReceivedAt = 0;
      const brokerSends = (p: Packet) => {
        lastReceivedAt = h.now;
        h.brokerSends(p);
      };
      const answerPings = pingAnswerer(h, 10 + Math.floor(random() * 1_000), brokerSends);
      let nextPublish = publishEvery;
      let nextMessage = messageEvery;
      const drops = run(h, 120_000, 10, (now) => {
        if (now >= nextPublish) {
          h.publish('t', 'x', { qos: random() < 0.5 ? 0 : 1 });
          nextPublish += publishEvery;
        }
        if (now >= stallAt) return;
        answerPings(now);
        for (const p of h.takeSent()) {
          if (p.type === 'publish' && p.packetId !== undefined) brokerSends({ type: 'puback', packetId: p.packetId, reasonCode: 0 });
        }
        if (now >= nextMessage) {
          brokerSends(incoming());
          nextMessage += messageEvery;
        }
      });
      const dropAt = keepAliveDropAt(h, drops);
      if (dropAt === undefined) throw new Error(`trial ${trial}: the stall at ${stallAt} ms was never detected`);
      const silence = dropAt - lastReceivedAt;
      if (silence > 1.5 * K || silence < K) {
        throw new Error(
          `trial ${trial}: detected ${silence} ms after the last byte received (stall at ${stallAt}, publish every ${publishEvery})`,
        );
      }
    }
  });
});

describe('engine: late timers are no false timeouts', () => {
  it('a keepalive timer that fires late (throttled tab: 120 s at once) sends PINGREQ and waits the ping timeout', () => {
    const h = connected();
    h.advanceLate(120_000);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
    expect(h.takeSent()).toEqual([{ type: 'pingreq' }]);
    h.advance(50);
    h.brokerSends({ type: 'pingresp' });
    h.advance(K - 50);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
    expect(pingTimes(h)).toEqual([120_000, 130_000]);
  });

  it('late while publishing: 120 s of silence seen by a late timer is not yet a verdict; PINGREQ first', () => {
    const h = connected();
    h.advance(5_000);
    h.publish('t', 'x');
    h.advanceLate(115_000); // keepalive was due at 10 s, runs at 120 s
    expect(h.closes).toEqual([]);
    expect(pingTimes(h)).toEqual([120_000]);
    h.advance(200);
    h.brokerSends({ type: 'pingresp' });
    h.advance(K);
    expect(h.closes).toEqual([]);
  });

  it('after a late keepalive timer, a missing PINGRESP still times out one ping timeout later', () => {
    const h = connected();
    h.advanceLate(120_000);
    h.advance(K / 2);
    expect(h.closes).toHaveLength(1);
    expect(h.closes[0]?.code).toBe('MQTTKIT_ERR_KEEPALIVE_TIMEOUT');
    expect(h.now).toBe(120_000 + K / 2);
  });

  it('a ping timeout that fires late asks again (the PINGRESP may be unread behind it) and gives the broker a whole ping timeout', () => {
    const h = connected();
    h.advance(K); // PINGREQ at 10 s; the ping timeout is due at 15 s
    h.advanceLate(60_000); // ...and runs at 70 s
    expect(h.closes).toEqual([]);
    expect(pingTimes(h)).toEqual([K, 70_000]);
    expect(h.timerDelay('ping-timeout')).toBe(K / 2);
    h.advance(10);
    h.brokerSends({ type: 'pingresp' });
    expect(h.timers.has('ping-timeout')).toBe(false);
    h.advance(K - 10);
    expect(h.closes).toEqual([]);
    expect(h.engine.state).toBe('connected');
  });

  it('a late ping timeout asks again only once per PINGREQ: late again with no answer is a timeout', () => {
    const h = connected();
    h.advance(K);
    h.advanceLate(60_000);
    h.advanceLate(60_000);
    expect(h.closes.map((e) => e?.code)).toEqual(['MQTTKIT_ERR_KEEPALIVE_TIMEOUT']);
  });

  it('a ping timeout a little late (under half the ping timeout) is a timeout at once', () => {
    const h = connected();
    h.advance(K);
    h.advanceLate(K / 2 + K / 4);
    expect(h.closes.map((e) => e?.code)).toEqual(['MQTTKIT_ERR_KEEPALIVE_TIMEOUT']);
  });
});

describe('engine: keep alive costs nothing extra on a healthy busy connection', () => {
  it('QoS 0 stream, nothing received but PINGRESPs: exactly one PINGREQ per Keep Alive, no drop', () => {
    const h = connected();
    const answer = pingAnswerer(h, 20);
    const drops = run(h, 60_000, 100, (now) => {
      h.publish('telemetry', 'x');
      answer(now);
    });
    expect(drops).toEqual([]);
    // Each PINGRESP is read on the 100 ms tick after it was due: the next PINGREQ follows Keep Alive after it.
    expect(pingTimes(h)).toEqual([10_000, 20_100, 30_200, 40_300, 50_400]);
    expect(h.engine.state).toBe('connected');
  });

  it('QoS 1 stream with PUBACKs flowing: no PINGREQ at all', () => {
    const h = connected();
    const drops = run(h, 60_000, 100, () => {
      h.publish('telemetry', 'x', { qos: 1 });
      for (const p of h.takeSent()) {
        if (p.type === 'publish' && p.packetId !== undefined) h.brokerSends({ type: 'puback', packetId: p.packetId, reasonCode: 0 });
      }
    });
    expect(drops).toEqual([]);
    expect(pingTimes(h)).toEqual([]);
  });

  it('messages flowing in both directions: no PINGREQ at all', () => {
    const h = connected();
    run(h, 60_000, 500, () => {
      h.publish('out', 'x');
      h.brokerSends(incoming());
    });
    expect(pingTimes(h)).toEqual([]);
  });
});

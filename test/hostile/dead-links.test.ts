/**
 * Brokers that go quiet: one that never answers PINGREQ, and one that stops
 * reading while the client keeps publishing (its writes back up in the
 * kernel and the socket). Keep alive must find both within 1.5x the Keep
 * Alive of the last byte received (PINGREQ after Keep Alive of silence, then
 * half a Keep Alive for the PINGRESP), close without DISCONNECT (0x8D Keep
 * Alive timeout is a reason only a server sends) and reconnect; what was
 * accepted meanwhile stays within the offline queue's limits and is delivered
 * on the next connection.
 *
 * Times here are real (keepAlive 1 s); the bounds allow for a busy machine.
 * The exact 1.5x bound is proven on a virtual clock in test/unit/engine-keepalive.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/errors.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import type { Transport, TransportFactory } from '../../src/transport/types.js';
import { within } from '../helpers/clients.js';
import { ScriptedBroker } from '../helpers/scripted-broker.js';
import { Fixture, guardProcess } from './support.js';

guardProcess();
const fixture = new Fixture();

const KEEPALIVE_MS = 1_000;
/** 1.5x Keep Alive, plus room for a loaded machine's late timers. */
const DETECTION_LIMIT_MS = 1.5 * KEEPALIVE_MS + 1_500;

/** TCP, counting what the client hands to the socket and how often the socket says it is full. */
function countingTcp(): { factory: TransportFactory; bytes: number[]; refused: number[] } {
  const bytes: number[] = [];
  const refused: number[] = [];
  const factory: TransportFactory = async (options, handlers) => {
    const n = bytes.length;
    bytes.push(0);
    refused.push(0);
    const inner = await tcpTransport(options, handlers);
    const outer: Transport = {
      encrypted: false,
      write(chunks) {
        for (const c of chunks) bytes[n] += c.length;
        const ok = inner.write(chunks);
        if (!ok) refused[n]++;
        return ok;
      },
      end: () => inner.end(),
      destroy: (error) => inner.destroy(error),
      set onDrain(listener: (() => void) | undefined) {
        inner.onDrain = listener;
      },
    };
    return outer;
  };
  return { factory, bytes, refused };
}

describe('a broker that never answers PINGREQ', () => {
  for (const version of [5, 4] as const) {
    it(`MQTT ${version === 5 ? '5' : '3.1.1'}: PINGREQ after Keep Alive, closed after the ping timeout (no DISCONNECT), reconnected`, async () => {
      const broker = fixture.broker(
        await ScriptedBroker.start(async (c) => {
          await c.accept();
          if (c.index > 1) c.answerPings();
        }),
      );
      const rec = fixture.client(broker, { protocolVersion: version, keepAlive: KEEPALIVE_MS / 1000 });
      let connectedAt = 0;
      let offlineAt = 0;
      rec.client.once('connect', () => {
        connectedAt = performance.now();
      });
      rec.client.once('offline', () => {
        offlineAt = performance.now();
      });
      rec.client.start();
      await rec.connected(2);
      const first = broker.connection(1);
      await within(first.closed, 5_000, 'the close');
      expect(first.received.map((p) => p.type)).toEqual(['connect', 'pingreq']);
      expect(first.closedBy).toBe('client');
      expect(rec.offline).toHaveLength(1);
      expect(rec.offline[0]).toBeInstanceOf(StateError);
      expect(rec.offline[0]).toMatchObject({ code: 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT', retryable: true });
      expect(rec.reconnects.map((r) => r.attempt)).toEqual([1]);
      expect(rec.errors).toEqual([]);
      expect(broker.attempts).toBe(2);
      const detection = offlineAt - connectedAt;
      expect(detection).toBeGreaterThanOrEqual(KEEPALIVE_MS);
      expect(detection).toBeLessThan(DETECTION_LIMIT_MS);
    });
  }
});

describe('a broker that stops reading', () => {
  it('QoS 0 published without pause: the client still pings (nothing was received for Keep Alive), finds the dead link, queues within limits, delivers on the next connection', async () => {
    let letSecondIn = () => {};
    const secondMayConnect = new Promise<void>((resolve) => {
      letSecondIn = resolve;
    });
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        if (c.index > 1) await secondMayConnect; // hold the reconnect until the test has filled the offline queue
        await c.accept();
        if (c.index === 1) c.stopReading();
        else c.answerPings();
      }),
    );
    const tcp = countingTcp();
    const rec = fixture.client(broker, {
      protocolVersion: 5,
      keepAlive: KEEPALIVE_MS / 1000,
      maxQueuedMessages: 500,
      transport: tcp.factory,
    });
    rec.client.start();
    await rec.connected(1);
    const startedAt = performance.now();
    const payload = new Uint8Array(1_024);
    let queueFull = 0;
    const otherErrors: unknown[] = [];
    let stop = false;
    let pumped = () => {};
    const pump = () => {
      for (let i = 0; i < 64; i++) {
        rec.client.publish('stream', payload).catch((err: { code?: string }) => {
          if (err.code === 'MQTTKIT_ERR_QUEUE_FULL') queueFull++;
          else otherErrors.push(err);
        });
      }
      if (stop) pumped();
      else setImmediate(pump);
    };
    pump();
    await rec.wentOffline(1);
    const detection = performance.now() - startedAt;
    // Keep publishing while offline until the offline queue (500) refuses.
    await new Promise<void>((resolve) => {
      pumped = resolve;
      const check = () => {
        if (queueFull > 0) stop = true;
        else setImmediate(check);
      };
      check();
    });
    letSecondIn();
    expect(rec.offline[0]).toMatchObject({ code: 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT' });
    expect(detection).toBeLessThan(DETECTION_LIMIT_MS);
    expect(tcp.refused[0]).toBeGreaterThan(0); // the socket did report it was full
    // Backpressure: once the socket reports full, publishes wait in the (bounded) queue instead of
    // piling up in the socket: at most a PINGREQ follows the first refused write. What the socket took
    // is the kernel's buffers on loopback (a few MiB) plus our 1 MiB; without backpressure the client
    // handed it 22.9 MB in the 1.5 s the detection took.
    expect(tcp.refused[0]).toBeLessThanOrEqual(3);
    expect(tcp.bytes[0]).toBeLessThan(16 * 1024 * 1024);
    expect(rec.client.queuedCount).toBe(500);
    await rec.connected(2);
    // The 500 queued go out on the new connection, in one batch right after CONNACK.
    const second = broker.connection(2);
    await within(second.next('pingreq', 5_000), 5_000, 'the queue to be flushed (a PINGREQ follows it)');
    expect(second.received.filter((p) => p.type === 'publish').length).toBeGreaterThanOrEqual(500);
    expect(otherErrors).toEqual([]);
  });

  it('QoS 1: at most Receive Maximum in flight and maxQueuedMessages queued, the rest refused at once; after the reconnect every accepted one is delivered in order', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.accept({ receiveMaximum: 20 });
        if (c.index === 1) {
          c.stopReading();
          return;
        }
        c.answerPings();
        for (;;) {
          const p = await c.next('publish');
          c.send({ type: 'puback', packetId: p.packetId as number, reasonCode: 0 });
        }
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 5, keepAlive: KEEPALIVE_MS / 1000, maxQueuedMessages: 200 });
    rec.client.start();
    await rec.connected(1);
    const results = Array.from({ length: 1_000 }, (_, i) =>
      rec.client.publish('q1', String(i), { qos: 1 }).then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? 'error',
      ),
    );
    expect(rec.client.inFlightCount).toBe(20);
    expect(rec.client.queuedCount).toBe(200);
    await rec.wentOffline(1);
    expect(rec.offline[0]).toMatchObject({ code: 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT' });
    const settled = await within(Promise.all(results), 10_000, 'every publish to settle');
    expect(settled.filter((r) => r === 'ok')).toHaveLength(220);
    expect(settled.filter((r) => r === 'MQTTKIT_ERR_QUEUE_FULL')).toHaveLength(780);
    expect(settled.slice(0, 220).every((r) => r === 'ok')).toBe(true);
    const second = broker.connection(2);
    const delivered = second.received.flatMap((p) => (p.type === 'publish' ? [new TextDecoder().decode(p.payload)] : []));
    expect(delivered).toEqual(Array.from({ length: 220 }, (_, i) => String(i)));
    expect(rec.client.inFlightCount).toBe(0);
  });
});

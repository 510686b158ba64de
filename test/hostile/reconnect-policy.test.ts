/**
 * The reconnect policy against brokers that hang up: connection attempts are
 * counted at the scripted broker. Losses that a new attempt can cure are
 * retried with exponential backoff and full jitter, and the backoff keeps
 * growing while no connection stays up (stableAfter); failures a retry meets
 * again (not authorized, bad credentials, session taken over) stop the client
 * unless `retryFatal` is set. A connection closed by the broker is reported
 * with a typed error even when TCP closed cleanly.
 */
import { describe, expect, it } from 'vitest';
import { ReasonCodeError, StateError } from '../../src/errors.js';
import { connect } from '../../src/node.js';
import { rejectionOf } from '../helpers/clients.js';
import { ScriptedBroker } from '../helpers/scripted-broker.js';
import { FAST, Fixture, guardProcess, type Recorder } from './support.js';

guardProcess();
const fixture = new Fixture();

/** The backoff ceiling before reconnect attempt `attempt` (1-based), per FAST. */
const ceiling = (attempt: number) => Math.min(FAST.maxDelay, FAST.initialDelay * 2 ** (attempt - 1));

/** Reconnect events are numbered 1, 2, 3... with no reset, each delay within its ceiling. */
function expectGrowingBackoff(rec: Recorder): void {
  const attempts = rec.reconnects.map((r) => r.attempt);
  expect(attempts).toEqual(attempts.map((_, i) => i + 1));
  for (const r of rec.reconnects) {
    expect(r.delay).toBeGreaterThanOrEqual(0);
    expect(r.delay).toBeLessThan(ceiling(r.attempt));
  }
}

describe('brokers that hang up', () => {
  it('closing without CONNACK: connect() rejects with a typed error after one attempt', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.end();
      }),
    );
    const err = await rejectionOf(connect(broker.url, { reconnect: FAST }));
    expect(err).toBeInstanceOf(StateError);
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_CONNECTION_LOST', retryable: true });
    expect(err.message).toMatch(/before CONNACK/);
    expect(broker.attempts).toBe(1);
  });

  it('closing without CONNACK, again and again: a started client retries with growing backoff, each loss typed', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.end();
      }),
    );
    const rec = fixture.client(broker);
    rec.client.start();
    await rec.until(() => rec.reconnects.length >= 6, 10_000, '6 reconnect events');
    await rec.client.end({ force: true });
    expectGrowingBackoff(rec);
    expect(rec.connects).toBe(0);
    expect(rec.offline).toEqual([]); // it was never online
    for (const r of rec.reconnects) expect(r.error).toMatchObject({ code: 'MQTTKIT_ERR_CONNECTION_LOST' });
    // One attempt per reconnect event, plus the first; the last scheduled one may not have run before end().
    expect(broker.attempts).toBeGreaterThanOrEqual(rec.reconnects.length);
    expect(broker.attempts).toBeLessThanOrEqual(rec.reconnects.length + 1);
  });

  it('CONNACK then an immediate close, repeatedly: every attempt connects, the backoff never resets (no connection was stable)', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.accept();
        c.end();
      }),
    );
    const rec = fixture.client(broker);
    rec.client.start();
    await rec.until(() => rec.reconnects.length >= 6, 10_000, '6 reconnect events');
    await rec.client.end({ force: true });
    expectGrowingBackoff(rec);
    expect(rec.connects).toBe(broker.attempts);
    expect(rec.errors).toEqual([]);
    expect(rec.offline.length).toBeGreaterThanOrEqual(6);
    for (const e of rec.offline) {
      expect(e).toBeInstanceOf(StateError);
      expect(e).toMatchObject({ code: 'MQTTKIT_ERR_CONNECTION_LOST' });
      expect(e?.message).toMatch(/without DISCONNECT/);
    }
  });
});

describe('fatal and retryable refusals', () => {
  it('MQTT 5 CONNACK 0x87 (not authorized) is fatal: one attempt, "close" with the ReasonCodeError, no reconnect', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.connack(undefined, false, 0x87);
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 5 });
    rec.client.start();
    await rec.closed();
    expect(rec.closes[0]).toBeInstanceOf(ReasonCodeError);
    expect(rec.closes[0]).toMatchObject({ code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87, retryable: false });
    expect(rec.reconnects).toEqual([]);
    expect(rec.client.state).toBe('closed');
    expect(broker.attempts).toBe(1);
  });

  it('MQTT 3.1.1 CONNACK return code 4 (bad user name or password) is fatal too: connect() rejects after one attempt', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.connack(undefined, false, 4);
      }),
    );
    const err = await rejectionOf(connect(broker.url, { protocolVersion: 4, reconnect: FAST }));
    expect(err).toMatchObject({ code: 'MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD', reasonCode: 0x86 });
    expect(broker.attempts).toBe(1);
  });

  it('retryFatal: true retries a fatal refusal, with backoff', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.connack(undefined, false, 0x87);
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 5, reconnect: { ...FAST, retryFatal: true } });
    rec.client.start();
    await rec.until(() => rec.reconnects.length >= 3, 10_000, '3 reconnect events');
    expect(rec.closes).toEqual([]);
    expect(broker.attempts).toBeGreaterThanOrEqual(3);
    for (const r of rec.reconnects) expect(r.error).toMatchObject({ reasonCode: 0x87 });
  });

  it('MQTT 5 CONNACK 0x88 (server unavailable) is retryable: the second attempt connects', async () => {
    const broker = fixture.broker(
      await ScriptedBroker.start(async (c) => {
        await c.next('connect');
        c.connack(undefined, false, c.index === 1 ? 0x88 : 0);
      }),
    );
    const rec = fixture.client(broker, { protocolVersion: 5 });
    rec.client.start();
    await rec.connected(1);
    expect(rec.reconnects.map((r) => [r.attempt, (r.error as ReasonCodeError).reasonCode])).toEqual([[1, 0x88]]);
    expect(broker.attempts).toBe(2);
  });

  it('a broker DISCONNECT 0x8E (session taken over) stops the client; 0x8B (server shutting down) is retried', async () => {
    for (const [reasonCode, fatal] of [
      [0x8e, true],
      [0x8b, false],
    ] as const) {
      const broker = fixture.broker(
        await ScriptedBroker.start(async (c) => {
          await c.accept();
          c.answerPings();
          if (c.index === 1) c.send({ type: 'disconnect', reasonCode });
        }),
      );
      const rec = fixture.client(broker, { protocolVersion: 5 });
      rec.client.start();
      if (fatal) {
        await rec.closed();
        expect(rec.closes[0]).toMatchObject({ reasonCode, retryable: false });
        expect(broker.attempts).toBe(1);
      } else {
        await rec.connected(2);
        expect(rec.reconnects.map((r) => (r.error as ReasonCodeError).reasonCode)).toEqual([reasonCode]);
        expect(broker.attempts).toBe(2);
      }
      // A broker's DISCONNECT is not answered with one (the broker closes the connection after it, [MQTT-3.14.4-2]).
      expect(broker.connection(1).received.map((p) => p.type)).toEqual(['connect']);
    }
  });
});

/**
 * No reconnect storm on refused credentials: a client that the broker
 * refuses (bad user name or password, not authorized) must not hammer it.
 * Connection attempts are counted where a broker would feel them: TCP
 * connections accepted by a proxy in front of it.
 *
 * By default a refusal retrying cannot fix closes the client after exactly
 * one attempt. With `reconnect.retryFatal: true` it keeps trying, spaced by
 * the backoff policy: each delay is drawn in [0, min(maxDelay, initialDelay *
 * factor^(attempt-1))) (full jitter), and no attempt comes sooner than its delay.
 *
 * Brokers: Mosquitto 2.0.11 answers a wrong password and an anonymous client
 * alike with "not authorized" (CONNACK 0x87 on MQTT 5, return code 5 on
 * 3.1.1); "bad user name or password" (return code 4, 0x86) comes from aedes.
 */

import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/codec/types.js';
import { ReasonCodeError } from '../../src/errors.js';
import { createClient, type ReconnectOptions } from '../../src/node.js';
import { FaultProxy, faultSeed } from '../helpers/fault-proxy.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { FAST } from './lib/scenario.js';

const seed = faultSeed();
/** How long a refused client is watched after it closed: a storm would show many attempts by then. */
const WATCH_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RefusalCase {
  name: string;
  broker: 'mosquitto' | 'aedes';
  protocolVersion: ProtocolVersion;
  username?: string;
  password?: string;
  code: string;
  reasonCode: number;
}

const CASES: RefusalCase[] = [
  {
    name: 'Mosquitto, v5, wrong password',
    broker: 'mosquitto',
    protocolVersion: 5,
    username: 'alice',
    password: 'wrong',
    code: 'MQTTKIT_ERR_NOT_AUTHORIZED',
    reasonCode: 0x87,
  },
  {
    name: 'Mosquitto, v3.1.1, wrong password',
    broker: 'mosquitto',
    protocolVersion: 4,
    username: 'alice',
    password: 'wrong',
    code: 'MQTTKIT_ERR_NOT_AUTHORIZED',
    reasonCode: 0x87,
  },
  { name: 'Mosquitto, v5, anonymous', broker: 'mosquitto', protocolVersion: 5, code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87 },
  {
    name: 'aedes, v3.1.1, wrong password',
    broker: 'aedes',
    protocolVersion: 4,
    username: 'bob',
    password: 'wrong',
    code: 'MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD',
    reasonCode: 0x86,
  },
  {
    name: 'aedes, v3.1.1, not authorized',
    broker: 'aedes',
    protocolVersion: 4,
    username: 'mallory',
    password: 'x',
    code: 'MQTTKIT_ERR_NOT_AUTHORIZED',
    reasonCode: 0x87,
  },
];

/** aedes on a free port of 127.0.0.1: bob/hunter2 may connect, mallory is not authorized (5), anyone else has bad credentials (4). */
async function startAedes(): Promise<{ port: number; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  aedes.authenticate = (_client, username, password, done) => {
    if (username === 'bob' && password?.toString() === 'hunter2') return done(null, true);
    const error = new Error('refused') as AuthenticateError;
    error.returnCode = username === 'mallory' ? 5 : 4;
    done(error, null);
  };
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

describeWithMosquitto('refused credentials do not cause a reconnect storm', () => {
  let mosquitto: Mosquitto;
  let aedes: { port: number; close(): Promise<void> };

  beforeAll(async () => {
    const started = await startMosquitto({ users: { alice: 's3cret' } });
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    mosquitto = started;
    aedes = await startAedes();
  });
  afterAll(async () => {
    await mosquitto?.stop();
    await aedes?.close();
  });

  const portOf = (c: RefusalCase) => (c.broker === 'mosquitto' ? mosquitto.port : aedes.port);

  it(`by default: exactly one connection attempt in ${WATCH_MS} ms, then closed with a typed, non-retryable error`, {
    timeout: 20_000,
  }, async () => {
    const outcomes = await Promise.all(
      CASES.map(async (c) => {
        const proxy = await FaultProxy.start({ target: portOf(c), seed, name: `auth/${c.name}` });
        const client = createClient(proxy.url, {
          protocolVersion: c.protocolVersion,
          username: c.username,
          password: c.password,
          reconnect: FAST,
        });
        let reconnects = 0;
        client.on('reconnect', () => reconnects++);
        const closed = new Promise<ReasonCodeError | undefined>((resolve) =>
          client.once('close', (e) => resolve(e.error as ReasonCodeError)),
        );
        client.start();
        const error = await closed;
        await sleep(WATCH_MS);
        const attempts = proxy.stats.connections;
        await proxy.close();
        return { c, error, attempts, reconnects, state: client.state };
      }),
    );
    for (const { c, error, attempts, reconnects } of outcomes) {
      console.log(
        `[fault] auth ${c.name}: ${attempts} connection attempt(s) in ${WATCH_MS} ms after close, ${reconnects} reconnects, ${error?.code}`,
      );
    }
    expect(
      outcomes.map(({ c, error, attempts, reconnects, state }) => ({ case: c.name, attempts, reconnects, state, code: error?.code })),
    ).toEqual(CASES.map((c) => ({ case: c.name, attempts: 1, reconnects: 0, state: 'closed', code: c.code })));
    for (const { c, error } of outcomes) {
      expect(error, c.name).toBeInstanceOf(ReasonCodeError);
      expect(error?.reasonCode, c.name).toBe(c.reasonCode);
      expect(error?.retryable, c.name).toBe(false);
    }
  });

  it('with reconnect.retryFatal: true, attempts follow the backoff policy (full jitter, doubling ceiling, capped)', {
    timeout: 20_000,
  }, async () => {
    const policy: Required<Omit<ReconnectOptions, 'stableAfter' | 'retryFatal'>> = { initialDelay: 100, maxDelay: 400, factor: 2 };
    const wanted = 7;
    const proxy = await FaultProxy.start({ target: mosquitto.port, seed, name: 'auth/retryFatal' });
    const client = createClient(proxy.url, {
      protocolVersion: 5,
      username: 'alice',
      password: 'wrong',
      reconnect: { ...policy, retryFatal: true },
    });
    const scheduled: { attempt: number; delay: number; code?: string }[] = [];
    client.on('reconnect', (e) =>
      scheduled.push({ attempt: e.attempt, delay: e.delay, code: (e.error as ReasonCodeError | undefined)?.code }),
    );
    client.start();
    const deadline = performance.now() + 10_000;
    while (proxy.stats.connections < wanted && performance.now() < deadline) await sleep(5);
    await client.end({ force: true });
    const accepted = [...proxy.accepted];
    await proxy.close();

    const gaps = accepted.slice(1).map((t, i) => t - accepted[i]);
    const ceiling = (attempt: number) => Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** (attempt - 1));
    console.log(
      `[fault] auth retryFatal: ${accepted.length} attempts; delays drawn ${scheduled.map((s) => `${s.delay}/${ceiling(s.attempt)}`).join(', ')} ms (delay/ceiling); ` +
        `gaps between attempts at the proxy ${gaps.map((g) => Math.round(g)).join(', ')} ms`,
    );
    expect(accepted.length).toBe(wanted);
    // One attempt per scheduled reconnect, nothing unscheduled (the last one may have been scheduled before end()).
    expect(scheduled.length === accepted.length - 1 || scheduled.length === accepted.length).toBe(true);
    expect(scheduled.map((s) => s.attempt)).toEqual(scheduled.map((_, i) => i + 1));
    for (const s of scheduled) {
      expect(s.code).toBe('MQTTKIT_ERR_NOT_AUTHORIZED');
      expect(s.delay).toBeGreaterThanOrEqual(0);
      expect(s.delay).toBeLessThan(ceiling(s.attempt));
    }
    // No attempt came sooner than its drawn delay (1 ms for timer rounding).
    for (const [i, gap] of gaps.entries()) expect(gap, `gap ${i + 1}`).toBeGreaterThanOrEqual(scheduled[i].delay - 1);
  });
});

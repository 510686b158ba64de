/**
 * Stalled connections: the proxy black-holes a connection (nothing is
 * forwarded in one or both directions, no FIN, no RST; the sockets stay
 * open). The client must notice within 1.5x its keep alive and replace the
 * connection: it sends PINGREQ once nothing was received for keep alive and
 * gives up when no PINGRESP came within the ping timeout (keep alive / 2 by
 * default), so the bound holds from the last byte received, for an idle
 * client and for one that keeps publishing (and so never goes quiet itself).
 *
 * Detection time is measured from the start of the stall to the client's
 * 'offline' event. The bound allows for two things outside the engine: how
 * late the client's timers fired (measured by a recording scheduler), and
 * bytes the proxy had forwarded just before the stall that the client read
 * just after it (measured by the transport); plus 2 ms for the time between
 * reading the clock and acting on it. Nothing else.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type MqttClient } from '../../src/node.js';
import { FaultProxy, faultSeed, Prng, type StallDirection } from '../helpers/fault-proxy.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { RecordingScheduler, timedTransport } from './lib/instruments.js';
import { FAST } from './lib/scenario.js';

const seed = faultSeed();
console.log(`[fault] stall: seed ${seed} (replay: FAULT_SEED=${seed} npx vitest run test/fault/stall.test.ts)`);

const KEEP_ALIVE = 1;
const BOUND_MS = 1.5 * KEEP_ALIVE * 1000;
const ROUNDS = 2;
/** The microseconds between reading the clock and acting on it, at each of the two timers and the event. */
const CLOCK_READINGS_MS = 2;

interface StallCase {
  name: string;
  publishing: boolean;
  direction: StallDirection;
}

const CASES: StallCase[] = [
  { name: 'idle, both directions', publishing: false, direction: 'both' },
  { name: 'idle, broker->client', publishing: false, direction: 'down' },
  { name: 'idle, client->broker', publishing: false, direction: 'up' },
  { name: 'publishing, both directions', publishing: true, direction: 'both' },
  { name: 'publishing, broker->client', publishing: true, direction: 'down' },
  { name: 'publishing, client->broker', publishing: true, direction: 'up' },
];

interface Measurement {
  name: string;
  /** ms from the stall to 'offline' (undefined: never went offline). */
  detection?: number;
  /** What the bound allows beyond 1.5x keep alive (timer lateness, bytes read after the stall). */
  slack: number;
  code?: string;
  replaced: boolean;
  published: number;
  resolved: number;
  unsettled: number;
  rejected: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitFor<T>(register: (resolve: (value: T) => void) => void, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Publishes QoS 1 every 10 ms until stopped, counting outcomes. */
function publishContinuously(client: MqttClient, topic: string) {
  const counts = { published: 0, resolved: 0, rejected: [] as string[] };
  const timer = setInterval(() => {
    counts.published++;
    client.publish(topic, `m${counts.published}`, { qos: 1 }).then(
      () => counts.resolved++,
      (err: { code?: string }) => counts.rejected.push(String(err.code)),
    );
  }, 10);
  return { counts, stop: () => clearInterval(timer) };
}

async function measure(broker: Mosquitto, c: StallCase, round: number, random: Prng): Promise<Measurement> {
  const proxy = await FaultProxy.start({ target: broker.port, seed, name: `stall/${c.name}/${round}` });
  const scheduler = new RecordingScheduler();
  const timed = timedTransport();
  const client = createClient(proxy.url, {
    protocolVersion: 5,
    keepAlive: KEEP_ALIVE,
    reconnect: FAST,
    connectTimeout: 2_000,
    scheduler,
    transport: timed.factory,
  });
  const m: Measurement = { name: c.name, slack: 0, replaced: false, published: 0, resolved: 0, unsettled: 0, rejected: [] };
  try {
    const connected = waitFor<void>((resolve) => client.once('connect', () => resolve()), 5_000);
    client.start();
    await connected;
    const publisher = c.publishing ? publishContinuously(client, `stall/${seed}/${round}/${c.name}`) : undefined;
    // Let keep alive settle into its rhythm, then stall at a random phase of it.
    await sleep(1_000 + random.int(0, 1_000));
    const offline = waitFor<{ at: number; code?: string }>(
      (resolve) =>
        client.once('offline', (e) => resolve({ at: performance.now(), code: (e.error as { code?: string } | undefined)?.code })),
      5_000,
    );
    const stallAt = proxy.stallAll(c.direction);
    const seen = await offline;
    if (seen !== undefined) {
      m.detection = seen.at - stallAt;
      m.code = seen.code;
      m.slack = scheduler.lateness(stallAt, seen.at) + Math.max(0, timed.lastDataAt() - stallAt);
      m.replaced = (await waitFor<void>((resolve) => client.once('connect', () => resolve()), 5_000)) !== undefined || client.connected;
    }
    publisher?.stop();
    if (publisher !== undefined) {
      const deadline = performance.now() + 10_000;
      while (publisher.counts.resolved + publisher.counts.rejected.length < publisher.counts.published && performance.now() < deadline) {
        await sleep(20);
      }
      m.published = publisher.counts.published;
      m.resolved = publisher.counts.resolved;
      m.rejected = publisher.counts.rejected;
      m.unsettled = m.published - m.resolved - m.rejected.length;
    }
    return m;
  } finally {
    await Promise.race([client.end({ force: true }), sleep(2_000)]);
    await proxy.close();
  }
}

describeWithMosquitto('stalled (black-holed) connections against Mosquitto', () => {
  let broker: Mosquitto;

  beforeAll(async () => {
    const started = await startMosquitto();
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = started;
  });
  afterAll(() => broker?.stop());

  it(`a stalled connection is detected within 1.5x keepAlive (${BOUND_MS} ms) and replaced: idle and publishing clients, black hole one way or both`, {
    timeout: 60_000,
  }, async () => {
    const random = new Prng(seed).fork('stall-phases');
    const measurements: Measurement[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      measurements.push(...(await Promise.all(CASES.map((c) => measure(broker, c, round, random)))));
    }
    const problems: string[] = [];
    for (const c of CASES) {
      const ms = measurements.filter((m) => m.name === c.name);
      const times = ms.map((m) => (m.detection === undefined ? 'never' : `${Math.round(m.detection)}`)).join(', ');
      const slack = ms.map((m) => Math.round(m.slack)).join(', ');
      const publishes = c.publishing ? `; publishes ${ms.map((m) => `${m.resolved}/${m.published} resolved`).join(', ')}` : '';
      console.log(
        `[fault] stall ${c.name}: detected after ${times} ms (bound ${BOUND_MS} ms + slack ${slack} ms), by ${ms.map((m) => m.code).join(', ')}${publishes}`,
      );
      for (const m of ms) {
        if (m.detection === undefined) problems.push(`${c.name}: never went offline`);
        else if (m.detection > BOUND_MS + m.slack + CLOCK_READINGS_MS) {
          problems.push(`${c.name}: detected after ${Math.round(m.detection)} ms > ${BOUND_MS} ms + ${Math.round(m.slack)} ms slack`);
        }
        if (m.detection !== undefined && !m.replaced) problems.push(`${c.name}: did not reconnect`);
        if (m.unsettled > 0) problems.push(`${c.name}: ${m.unsettled} publishes never settled`);
        if (m.rejected.length > 0) problems.push(`${c.name}: publishes rejected: ${m.rejected.slice(0, 3).join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
    // Both-way and broker->client stalls can only be found by keep alive.
    for (const m of measurements.filter((x) => !x.name.endsWith('client->broker')))
      expect(m.code, m.name).toBe('MQTTKIT_ERR_KEEPALIVE_TIMEOUT');
  });
});

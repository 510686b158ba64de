/**
 * Broker restarts in the middle of a stream (MQTT 5, persistent sessions,
 * Mosquitto with persistence).
 *
 * SIGTERM: Mosquitto leaves its main loop, writes its whole state to disk,
 * then exits; everything it acknowledged before is in that file. So nothing
 * may be lost: QoS 1 arrives at least once, QoS 2 exactly once and in order,
 * every publish() resolves, and every session is still there afterwards.
 *
 * SIGKILL: Mosquitto keeps its state in memory and writes all of it to disk
 * now and then. What "now and then" means (mosquitto 2.0.11, src/loop.c,
 * src/database.c): with `autosave_on_changes true` it saves at the end of a
 * main-loop pass once `autosave_interval` changes have accumulated; a change
 * is a subscription made or removed, a retained message, a connection, a
 * message queued for a client, a message moved from a client's queue to its
 * in-flight window, or one removed from it (acknowledged). This broker uses
 * `autosave_interval 1`: a save after every pass with a change. What that
 * does not cover, and a SIGKILL can therefore lose:
 * - acknowledgements written during the last pass before the kill: PUBACK
 *   and PUBREC go out while the pass handles the packet, the save comes at
 *   the end of the pass;
 * - a QoS 2 message received and PUBREC'd but not yet released by PUBREL:
 *   holding it in the publisher's incoming window is not a change, so it is
 *   saved only along with some later change;
 * - and a restored state that predates a message's completion can deliver a
 *   QoS 2 message a second time.
 * So the SIGKILL test holds the client to what is the client's (see
 * lib/crash.ts): every message the broker had not acknowledged when it died
 * arrives, QoS 2 exactly once, and every publish() settles. What the broker
 * had acknowledged and then lost, or delivers twice, is counted and printed,
 * not failed.
 *
 * The seed is printed; FAULT_SEED=<seed> replays it (no random faults here,
 * only the restarts).
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultSeed } from '../helpers/fault-proxy.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { runCrash } from './lib/crash.js';
import { NO_LOSS_BROKER_CONFIG, runScenario } from './lib/scenario.js';
import { formatResult } from './lib/stream.js';
import { runMessages, runReport, scenarioProblems } from './lib/verdict.js';

const seed = faultSeed();
console.log(`[fault] broker-restart: seed ${seed} (replay: FAULT_SEED=${seed} npx vitest run test/fault/broker-restart.test.ts)`);

describeWithMosquitto('broker restarts mid-stream (MQTT 5, persistent sessions, Mosquitto with persistence)', () => {
  /** Saves on exit only (the default autosave_interval, 30 min, never comes): enough for SIGTERM. */
  let graceful: Mosquitto;
  /** Saves after every main-loop pass with a change: as little as Mosquitto can lose to a SIGKILL (and slow: every save writes everything). */
  let crashing: Mosquitto;

  beforeAll(async () => {
    const [a, b] = await Promise.all([
      startMosquitto({ persistence: true, config: NO_LOSS_BROKER_CONFIG }),
      startMosquitto({ persistence: true, config: [...NO_LOSS_BROKER_CONFIG, 'autosave_on_changes true', 'autosave_interval 1'] }),
    ]);
    if (a === undefined || b === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    graceful = a;
    crashing = b;
  });
  afterAll(async () => {
    await graceful?.stop();
    await crashing?.stop();
  });

  it('two SIGTERM restarts mid-stream lose nothing: QoS 1 at least once, QoS 2 exactly once, in order, every publish() resolves, sessions kept [MQTT-4.4.0-1]', {
    timeout: 90_000,
  }, async () => {
    let restarts = 0;
    const restart = async () => {
      await graceful.restart({ signal: 'SIGTERM' });
      restarts++;
    };
    const run = await runScenario({
      brokerPort: graceful.port,
      seed,
      label: 'sigterm',
      protocolVersion: 5,
      streams: [
        { name: 'pub-q1', qos: 1, count: 6_000, window: 1_000 },
        { name: 'pub-q2', qos: 2, count: 6_000, window: 1_000 },
      ],
      subscriberProxy: true,
      midStream: [
        { at: 0.3, action: restart },
        { at: 0.7, action: restart },
      ],
      keepAlive: 2,
      runTimeout: 40_000,
      tailTimeout: 20_000,
      log: console.log,
    });
    for (const line of runReport(`SIGTERM restarts (${restarts})`, seed, run)) console.log(line);
    expect(restarts).toBe(2);
    expect(scenarioProblems(run)).toEqual([]);
    expect(runMessages(run)).toBe(12_000);
  });

  it('SIGKILL mid-stream: every message the broker had not acknowledged arrives (QoS 2 exactly once) or was refused by it with a reason code; every publish() settles', {
    timeout: 90_000,
  }, async () => {
    const crash = await runCrash({
      broker: crashing,
      seed,
      label: 'sigkill',
      streams: [
        { name: 'pub-q1', qos: 1, count: 1_000, window: 250 },
        { name: 'pub-q2', qos: 2, count: 1_000, window: 250 },
      ],
      killAt: 0.5,
      timeout: 30_000,
      log: console.log,
    });
    for (const s of crash.streams) {
      console.log(formatResult(s.result));
      console.log(
        `[fault]   ${s.result.name}: ${s.ackedBeforeCrash} acknowledged before the SIGKILL; lost by the broker (acknowledged, not saved) ${s.lostByBroker}, ` +
          `by the client ${s.lostByClient.length}; QoS 2 duplicates by the broker ${s.duplicatesByBroker}, by the client ${s.duplicatesByClient.length}`,
      );
    }
    console.log(
      `[fault] SIGKILL (seed ${seed}): ${crash.streams.reduce((n, s) => n + s.result.published, 0)} messages, ${Math.round(crash.durationMs)} ms, ` +
        `sessions after restart ${JSON.stringify(crash.sessionsAfterRestart)}; ${crash.rejected.length} publishes refused by the broker after it came back` +
        `${crash.rejected.length > 0 ? ` (${crash.rejected.slice(0, 3).join('; ')})` : ''}`,
    );
    expect(crash.timeout).toBeUndefined();
    expect(crash.rejectedByClient).toEqual([]);
    expect(crash.errors).toEqual([]);
    expect(
      crash.streams.map((s) => ({
        name: s.result.name,
        pending: s.result.pending,
        lost: s.lostByClient,
        duplicated: s.duplicatesByClient,
      })),
    ).toEqual(crash.streams.map((s) => ({ name: s.result.name, pending: 0, lost: [], duplicated: [] })));
    expect(crash.streams.every((s) => s.result.published === 1_000)).toBe(true);
  });
});

/**
 * No loss on a hostile network: publishers and a subscriber with persistent
 * sessions (Clean Start 0 and a Session Expiry Interval of 600 s on MQTT 5,
 * Clean Session 0 on 3.1.1) talk to a real Mosquitto (persistence on)
 * through proxies that cut their connections (RST, FIN), delay, stall and
 * half-close them at random bytes. On MQTT 5 both ends are cut; the 3.1.1
 * run keeps its subscriber on a clean path, so anything lost there is the
 * publishers' or the broker's doing. What is checked, and why order is
 * stated on first deliveries, is in lib/stream.ts; how what the broker causes
 * (QoS 2 messages re-sent after PUBREL, messages sent out of order) is told
 * apart, in lib/wire-tap.ts (BrokerAudit). The three runs go concurrently:
 * they spend most of their time waiting for reconnects.
 *
 * 3.1.1 broker setting: MQTT 3.1.1 has no Receive Maximum, so mqttkit may
 * have many QoS 2 publishes in flight. Mosquitto 2.0.11 acknowledges every
 * one of them (PUBREC, then PUBCOMP) but silently drops those beyond its
 * `max_inflight_messages` (default 20) that it had queued instead of keeping
 * in flight: with the default, of 3,000 QoS 2 publishes sent at once (no
 * fault at all) 83 reached the subscriber, and every publish() resolved. So
 * that broker's window is set to the publishers' (WINDOW_311 unsettled
 * publishes at most), and kept small: every cut resends the whole window.
 *
 * The seed is printed; FAULT_SEED=<seed> replays the same fault plans.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultSeed } from '../helpers/fault-proxy.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { chaos, NO_LOSS_BROKER_CONFIG, runScenario, type ScenarioOptions, type ScenarioResult } from './lib/scenario.js';
import { runCuts, runMessages, runReport, scenarioProblems } from './lib/verdict.js';

const seed = faultSeed();
console.log(`[fault] no-loss: seed ${seed} (replay: FAULT_SEED=${seed} npx vitest run test/fault/no-loss.test.ts)`);

const WINDOW_311 = 100;

describeWithMosquitto('no loss through cuts, delays, stalls and half-closes (Mosquitto with persistence)', () => {
  let v5: Mosquitto;
  let v311: Mosquitto;
  const totals = { messages: 0, faults: 0, midPacket: 0, duplicates: 0, lost: 0 };

  beforeAll(async () => {
    const [a, b] = await Promise.all([
      startMosquitto({ persistence: true, config: NO_LOSS_BROKER_CONFIG }),
      startMosquitto({ persistence: true, config: [...NO_LOSS_BROKER_CONFIG, `max_inflight_messages ${WINDOW_311}`] }),
    ]);
    if (a === undefined || b === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    v5 = a;
    v311 = b;
  });
  afterAll(async () => {
    console.log(
      `[fault] no-loss total: ${totals.messages} messages checked, ${totals.faults} faults survived (${totals.midPacket} inside a packet), ` +
        `${totals.duplicates} duplicates, ${totals.lost} lost`,
    );
    await Promise.all([v5?.stop(), v311?.stop()]);
  });

  async function run(
    label: string,
    options: Omit<ScenarioOptions, 'seed' | 'keepAlive' | 'runTimeout' | 'tailTimeout' | 'log'>,
  ): Promise<ScenarioResult> {
    const result = await runScenario({ ...options, seed, keepAlive: 1, runTimeout: 60_000, tailTimeout: 20_000, log: console.log });
    console.log(runReport(label, seed, result).join('\n'));
    totals.messages += runMessages(result);
    totals.faults += runCuts(result);
    totals.midPacket += result.midPacket;
    totals.duplicates += result.results.reduce((n, r) => n + r.duplicates, 0);
    totals.lost += result.results.reduce((n, r) => n + r.missing, 0);
    return result;
  }

  it.concurrent('v5 QoS 1, both ends cut: every published message arrives at least once, every publish() resolves, first deliveries keep per-publisher order [MQTT-4.4.0-1] [MQTT-4.6.0-1]', {
    timeout: 90_000,
  }, async () => {
    const result = await run('v5 QoS 1, both ends cut', {
      brokerPort: v5.port,
      label: 'v5-qos1',
      protocolVersion: 5,
      streams: [
        { name: 'pub-a', qos: 1, count: 8_000, window: 1_000 },
        { name: 'pub-b', qos: 1, count: 8_000, window: 1_000 },
      ],
      publisherFaults: chaos(30_000),
      subscriberFaults: chaos(60_000),
    });
    expect(scenarioProblems(result)).toEqual([]);
    expect(runMessages(result)).toBe(16_000);
    // The faults really hit both ends (a run that breaks nothing proves nothing).
    expect(result.publisherStats.connections).toBeGreaterThan(10);
    expect(result.subscriberStats?.connections).toBeGreaterThan(5);
  });

  it.concurrent('v5 QoS 2, both ends cut: every published message reaches the application exactly once, in order, every publish() resolves [MQTT-4.3.3-10] [MQTT-4.4.0-1]', {
    timeout: 90_000,
  }, async () => {
    const result = await run('v5 QoS 2, both ends cut', {
      brokerPort: v5.port,
      label: 'v5-qos2',
      protocolVersion: 5,
      streams: [
        { name: 'pub-a', qos: 2, count: 6_000, window: 1_000 },
        { name: 'pub-b', qos: 2, count: 6_000, window: 1_000 },
      ],
      publisherFaults: chaos(30_000),
      subscriberFaults: chaos(60_000),
    });
    expect(scenarioProblems(result)).toEqual([]);
    expect(runMessages(result)).toBe(12_000);
    expect(result.publisherStats.connections).toBeGreaterThan(10);
    expect(result.subscriberStats?.connections).toBeGreaterThan(5);
  });

  it.concurrent('v3.1.1 QoS 1 and QoS 2 publishers cut: QoS 1 at least once, QoS 2 exactly once, in order, every publish() resolves [MQTT-4.3.3-10] [MQTT-4.4.0-1]', {
    timeout: 90_000,
  }, async () => {
    const result = await run('v3.1.1 QoS 1 + QoS 2, publishers cut', {
      brokerPort: v311.port,
      label: 'v311',
      protocolVersion: 4,
      streams: [
        { name: 'pub-q1', qos: 1, count: 6_000, window: WINDOW_311 },
        { name: 'pub-q2', qos: 2, count: 6_000, window: WINDOW_311 },
      ],
      publisherFaults: chaos(30_000),
    });
    expect(scenarioProblems(result)).toEqual([]);
    expect(runMessages(result)).toBe(12_000);
    expect(result.publisherStats.connections).toBeGreaterThan(10);
  });
});

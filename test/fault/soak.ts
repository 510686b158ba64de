/**
 * The fault suite's long run: round after round of no-loss runs on a hostile
 * network (the scenarios of test/fault/*.test.ts, bigger, rotating), until
 * the time is up. Prints every round's counts and seed, then the totals;
 * exits 1 if any promise broke.
 *
 *   npm run soak                                  # 10 minutes, random seed
 *   npm run soak -- --duration 3600 --seed 42     # an hour, seed 42
 *   SOAK_DURATION=600 FAULT_SEED=42 npm run soak  # the same through the environment
 *   npm run soak -- --messages 50000              # messages per publisher and round (default 10000)
 *
 * A round's seed is printed with it; `--seed <round seed> --rounds 1
 * --first <kind>` replays that round alone.
 */

import { parseArgs } from 'node:util';
import { faultSeed } from '../helpers/fault-proxy.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { runCrash } from './lib/crash.js';
import { chaos, NO_LOSS_BROKER_CONFIG, runScenario, type ScenarioOptions } from './lib/scenario.js';
import { runCuts, runMessages, runReport, scenarioProblems } from './lib/verdict.js';

const KINDS = ['v5-qos1', 'v5-qos2', 'v5-restart', 'v311', 'sigkill'] as const;
type Kind = (typeof KINDS)[number];

const USAGE = `usage: npm run soak -- [--duration <seconds>] [--seed <n>] [--messages <n>] [--rounds <n>] [--first <${KINDS.join('|')}>]
  environment: SOAK_DURATION (seconds), FAULT_SEED`;

interface Totals {
  rounds: number;
  messages: number;
  faults: number;
  restarts: number;
  duplicates: number;
  brokerDuplicates: number;
  brokerReordered: number;
  brokerLost: number;
  problems: string[];
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      seed: { type: 'string' },
      messages: { type: 'string' },
      rounds: { type: 'string' },
      first: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (raw: string | undefined, fallback: number, name: string): number => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a non-negative number, got ${raw}\n${USAGE}`);
    return n;
  };
  if (values.seed !== undefined) process.env.FAULT_SEED = values.seed;
  const first = values.first ?? KINDS[0];
  if (!(KINDS as readonly string[]).includes(first)) throw new Error(`--first: one of ${KINDS.join(', ')}\n${USAGE}`);
  return {
    durationMs: number(values.duration ?? process.env.SOAK_DURATION, 600, 'duration') * 1000,
    seed: faultSeed(),
    messages: number(values.messages, 10_000, 'messages'),
    rounds: number(values.rounds, Number.POSITIVE_INFINITY, 'rounds'),
    first: KINDS.indexOf(first as Kind),
  };
}

async function main(): Promise<void> {
  const o = options();
  console.log(`[soak] seed ${o.seed}, ${o.durationMs / 1000} s, ${o.messages} messages per publisher and round`);
  console.log(`[soak] ${USAGE.split('\n').join('\n[soak] ')}`);
  const started = performance.now();
  const [v5, v311, crashing] = await Promise.all([
    startMosquitto({ persistence: true, config: NO_LOSS_BROKER_CONFIG }),
    startMosquitto({ persistence: true, config: [...NO_LOSS_BROKER_CONFIG, 'max_inflight_messages 100'] }),
    startMosquitto({ persistence: true, config: [...NO_LOSS_BROKER_CONFIG, 'autosave_on_changes true', 'autosave_interval 1'] }),
  ]);
  if (v5 === undefined || v311 === undefined || crashing === undefined)
    throw new Error('mosquitto not found: apt-get install -y mosquitto');
  const totals: Totals = {
    rounds: 0,
    messages: 0,
    faults: 0,
    restarts: 0,
    duplicates: 0,
    brokerDuplicates: 0,
    brokerReordered: 0,
    brokerLost: 0,
    problems: [],
  };
  try {
    for (let round = 0; round < o.rounds && performance.now() - started < o.durationMs; round++) {
      const kind = KINDS[(o.first + round) % KINDS.length];
      const seed = o.rounds === 1 ? o.seed : (o.seed + Math.imul(round, 0x9e3779b9)) >>> 0;
      console.log(`[soak] round ${round + 1}: ${kind}, seed ${seed} (replay: npm run soak -- --seed ${seed} --rounds 1 --first ${kind})`);
      if (kind === 'sigkill') await crashRound(crashing, seed, o.messages, totals);
      else await chaosRound(kind, kind === 'v311' ? v311 : v5, seed, o.messages, totals);
      totals.rounds++;
      const elapsed = Math.round((performance.now() - started) / 1000);
      console.log(
        `[soak] after ${totals.rounds} rounds, ${elapsed} s: ${totals.messages} messages, ${totals.faults} faults, ${totals.restarts} broker restarts, ` +
          `${totals.duplicates} duplicates (QoS 2: ${totals.brokerDuplicates} re-sent by the broker after PUBREL), ` +
          `${totals.brokerReordered} sent out of order by the broker, ${totals.brokerLost} lost by the broker in a SIGKILL, ${totals.problems.length} problems`,
      );
    }
  } finally {
    await Promise.all([v5.stop(), v311.stop(), crashing.stop()]);
  }
  for (const p of totals.problems) console.log(`[soak] PROBLEM ${p}`);
  console.log(totals.problems.length === 0 ? '[soak] no promise broken' : `[soak] ${totals.problems.length} problems`);
  process.exitCode = totals.problems.length === 0 ? 0 : 1;
}

async function chaosRound(
  kind: Exclude<Kind, 'sigkill'>,
  broker: Mosquitto,
  seed: number,
  messages: number,
  totals: Totals,
): Promise<void> {
  const v311 = kind === 'v311';
  const qos = (i: number): 1 | 2 => (kind === 'v5-qos1' ? 1 : kind === 'v5-qos2' ? 2 : i % 2 === 0 ? 1 : 2);
  let restarts = 0;
  const restart = async () => {
    await broker.restart({ signal: 'SIGTERM' });
    restarts++;
  };
  const scenario: ScenarioOptions = {
    brokerPort: broker.port,
    seed,
    label: kind,
    protocolVersion: v311 ? 4 : 5,
    streams: [0, 1].map((i) => ({ name: `pub-${i}`, qos: qos(i), count: messages, window: v311 ? 100 : 1_000 })),
    publisherFaults: chaos(30_000),
    subscriberFaults: chaos(60_000),
    midStream: kind === 'v5-restart' ? [{ at: 0.5, action: restart }] : [],
    keepAlive: 1,
    runTimeout: 600_000,
    tailTimeout: 120_000,
    log: console.log,
  };
  const run = await runScenario(scenario);
  for (const line of runReport(kind, seed, run)) console.log(line);
  totals.messages += runMessages(run);
  totals.faults += runCuts(run);
  totals.restarts += restarts;
  for (const r of run.results) {
    totals.duplicates += r.duplicates;
    totals.brokerDuplicates += r.brokerDuplicates;
    totals.brokerReordered += r.brokerReordered;
  }
  totals.problems.push(...scenarioProblems(run).map((p) => `${kind} seed ${seed}: ${p}`));
}

async function crashRound(broker: Mosquitto, seed: number, messages: number, totals: Totals): Promise<void> {
  // Every save writes the whole state, and the subscriber's queue grows while it is away: keep this round small.
  const count = Math.min(messages, 2_000);
  const crash = await runCrash({
    broker,
    seed,
    label: 'sigkill',
    streams: [
      { name: 'pub-q1', qos: 1, count, window: 250 },
      { name: 'pub-q2', qos: 2, count, window: 250 },
    ],
    killAt: 0.2 + (seed % 600) / 1000,
    timeout: 120_000,
    log: console.log,
  });
  totals.restarts++;
  for (const s of crash.streams) {
    console.log(
      `[soak]   ${s.result.name} QoS ${s.result.qos}: ${s.result.published} published, ${s.ackedBeforeCrash} acknowledged before the SIGKILL; ` +
        `lost by the broker ${s.lostByBroker}, by the client ${s.lostByClient.length}; QoS 2 duplicates by the broker ${s.duplicatesByBroker}, ` +
        `by the client ${s.duplicatesByClient.length}`,
    );
    totals.messages += s.result.published;
    totals.duplicates += s.result.duplicates;
    totals.brokerLost += s.lostByBroker;
    if (s.lostByClient.length > 0)
      totals.problems.push(`sigkill seed ${seed}: ${s.result.name} lost ${s.lostByClient.slice(0, 10).join(',')}`);
    if (s.duplicatesByClient.length > 0)
      totals.problems.push(`sigkill seed ${seed}: ${s.result.name} duplicated ${s.duplicatesByClient.slice(0, 10).join(',')}`);
    if (s.result.pending > 0) totals.problems.push(`sigkill seed ${seed}: ${s.result.name} ${s.result.pending} publishes never settled`);
  }
  if (crash.timeout !== undefined) totals.problems.push(`sigkill seed ${seed}: ${crash.timeout}`);
  if (crash.rejectedByClient.length > 0)
    totals.problems.push(`sigkill seed ${seed}: rejected ${crash.rejectedByClient.slice(0, 3).join('; ')}`);
  if (crash.errors.length > 0) totals.problems.push(`sigkill seed ${seed}: client errors ${crash.errors.slice(0, 3).join('; ')}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

/**
 * One implementation at one QoS: timed bursts through Mosquitto (run by
 * bench/e2e.ts in its own process per implementation and QoS; also usable on
 * its own, e.g. under a profiler).
 *
 * For each burst size, a fresh publisher/subscriber pair is connected for
 * every round (connecting is not timed), then the clock runs from the first
 * publish until every publish has settled AND the subscriber has received
 * all N messages. Each run is capped (`--timeout`, default 120 s); a run
 * that does not finish is reported with how far it got, and larger bursts
 * of that implementation are skipped. One untimed warm-up burst comes first.
 *
 * Usage:
 *   node --expose-gc --import tsx bench/e2e-burst.ts --impl mqttkit --qos 1 \
 *     [--sizes 10000,100000,1000000] [--rounds 5,3,1] [--timeout 120] [--warmup 10000] \
 *     [--protocol 5] [--url mqtt://127.0.0.1:port] [--mqttkit-build dir | --from-src] [--out result.json]
 *   --pub X --sub Y instead of --impl mixes implementations (e.g. mqttkit publishing to a bare subscriber).
 *   --profile file.cpuprofile records a V8 CPU profile of the measured rounds only (summarize it
 *   with bench/cpuprofile-top.ts).
 * Without --url it starts its own private Mosquitto (see bench/e2e-broker.ts); without
 * --mqttkit-build it compiles mqttkit into a temp dir first (see bench/e2e-build.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { QoS } from '../src/codec/index.js';
import { loadMqttkit, type Mqttkit } from './e2e-build.js';
import { type ClientOptions, IMPLS, type ImplName, openPublisher, openSubscriber, type Publisher, type Subscriber } from './e2e-clients.js';

export interface BurstRun {
  n: number;
  round: number;
  finished: boolean;
  /** First publish to the last of (all settled, all received), or to the timeout. */
  totalMs: number;
  /** The synchronous publish loop alone. */
  loopMs: number;
  /** CPU time of this Node process (publisher + subscriber + GC threads) over the run, ms. */
  cpuMs: number;
  /** CPU time of the broker over the run, ms (10 ms resolution; undefined without --broker-pid). */
  brokerCpuMs?: number;
  /** When every publish had settled / every message had arrived (from the first publish). */
  publishedMs?: number;
  receivedMs?: number;
  received: number;
  settled: number;
  failed: number;
  malformed: number;
  firstError?: string;
  /** All N received, N settled, no failures, nothing malformed or duplicated. */
  verified: boolean;
  /** n / totalMs, when finished. */
  rate?: number;
}

export interface BurstSize {
  n: number;
  runs: BurstRun[];
  /** Median msg/s over the finished rounds (undefined if none finished). */
  rate?: number;
  finished: boolean;
  /** Why this size was not run. */
  skipped?: string;
}

export interface BurstChildResult {
  /** Publisher and subscriber implementations (the same unless mixed on purpose). */
  pub: ImplName;
  sub: ImplName;
  qos: QoS;
  mqttkitSource: string;
  protocolVersion: 4 | 5;
  timeoutMs: number;
  warmup?: BurstRun;
  sizes: BurstSize[];
  /** Peak resident set size of this process, MB. */
  maxRssMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let brokerPid: number | undefined;

/** The broker's user + system CPU time so far, ms (from /proc on Linux), or undefined. */
function brokerCpu(): number | undefined {
  if (brokerPid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${brokerPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name; clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function timedBurst(pub: Publisher, sub: Subscriber, n: number, round: number, timeoutMs: number): Promise<BurstRun> {
  const before = { received: sub.received, settled: pub.settled, failed: pub.failed, malformed: sub.malformed };
  const received = sub.waitFor(n);
  const broker0 = brokerCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { loopMs, published } = pub.burst(n);
  let publishedMs: number | undefined;
  let receivedMs: number | undefined;
  const p = published.then(() => {
    publishedMs = performance.now() - t0;
  });
  const r = received.then(() => {
    receivedMs = performance.now() - t0;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    Promise.all([p, r]).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs - (performance.now() - t0)));
    }),
  ]);
  clearTimeout(timer);
  const totalMs = finished ? Math.max(publishedMs ?? 0, receivedMs ?? 0) : performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const broker1 = brokerCpu();
  // Give duplicates (there should be none) a moment to show up before counting.
  if (finished) await sleep(20);
  const run: BurstRun = {
    n,
    round,
    finished,
    totalMs,
    loopMs,
    publishedMs,
    receivedMs,
    received: sub.received - before.received,
    settled: pub.settled - before.settled,
    failed: pub.failed - before.failed,
    malformed: sub.malformed - before.malformed,
    verified: false,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  if (broker0 !== undefined && broker1 !== undefined) run.brokerCpuMs = broker1 - broker0;
  const firstError = pub.firstError ?? sub.firstError;
  if (firstError !== undefined) run.firstError = firstError;
  run.verified = finished && run.received === n && run.settled === n && run.failed === 0 && run.malformed === 0;
  if (finished) run.rate = n / (totalMs / 1000);
  return run;
}

function describeRun(label: string, run: BurstRun): string {
  const s = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
  const head = `${label} n=${fmt(run.n)} round ${run.round}:`;
  const us = (ms: number | undefined): string => (ms === undefined ? '-' : `${((ms * 1000) / run.n).toFixed(1)} µs/msg`);
  const timing = `loop ${s(run.loopMs)}, published ${s(run.publishedMs)}, received ${s(run.receivedMs)}, node CPU ${us(run.cpuMs)}, broker CPU ${us(run.brokerCpuMs)}`;
  const counts = `received ${fmt(run.received)}, settled ${fmt(run.settled)}, failed ${fmt(run.failed)}`;
  if (!run.finished)
    return `${head} DID NOT FINISH in ${s(run.totalMs)} (${counts}; ${timing})${run.firstError ? ` ${run.firstError}` : ''}`;
  const check = run.verified ? 'counts verified' : `COUNTS WRONG (${counts}, malformed ${run.malformed})`;
  return `${head} ${fmt(run.rate ?? 0)} msg/s (${timing}; ${check})${run.firstError ? ` first error: ${run.firstError}` : ''}`;
}

async function closeAll(clients: { close(): Promise<unknown> }[]): Promise<void> {
  await Promise.race([Promise.allSettled(clients.map((c) => c.close())), sleep(5_000)]);
}

export interface BurstChildOptions {
  pub: ImplName;
  sub: ImplName;
  qos: QoS;
  kit: Mqttkit;
  url: string;
  sizes: number[];
  rounds: number[];
  timeoutMs: number;
  warmup: number;
  protocolVersion: 4 | 5;
  log: (line: string) => void;
  /** Write a V8 CPU profile of the measured rounds (not the warm-up or start-up) to this file. */
  profile?: string;
}

/** Starts the V8 sampling profiler in this process; the returned function stops it and writes the .cpuprofile. */
async function startProfiler(file: string): Promise<() => Promise<void>> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

export async function runBursts(o: BurstChildOptions): Promise<BurstChildResult> {
  const label = `${o.pub === o.sub ? o.pub : `${o.pub} pub -> ${o.sub} sub`} qos${o.qos}`;
  const maxBurst = Math.max(...o.sizes);
  const sizes: BurstSize[] = [];
  let seq = 0;
  const once = async (n: number, round: number): Promise<BurstRun> => {
    const tag = `${o.pub}-${o.sub}-q${o.qos}-${process.pid}-${seq++}`;
    const options: ClientOptions = {
      url: o.url,
      topic: `bench/e2e/${tag}`,
      qos: o.qos,
      protocolVersion: o.protocolVersion,
      maxBurst,
      tag,
      kit: o.kit,
    };
    const sub = await openSubscriber(o.sub, options);
    const pub = await openPublisher(o.pub, options);
    pub.prepare(n);
    gc?.();
    try {
      return await timedBurst(pub, sub, n, round, o.timeoutMs);
    } finally {
      await closeAll([pub, sub]);
    }
  };

  let warmup: BurstRun | undefined;
  if (o.warmup > 0) {
    warmup = await once(o.warmup, 0);
    o.log(describeRun(`${label} warm-up`, warmup));
  }
  let stop: string | undefined;
  if (warmup !== undefined && !warmup.finished) {
    // Nothing to measure: report the warm-up (how far it got) as the first size's only run.
    stop = `the ${fmt(warmup.n)}-message warm-up burst did not finish in ${o.timeoutMs / 1000} s`;
    sizes.push({ n: o.sizes[0], runs: [warmup], finished: false });
  }
  const stopProfiler = o.profile === undefined ? undefined : await startProfiler(o.profile);
  for (let i = sizes.length; i < o.sizes.length; i++) {
    const n = o.sizes[i];
    if (stop !== undefined) {
      sizes.push({ n, runs: [], finished: false, skipped: stop });
      continue;
    }
    const runs: BurstRun[] = [];
    const rounds = o.rounds[i] ?? 1;
    for (let r = 1; r <= rounds; r++) {
      const run = await once(n, r);
      runs.push(run);
      o.log(describeRun(label, run));
      if (!run.finished) {
        stop = `the ${fmt(n)} burst did not finish in ${o.timeoutMs / 1000} s`;
        break;
      }
      // A slow implementation gets one round of a big burst: its time is better spent elsewhere.
      if (run.totalMs > 20_000) break;
    }
    const done = runs.filter((r) => r.finished && r.rate !== undefined);
    sizes.push({
      n,
      runs,
      finished: done.length === runs.length && runs.length > 0,
      rate: done.length > 0 ? median(done.map((r) => r.rate as number)) : undefined,
    });
  }
  await stopProfiler?.();
  return {
    pub: o.pub,
    sub: o.sub,
    qos: o.qos,
    mqttkitSource: o.kit.source,
    protocolVersion: o.protocolVersion,
    timeoutMs: o.timeoutMs,
    warmup,
    sizes,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

function numbers(text: string | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  return text.split(',').map((x) => {
    const v = Number(x.replace(/_/g, ''));
    if (!Number.isInteger(v) || v < 0) throw new Error(`not a non-negative integer: ${x}`);
    return v;
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const impl = arg(args, 'impl');
  const pub = (arg(args, 'pub') ?? impl) as ImplName;
  const sub = (arg(args, 'sub') ?? impl) as ImplName;
  if (!IMPLS.includes(pub) || !IMPLS.includes(sub)) throw new Error(`--impl (or --pub and --sub) must be one of ${IMPLS.join(', ')}`);
  const qos = Number(arg(args, 'qos') ?? '0') as QoS;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new Error('--qos must be 0, 1 or 2');
  const protocolVersion = Number(arg(args, 'protocol') ?? '5') as 4 | 5;
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new Error('--protocol must be 4 or 5');
  const sizes = numbers(arg(args, 'sizes'), [10_000, 100_000, 1_000_000]);
  const rounds = numbers(arg(args, 'rounds'), [5, 3, 1]);
  const timeoutMs = Number(arg(args, 'timeout') ?? '120') * 1000;
  const warmup = numbers(arg(args, 'warmup'), [10_000])[0];
  const out = arg(args, 'out');
  const pidArg = arg(args, 'broker-pid');
  if (pidArg !== undefined) brokerPid = Number(pidArg);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  // MQTT.js adds a 'drain' listener per QoS 0 publish once the socket is full: say so once, not per burst.
  const warned = new Set<string>();
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (warned.has(w.name)) return;
    warned.add(w.name);
    log(`(${pub}/${sub}) ${w.name}: ${w.message}`);
  });

  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    // mqttkit as shipped (bench/e2e-build.ts): compiled by bench/e2e.ts, or here into a temp dir; --from-src uses tsx.
    let build = arg(args, 'mqttkit-build');
    if (build === undefined && !args.includes('--from-src')) {
      const { compileMqttkit } = await import('./e2e-build.js');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttkit-build-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      build = compileMqttkit(dir);
    }
    const kit = await loadMqttkit(build);
    let url = arg(args, 'url');
    if (url === undefined) {
      const { startBenchBroker } = await import('./e2e-broker.js');
      const broker = await startBenchBroker(qos);
      url = broker.url;
      brokerPid = broker.pid;
      cleanup.push(() => broker.stop());
      log(`started a private Mosquitto at ${url}`);
    }
    const profile = arg(args, 'profile');
    const result = await runBursts({ pub, sub, qos, kit, url, sizes, rounds, timeoutMs, warmup, protocolVersion, log, profile });
    if (out !== undefined) writeFileSync(out, JSON.stringify(result));
  } finally {
    for (const f of cleanup.reverse()) await f();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    // Exit at once: a timed-out client may still hold sockets and timers.
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

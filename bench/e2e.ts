/**
 * End-to-end benchmark: mqttkit vs MQTT.js vs a bare socket (the ceiling),
 * publishing bursts through a private local Mosquitto, plus heap per idle
 * connected client.
 *
 * Bursts (bench/e2e-burst.ts, bench/e2e-clients.ts): one publisher and one
 * subscriber of the same implementation in one process, MQTT 5, one topic,
 * 64-byte payloads, the subscriber at the publisher's QoS. N publishes are
 * issued back to back without awaiting any, then the clock stops when every
 * publish has settled (QoS 0: handed to the socket; QoS 1: PUBACK; QoS 2:
 * PUBCOMP) and the subscriber has received all N. Every run checks the counts.
 * Each (QoS, burst size, implementation) runs in a fresh Node process against
 * a fresh broker, after one untimed 10k warm-up burst; implementations of one
 * size run one after the other, so they see similar machine load. Two mixed
 * pairs (mqttkit publishing to a bare subscriber and the reverse) show which
 * side of mqttkit costs what.
 *
 * mqttkit is measured as shipped: src/ compiled by the TypeScript compiler
 * (bench/e2e-build.ts explains why not through tsx); `--from-src` measures the
 * tsx-compiled sources instead.
 *
 * Heap (bench/e2e-heap.ts): 1,000 idle connected clients per implementation,
 * in a process of its own started with --expose-gc; heapUsed growth / 1,000.
 *
 * Usage: npx tsx bench/run.ts e2e [--quick]   (writes the `e2e` section of RESULTS.md)
 *        node --expose-gc --import tsx bench/e2e.ts [--quick] [--qos 0,1] [--impls bare,mqttkit] [--no-heap]
 *          [--from-src] [--result-file r.json]   (prints the markdown without --result-file)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { QoS } from '../src/codec/index.js';
import { BROKER_CONFIG, brokerTrouble, mosquittoVersion, openFilesLimit, QOS2_INFLIGHT, startBenchBroker } from './e2e-broker.js';
import { compileMqttkit, loadMqttkit, srcHash } from './e2e-build.js';
import type { BurstChildResult, BurstRun } from './e2e-burst.js';
import { IMPL_LABEL, IMPLS, type ImplName, PAYLOAD_SIZE } from './e2e-clients.js';
import type { HeapImpl, HeapResult } from './e2e-heap.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);

/** mqttkit must reach this share of the bare-socket msg/s (QoS 0 and 1). */
const CEILING_TARGET = 0.6;
/** mqttkit's 1M burst msg/s must be at least this share of its 10k burst msg/s ("within 20%"). */
const SCALING_TARGET = 0.8;
/** mqttkit's heap per idle client must be at most this share of MQTT.js's. */
const HEAP_TARGET = 0.5;
const HEAP_CLIENTS = 1000;
/** Rounds longer than this are not repeated (bench/e2e-burst.ts). */
const LONG_ROUND_S = 20;

interface Plan {
  quick: boolean;
  qos: QoS[];
  impls: ImplName[];
  /** Burst sizes and rounds per QoS. */
  sizes: Record<QoS, { n: number; rounds: number }[]>;
  /** Mixed pairs (QoS, size) measured for the "where the time goes" table. */
  mixed: { qos: QoS; n: number; rounds: number }[];
  timeoutS: number;
  warmup: number;
  heapReps: number;
  fromSrc: boolean;
}

function plan(quick: boolean): Plan {
  const full = [
    { n: 10_000, rounds: 5 },
    { n: 100_000, rounds: 3 },
    { n: 1_000_000, rounds: 2 },
  ];
  const short = [
    { n: 10_000, rounds: 3 },
    { n: 100_000, rounds: 1 },
  ];
  const mixedRounds = quick ? 1 : 3;
  return {
    quick,
    qos: [0, 1, 2],
    impls: [...IMPLS],
    sizes: quick ? { 0: short, 1: short, 2: short } : { 0: full, 1: full, 2: full },
    mixed: [
      { qos: 0, n: 100_000, rounds: mixedRounds },
      { qos: 1, n: 100_000, rounds: mixedRounds },
    ],
    timeoutS: quick ? 60 : 120,
    warmup: 10_000,
    heapReps: quick ? 1 : 3,
    fromSrc: false,
  };
}

/** One (QoS, burst size, publisher, subscriber) measurement: the child's result, or why there is none. */
interface Cell {
  pub: ImplName;
  sub: ImplName;
  qos: QoS;
  n: number;
  rounds: number;
  runs: BurstRun[];
  rate?: number;
  finished: boolean;
  /** Why the cell has no rate (not run, killed, crashed). */
  note?: string;
  maxRssMb?: number;
  brokerTrouble: string[];
}

export interface E2eResult {
  name: 'e2e';
  title: string;
  quick: boolean;
  timeoutS: number;
  mqttkitSource: string;
  cells: Cell[];
  heap: HeapResult[];
  markdown: string;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const short = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `node --expose-gc --import tsx bench/<script> ...args --out <file>` and
 * returns the JSON it wrote, or the reason it wrote none. The child is killed
 * (by its pid) after `deadlineMs`: a library that blocks its event loop cannot
 * enforce its own timeout.
 */
function runChild<T>(script: string, args: string[], out: string, deadlineMs: number): Promise<{ result?: T; failure?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(benchDir, script), ...args, '--out', out], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ failure: `could not start: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (killed) {
        resolve({ failure: `killed after ${Math.round(deadlineMs / 1000)} s (event loop blocked; counts unavailable)` });
      } else if (code === 0 && existsSync(out)) {
        resolve({ result: JSON.parse(readFileSync(out, 'utf8')) as T });
      } else {
        resolve({ failure: `crashed (${signal ?? `exit ${code}`})` });
      }
    });
  });
}

/**
 * Runs one round of a cell in a child process against a fresh broker (its own
 * untimed warm-up first) and adds the run to the cell.
 */
async function measureRound(p: Plan, kitArgs: string[], tmp: string, cell: Cell, round: number): Promise<void> {
  const { pub, sub, qos, n } = cell;
  log(
    `\n--- ${pub === sub ? IMPL_LABEL[pub] : `${IMPL_LABEL[pub]} publisher -> ${IMPL_LABEL[sub]} subscriber`}, QoS ${qos}, ${fmt(n)} messages, round ${round} ---`,
  );
  const broker = await startBenchBroker(qos);
  const out = path.join(tmp, `burst-${pub}-${sub}-${qos}-${n}-${round}.json`);
  const args = ['--pub', pub, '--sub', sub, '--qos', String(qos), '--url', broker.url, '--broker-pid', String(broker.pid)];
  args.push('--sizes', String(n), '--rounds', '1');
  args.push('--timeout', String(p.timeoutS), '--warmup', String(p.warmup), ...kitArgs);
  const deadline = (p.timeoutS * 1.5 + 90) * 1000;
  const { result, failure } = await runChild<BurstChildResult>('e2e-burst.ts', args, out, deadline);
  cell.brokerTrouble.push(...brokerTrouble(broker));
  await broker.stop();
  if (result === undefined) {
    cell.note = failure;
    cell.finished = false;
    return;
  }
  const size = result.sizes[0];
  for (const run of size.runs) cell.runs.push({ ...run, round });
  const done = cell.runs.filter((r) => r.finished && r.rate !== undefined);
  cell.finished = size.finished && cell.runs.every((r) => r.finished);
  cell.rate = done.length > 0 ? median(done.map((r) => r.rate as number)) : undefined;
  cell.maxRssMb = Math.max(cell.maxRssMb ?? 0, result.maxRssMb ?? 0) || undefined;
}

/** Whether a cell should get another round: it has not failed, and its rounds are short enough to repeat. */
function wantsRound(cell: Cell): boolean {
  if (cell.note !== undefined) return false;
  const last = cell.runs.at(-1);
  return last === undefined || (last.finished && last.totalMs <= LONG_ROUND_S * 1000);
}

/**
 * Measures cells round by round, alternating between them (bare, mqttkit,
 * MQTT.js, bare, ...), so that a change in the machine's other load during the
 * run weighs on every implementation alike instead of on whichever ran then.
 */
async function measureInterleaved(p: Plan, kitArgs: string[], tmp: string, cells: Cell[]): Promise<void> {
  const rounds = Math.max(0, ...cells.map((c) => c.rounds));
  for (let round = 1; round <= rounds; round++) {
    for (const cell of cells) {
      if (round <= cell.rounds && wantsRound(cell)) await measureRound(p, kitArgs, tmp, cell, round);
    }
  }
}

async function runBurstCells(p: Plan, kitArgs: string[], tmp: string): Promise<Cell[]> {
  const cells: Cell[] = [];
  const gaveUp = new Map<string, string>(); // impl+qos -> why larger bursts are skipped
  const lastTime = new Map<string, { n: number; ms: number }>(); // impl+qos -> median time of the last size run
  for (const qos of p.qos) {
    for (const { n, rounds } of p.sizes[qos]) {
      const runnable: Cell[] = [];
      for (const impl of p.impls) {
        const key = `${impl}/${qos}`;
        const cell: Cell = { pub: impl, sub: impl, qos, n, rounds, runs: [], finished: false, brokerTrouble: [] };
        cells.push(cell);
        const skip = gaveUp.get(key);
        if (skip !== undefined) {
          cell.note = `not run (${skip})`;
          continue;
        }
        // Linear extrapolation from the previous size is a lower bound (no client gets faster per
        // message with a longer queue); past the timeout, running it would only measure the timeout.
        const prev = lastTime.get(key);
        if (prev !== undefined && (prev.ms / prev.n) * n > p.timeoutS * 1000) {
          const atLeast = Math.round(((prev.ms / prev.n) * n) / 1000);
          cell.note = `not run: the ${short(prev.n)} burst took ${(prev.ms / 1000).toFixed(1)} s, so ${short(n)} needs ≥ ${atLeast} s > ${p.timeoutS} s`;
          gaveUp.set(key, `the ${short(prev.n)} burst took ${(prev.ms / 1000).toFixed(1)} s`);
          continue;
        }
        runnable.push(cell);
      }
      await measureInterleaved(p, kitArgs, tmp, runnable);
      for (const cell of runnable) {
        const key = `${cell.pub}/${qos}`;
        if (cell.note !== undefined) gaveUp.set(key, `the ${short(n)} burst was ${cell.note}`);
        else if (!cell.finished) gaveUp.set(key, `the ${short(n)} burst did not finish`);
        else lastTime.set(key, { n, ms: median(cell.runs.map((r) => r.totalMs)) });
      }
    }
  }
  if (p.impls.includes('mqttkit') && p.impls.includes('bare')) {
    for (const { qos, n, rounds } of p.mixed.filter((m) => p.qos.includes(m.qos))) {
      const pairs: [ImplName, ImplName][] = [
        ['mqttkit', 'bare'],
        ['bare', 'mqttkit'],
      ];
      const mixed = pairs.map(([pub, sub]): Cell => ({ pub, sub, qos, n, rounds, runs: [], finished: false, brokerTrouble: [] }));
      cells.push(...mixed);
      await measureInterleaved(p, kitArgs, tmp, mixed);
    }
  }
  return cells;
}

async function runHeap(
  p: Plan,
  kitArgs: string[],
  tmp: string,
): Promise<{ results: HeapResult[]; failures: string[]; brokerFiles?: string }> {
  const results: HeapResult[] = [];
  const failures: string[] = [];
  const broker = await startBenchBroker();
  const brokerFiles = openFilesLimit(broker.pid);
  try {
    for (let rep = 1; rep <= p.heapReps; rep++) {
      for (const impl of ['mqttkit', 'mqttjs'] as HeapImpl[]) {
        log(`\n--- heap: ${HEAP_CLIENTS} idle ${impl} clients (run ${rep}) ---`);
        const out = path.join(tmp, `heap-${impl}-${rep}.json`);
        const args = ['--impl', impl, '--url', broker.url, '--clients', String(HEAP_CLIENTS), ...kitArgs];
        const { result, failure } = await runChild<HeapResult>('e2e-heap.ts', args, out, 180_000);
        if (result !== undefined) results.push(result);
        else failures.push(`${impl} run ${rep}: ${failure}`);
      }
    }
  } finally {
    await broker.stop();
  }
  return { results, failures, brokerFiles };
}

// --- Report ---

function cellOf(cells: Cell[], impl: ImplName, qos: QoS, n: number, sub: ImplName = impl): Cell | undefined {
  return cells.find((c) => c.pub === impl && c.sub === sub && c.qos === qos && c.n === n);
}

/** What a table cell shows for a burst. */
function rateText(cell: Cell | undefined, timeoutS: number): string {
  if (cell === undefined) return '—';
  if (cell.rate !== undefined && cell.finished) {
    const bad = cell.runs.some((r) => !r.verified);
    return `${fmt(cell.rate)}${bad ? ' ⚠️ counts wrong' : ''}`;
  }
  const last = cell.runs[cell.runs.length - 1];
  if (last !== undefined && !last.finished) {
    return `did not finish in ${timeoutS} s (${fmt(last.received)} of ${fmt(last.n)} received, ${fmt(last.settled)} settled)`;
  }
  return cell.note ?? 'no result';
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'n/a' : ok ? '✅ pass' : '❌ fail';
}

function ratioOf(cells: Cell[], qos: QoS, n: number): number | undefined {
  const bare = cellOf(cells, 'bare', qos, n);
  const kit = cellOf(cells, 'mqttkit', qos, n);
  return bare?.rate !== undefined && kit?.rate !== undefined && bare.finished && kit.finished ? kit.rate / bare.rate : undefined;
}

function burstTable(cells: Cell[], p: Plan, qos: QoS): string {
  const withTarget = qos !== 2;
  const head = ['Burst', 'bare socket (msg/s)', 'mqttkit (msg/s)', 'MQTT.js (msg/s)', 'mqttkit / bare'];
  if (withTarget) head.push(`≥ ${pct(CEILING_TARGET)} of bare`);
  head.push('mqttkit / MQTT.js');
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  for (const { n, rounds } of p.sizes[qos]) {
    const kit = cellOf(cells, 'mqttkit', qos, n);
    const js = cellOf(cells, 'mqttjs', qos, n);
    const ratio = ratioOf(cells, qos, n);
    const vsJs =
      js?.rate !== undefined && kit?.rate !== undefined && js.finished && kit.finished ? `${(kit.rate / js.rate).toFixed(1)}x` : '—';
    const row = [
      `${fmt(n)} (${rounds > 1 ? `median, ≤${rounds} rounds` : '1 round'})`,
      rateText(cellOf(cells, 'bare', qos, n), p.timeoutS),
      rateText(kit, p.timeoutS),
      rateText(js, p.timeoutS),
    ];
    row.push(ratio === undefined ? '—' : pct(ratio));
    if (withTarget)
      row.push(verdict(ratio === undefined ? (kit !== undefined && !kit.finished ? false : undefined) : ratio >= CEILING_TARGET));
    row.push(vsJs);
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Median µs per message of Node CPU and broker CPU over a cell's finished rounds. */
function cpuOf(cell: Cell | undefined): { node?: number; broker?: number } {
  const runs = cell?.runs.filter((r) => r.finished) ?? [];
  if (runs.length === 0) return {};
  const brokerRuns = runs.filter((r) => r.brokerCpuMs !== undefined);
  return {
    node: median(runs.map((r) => (r.cpuMs * 1000) / r.n)),
    broker: brokerRuns.length > 0 ? median(brokerRuns.map((r) => ((r.brokerCpuMs as number) * 1000) / r.n)) : undefined,
  };
}

function cpuTable(cells: Cell[], p: Plan): string {
  const us = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(2));
  const lines = [
    '| QoS | Burst | bare socket: Node / broker | mqttkit: Node / broker | MQTT.js: Node / broker | mqttkit / bare (Node CPU) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const qos of p.qos) {
    for (const { n } of p.sizes[qos]) {
      const [bare, kit, js] = (['bare', 'mqttkit', 'mqttjs'] as ImplName[]).map((i) => cpuOf(cellOf(cells, i, qos, n)));
      const ratio = bare.node !== undefined && kit.node !== undefined ? `${(kit.node / bare.node).toFixed(1)}x` : '—';
      const pair = (c: { node?: number; broker?: number }): string => `${us(c.node)} / ${us(c.broker)}`;
      lines.push(`| ${qos} | ${fmt(n)} | ${pair(bare)} | ${pair(kit)} | ${pair(js)} | ${ratio} |`);
    }
  }
  return lines.join('\n');
}

function mixedTable(cells: Cell[], p: Plan): string | undefined {
  const rows = p.mixed.filter((m) => cellOf(cells, 'mqttkit', m.qos, m.n, 'bare') !== undefined);
  if (rows.length === 0) return undefined;
  const lines = [
    '| QoS | Burst | bare → bare | mqttkit publisher → bare subscriber | bare publisher → mqttkit subscriber | mqttkit → mqttkit |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { qos, n } of rows) {
    const base = cellOf(cells, 'bare', qos, n)?.rate;
    const show = (c: Cell | undefined): string => {
      const text = rateText(c, p.timeoutS);
      return c?.rate !== undefined && base !== undefined && c.pub !== c.sub ? `${text} (${pct(c.rate / base)})` : text;
    };
    const kit = cellOf(cells, 'mqttkit', qos, n);
    const kitText =
      kit?.rate !== undefined && base !== undefined ? `${rateText(kit, p.timeoutS)} (${pct(kit.rate / base)})` : rateText(kit, p.timeoutS);
    lines.push(
      `| ${qos} | ${fmt(n)} | ${rateText(cellOf(cells, 'bare', qos, n), p.timeoutS)} | ${show(cellOf(cells, 'mqttkit', qos, n, 'bare'))} | ${show(cellOf(cells, 'bare', qos, n, 'mqttkit'))} | ${kitText} |`,
    );
  }
  return lines.join('\n');
}

interface Scaling {
  qos: QoS;
  smallN: number;
  bigN: number;
  small?: number;
  big?: number;
  ratio?: number;
  ok?: boolean;
}

function scalingRows(cells: Cell[], p: Plan): Scaling[] {
  return p.qos.map((qos) => {
    const sizes = p.sizes[qos].map((s) => s.n);
    const smallN = Math.min(...sizes);
    const bigN = Math.max(...sizes);
    const small = cellOf(cells, 'mqttkit', qos, smallN)?.rate;
    const bigCell = cellOf(cells, 'mqttkit', qos, bigN);
    const big = bigCell?.finished ? bigCell.rate : undefined;
    const ratio = small !== undefined && big !== undefined ? big / small : undefined;
    const ok = ratio !== undefined ? ratio >= SCALING_TARGET : bigCell !== undefined && !bigCell.finished ? false : undefined;
    return { qos, smallN, bigN, small, big, ratio, ok };
  });
}

function heapSummary(results: HeapResult[]): Record<HeapImpl, { heap?: number; rss?: number; runs: number[] }> {
  const pick = (impl: HeapImpl) => {
    const rs = results.filter((r) => r.impl === impl);
    return {
      heap: rs.length > 0 ? median(rs.map((r) => r.heapPerClient)) : undefined,
      rss: rs.length > 0 ? median(rs.map((r) => r.rssPerClient)) : undefined,
      runs: rs.map((r) => r.heapPerClient),
    };
  };
  return { mqttkit: pick('mqttkit'), mqttjs: pick('mqttjs') };
}

function runsTable(cells: Cell[]): string {
  const s = (ms: number | undefined): string => (ms === undefined ? '—' : (ms / 1000).toFixed(2));
  const lines = [
    '| Publisher → subscriber | QoS | N | Round | msg/s | publish loop (s) | all settled (s) | all received (s) | Node CPU (s) | broker CPU (s) | received | settled | check | peak RSS (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const c of cells) {
    const who = c.pub === c.sub ? IMPL_LABEL[c.pub] : `${IMPL_LABEL[c.pub]} → ${IMPL_LABEL[c.sub]}`;
    if (c.runs.length === 0) {
      lines.push(`| ${who} | ${c.qos} | ${fmt(c.n)} | — | — | — | — | — | — | — | — | — | ${c.note ?? ''} | — |`);
      continue;
    }
    for (const r of c.runs) {
      const check = !r.finished ? 'did not finish' : r.verified ? 'ok' : `⚠️ failed ${r.failed}, malformed ${r.malformed}`;
      const err = r.firstError ? ` (${r.firstError.replace(/\|/g, '/').slice(0, 120)})` : '';
      const rss = c.maxRssMb === undefined ? '—' : fmt(c.maxRssMb);
      lines.push(
        `| ${who} | ${c.qos} | ${fmt(c.n)} | ${r.round} | ${r.rate === undefined ? '—' : fmt(r.rate)} | ${s(r.loopMs)} | ${s(r.publishedMs)} | ${s(r.receivedMs)} | ${s(r.cpuMs)} | ${s(r.brokerCpuMs)} | ${fmt(r.received)} | ${fmt(r.settled)} | ${check}${err} | ${rss} |`,
      );
    }
  }
  return lines.join('\n');
}

interface Env {
  mosquitto: string;
  mqttjs: string;
  mqttkitSource: string;
  nodeFiles?: string;
}

function markdown(p: Plan, cells: Cell[], heap: { results: HeapResult[]; failures: string[]; brokerFiles?: string }, env: Env): string {
  const scaling = scalingRows(cells, p);
  const h = heapSummary(heap.results);
  const heapRatio = h.mqttkit.heap !== undefined && h.mqttjs.heap !== undefined ? h.mqttkit.heap / h.mqttjs.heap : undefined;
  const trouble = [...new Set(cells.flatMap((c) => c.brokerTrouble))];
  const sizesText = (qos: QoS): string => p.sizes[qos].map((s) => short(s.n)).join(', ');
  const ceilingOk = (qos: QoS): boolean | undefined => {
    const verdicts = p.sizes[qos].map(({ n }) => {
      const kit = cellOf(cells, 'mqttkit', qos, n);
      if (kit !== undefined && !kit.finished && kit.note === undefined) return false;
      const ratio = ratioOf(cells, qos, n);
      return ratio === undefined ? undefined : ratio >= CEILING_TARGET;
    });
    if (verdicts.some((v) => v === false)) return false;
    return verdicts.every((v) => v === true) ? true : undefined;
  };

  const out: string[] = [];
  out.push(
    `mqttkit vs MQTT.js ${env.mqttjs} vs a bare \`node:net\` socket (the ceiling), through a private ${env.mosquitto} on 127.0.0.1${p.quick ? ' — **quick run (`--quick`): fewer rounds, no 1M bursts; numbers are rough**' : ''}.`,
    '',
    `- Burst: one publisher and one subscriber of the same implementation, in one Node process, MQTT 5, one topic, ${PAYLOAD_SIZE}-byte payloads, subscriber at the publisher's QoS. N publishes are issued back to back without awaiting any (mqttkit: \`client.publish()\` promises; MQTT.js: \`client.publish(..., callback)\`; bare: one pre-encoded buffer written to the socket, at most the broker's Receive Maximum of QoS 1/2 messages in flight). The clock runs from the first publish until every publish has settled (QoS 0 handed to the socket, QoS 1 PUBACK, QoS 2 PUBCOMP) and the subscriber has received all N. Counts are checked on every run (all N received, N settled, nothing failed or malformed).`,
    `- Each (QoS, burst size, implementation) round runs in a fresh Node process against a fresh broker after an untimed ${short(p.warmup)} warm-up burst; the implementations take turns round by round (bare, mqttkit, MQTT.js, bare, ...), so that other load on the machine weighs on each alike; rounds over ${LONG_ROUND_S} s are not repeated. Each run is capped at ${p.timeoutS} s (a client that blocks its event loop is killed later); larger bursts of an implementation that did not finish, or whose smaller burst extrapolates (linearly, a lower bound) past the cap, are not run.`,
    `- mqttkit: ${env.mqttkitSource} (bench/e2e-build.ts says why not through tsx). Publisher \`maxQueuedMessages\` raised to the burst size (publishes beyond the broker's Receive Maximum wait in its queue, which refuses more than 100,000 by default). MQTT.js: \`messageIdProvider: new UniqueMessageIdProvider()\` on the publisher (its default provider reuses packet ids still in flight past 65,535 messages and loses callbacks), \`reconnectPeriod: 0\`.`,
    `- Broker: \`${BROKER_CONFIG.join('`, `')}\`, persistence off; for QoS 2 \`max_inflight_messages ${QOS2_INFLIGHT}\` (with 0 Mosquitto announces Receive Maximum 65,535 and scans its list of unreleased incoming QoS 2 messages per PUBLISH: a 100k QoS 2 burst then does not finish in minutes even from the bare socket; bench/e2e-broker.ts). \`max_connections\` at its default (-1, unlimited). Open files: ${env.nodeFiles ?? '?'} for Node, ${heap.brokerFiles ?? '?'} for Mosquitto (each of the ${fmt(HEAP_CLIENTS)} heap clients needs one in each).`,
    '- msg/s = N / time; a size with several rounds shows the median. This machine runs other work too: compare rows of the same run, not runs.',
    '',
  );
  for (const qos of p.qos) {
    out.push(`### QoS ${qos}: msg/s (bursts of ${sizesText(qos)})`, '', burstTable(cells, p, qos), '');
    const js = cells.filter((c) => c.pub === 'mqttjs' && c.qos === qos && c.runs.some((r) => !r.finished && r.received === 0));
    if (qos === 2 && js.length > 0) {
      out.push(
        `MQTT.js does not respect the broker's Receive Maximum (MQTT 5 §3.3.4: at most that many unacknowledged QoS 1/2 PUBLISHes): Mosquitto announces ${QOS2_INFLIGHT} here, MQTT.js sends the whole burst, and Mosquitto closes the connection at the first unacknowledged PUBLISH beyond it (checked separately: ${fmt(QOS2_INFLIGHT)} QoS 2 publishes at once complete, ${fmt(QOS2_INFLIGHT + 1)} get the connection closed, none complete). Its callbacks never fire, so the run hangs until the cap.`,
        '',
      );
    }
  }
  out.push(
    '### CPU per message',
    '',
    'CPU time (user + system) per message in µs, median over the finished rounds: the Node process (publisher, subscriber and GC together) / the broker (from /proc, 10 ms resolution). Less sensitive to other load on the machine than msg/s; the bare socket shows what the broker and the kernel cost on their own.',
    '',
    cpuTable(cells, p),
    '',
  );
  const mixed = mixedTable(cells, p);
  if (mixed !== undefined) {
    out.push(
      '### Which side of mqttkit costs what',
      '',
      'msg/s with one side of the pair replaced by the bare socket (median; % of bare → bare).',
      '',
      mixed,
      '',
    );
  }
  out.push(
    '### mqttkit: largest burst vs smallest burst',
    '',
    `"Within 20%" is read as "no more than 20% slower": the large burst must reach ≥ ${pct(SCALING_TARGET)} of the small one's msg/s; being faster (fixed start-up costs weigh less in a long burst) passes.`,
    '',
    `| QoS | mqttkit small burst (msg/s) | mqttkit large burst (msg/s) | large / small | ≥ ${pct(SCALING_TARGET)} (QoS 0 and 1) |`,
    '| --- | ---: | ---: | ---: | --- |',
    ...scaling.map((r) => {
      const big = r.big === undefined ? 'did not finish' : `${fmt(r.big)} (${short(r.bigN)})`;
      const small = r.small === undefined ? '—' : `${fmt(r.small)} (${short(r.smallN)})`;
      return `| ${r.qos} | ${small} | ${big} | ${r.ratio === undefined ? '—' : pct(r.ratio)} | ${r.qos === 2 ? 'no target' : verdict(r.ok)} |`;
    }),
    '',
    `### Heap per idle connected client (${fmt(HEAP_CLIENTS)} clients)`,
    '',
    `Each implementation in its own \`node --expose-gc\` process (bench/e2e-heap.ts): \`process.memoryUsage().heapUsed\` after forced GC, before and after connecting ${fmt(HEAP_CLIENTS)} clients (MQTT 5, keep alive 60 s, default options) and idling 1 s, divided by ${fmt(HEAP_CLIENTS)}; the baseline is taken after the library is loaded and 5 clients have connected and disconnected. ${p.heapReps} run(s) per implementation, alternating; median shown.`,
    '',
    '| Implementation | heapUsed per client | RSS per client | runs (heapUsed per client) |',
    '| --- | ---: | ---: | --- |',
    ...(['mqttkit', 'mqttjs'] as HeapImpl[]).map((impl) => {
      const x = h[impl];
      return `| ${impl === 'mqttkit' ? 'mqttkit' : 'MQTT.js'} | ${x.heap === undefined ? '—' : kib(x.heap)} | ${x.rss === undefined ? '—' : kib(x.rss)} | ${x.runs.map(kib).join(', ')} |`;
    }),
    '',
    heapRatio === undefined
      ? `Heap target (mqttkit ≤ ${pct(HEAP_TARGET)} of MQTT.js): n/a${heap.failures.length > 0 ? ` (${heap.failures.join('; ')})` : ''}.`
      : `mqttkit / MQTT.js heap per client: **${pct(heapRatio)}** (target ≤ ${pct(HEAP_TARGET)}: ${verdict(heapRatio <= HEAP_TARGET)}).`,
    '',
    '### Targets',
    '',
    '| Target | Result | Verdict |',
    '| --- | --- | --- |',
  );
  for (const qos of ([0, 1] as QoS[]).filter((q) => p.qos.includes(q))) {
    const ratios = p.sizes[qos].map(({ n }) => {
      const ratio = ratioOf(cells, qos, n);
      return `${short(n)}: ${ratio === undefined ? '—' : pct(ratio)}`;
    });
    out.push(
      `| mqttkit ≥ ${pct(CEILING_TARGET)} of the bare-socket ceiling, QoS ${qos} (every burst size) | ${ratios.join(', ')} | ${verdict(ceilingOk(qos))} |`,
    );
  }
  for (const r of scaling.filter((x) => x.qos !== 2)) {
    out.push(
      `| mqttkit ${short(r.bigN)} burst within 20% of its ${short(r.smallN)} burst (≥ ${pct(SCALING_TARGET)}), QoS ${r.qos} | ${r.ratio === undefined ? '—' : pct(r.ratio)} | ${verdict(r.ok)} |`,
    );
  }
  const heapResult =
    heapRatio === undefined ? '—' : `${kib(h.mqttkit.heap as number)} vs ${kib(h.mqttjs.heap as number)} = ${pct(heapRatio)}`;
  out.push(
    `| mqttkit heap per idle client ≤ ${pct(HEAP_TARGET)} of MQTT.js's | ${heapResult} | ${verdict(heapRatio === undefined ? undefined : heapRatio <= HEAP_TARGET)} |`,
    '',
  );
  if (p.quick) out.push('A quick run has no 1M burst: the scaling row compares 100k with 10k.', '');
  if (trouble.length > 0) out.push('Broker log lines mentioning drops, refusals or errors:', '', '```', ...trouble.slice(0, 20), '```', '');
  else out.push('The broker logged no dropped messages, refusals or errors.', '');
  out.push('<details><summary>Every run</summary>', '', runsTable(cells), '', '</details>');
  return out.join('\n');
}

// --- Main ---

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

export async function runE2e(args: string[]): Promise<E2eResult> {
  const quick = args.includes('--quick');
  const p = plan(quick);
  p.fromSrc = args.includes('--from-src');
  const qosArg = arg(args, 'qos');
  if (qosArg !== undefined) p.qos = qosArg.split(',').map((q) => Number(q) as QoS);
  const implsArg = arg(args, 'impls');
  if (implsArg !== undefined) p.impls = implsArg.split(',').filter((i): i is ImplName => IMPLS.includes(i as ImplName));
  const mosquitto = mosquittoVersion();
  if (mosquitto === undefined) throw new Error('mosquitto not found: install it (apt-get install -y mosquitto) or set MOSQUITTO_BIN');
  const require = createRequire(import.meta.url);
  const mqttjs = (require('mqtt/package.json') as { version: string }).version;
  const nodeFiles = openFilesLimit('self');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mqttkit-e2e-'));
  try {
    const hash = srcHash();
    const build = p.fromSrc ? undefined : compileMqttkit(path.join(tmp, 'mqttkit'));
    const kitArgs = build === undefined ? ['--from-src'] : ['--mqttkit-build', build];
    const loaded = (await loadMqttkit(build)).source;
    // Compiled once, up front: every child measures that version, whatever happens to src/ during the run.
    const mqttkitSource =
      build === undefined
        ? loaded
        : `${loaded}, compiled once at the start of the run from src/ content hash ${hash} (later edits to src/ are not measured)`;
    log(
      `e2e: ${mosquitto}, MQTT.js ${mqttjs}, mqttkit from ${mqttkitSource}, open files limit ${nodeFiles ?? '?'}${quick ? ' (quick)' : ''}`,
    );
    const cells = await runBurstCells(p, kitArgs, tmp);
    const heap = args.includes('--no-heap') ? { results: [], failures: ['skipped (--no-heap)'] } : await runHeap(p, kitArgs, tmp);
    return {
      name: 'e2e',
      title: 'End to end: mqttkit vs MQTT.js vs bare socket through Mosquitto',
      quick,
      timeoutS: p.timeoutS,
      mqttkitSource,
      cells,
      heap: heap.results,
      markdown: markdown(p, cells, heap, { mosquitto, mqttjs, mqttkitSource, nodeFiles }),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(args: string[]): Promise<void> {
  const result = await runE2e(args);
  const out = arg(args, 'result-file');
  if (out !== undefined) writeFileSync(out, JSON.stringify(result));
  else console.log(result.markdown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

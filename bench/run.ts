/**
 * Runs every benchmark under bench/ and records the results in bench/RESULTS.md.
 *
 * Each benchmark runs in a fresh Node process (`node --expose-gc --import tsx
 * bench/<name>.ts --result-file <tmp>`), so one benchmark's JIT and heap state
 * cannot skew another's. RESULTS.md has one section per benchmark between
 * `<!-- <name>:start -->` and `<!-- <name>:end -->`; a run replaces only the
 * sections of the benchmarks it ran and leaves the rest of the file alone.
 *
 * Usage: npm run bench [-- [--quick] [codec ...]]   (names select benchmarks; default: all)
 *        npx tsx bench/run.ts e2e --quick              (one benchmark, short run)
 *
 * A benchmark module must accept `--result-file <path>` (and `--quick`) and
 * write JSON with at least `{ name, title, markdown }` to that path.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { upsertSection } from './sections.js';

interface Benchmark {
  /** Section marker name and file name: bench/<name>.ts. */
  name: string;
  /** Files and folders (from the repository root) whose code the benchmark measures, hashed to detect edits mid-run. */
  sources: readonly string[];
}

/** Every benchmark, in run order. Add new ones here. */
const BENCHMARKS: readonly Benchmark[] = [
  { name: 'codec', sources: ['src/codec', 'src/errors.ts'] },
  // The whole client, end to end through Mosquitto (bench/e2e.ts).
  { name: 'e2e', sources: ['src'] },
];

interface BenchOutput {
  name: string;
  title: string;
  markdown: string;
}

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const resultsFile = path.join(benchDir, 'RESULTS.md');

const HEADER = `# Benchmarks

Produced by \`npm run bench\` (\`tsx bench/run.ts\`), which rewrites the section of each benchmark it runs.
Numbers depend on the machine; compare ratios, and rows measured in the same run.
`;

/** The command line that started this run, as a person would type it. */
function invocation(args: string[]): string {
  const tail = args.length > 0 ? ` ${args.join(' ')}` : '';
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args.length > 0 ? ` --${tail}` : ''}`;
  const viaImport = process.execArgv.some((a, i) => a === 'tsx' && process.execArgv[i - 1] === '--import');
  if (viaImport) return `node --import tsx bench/run.ts${tail}`;
  return `${process.env.npm_lifecycle_event === 'npx' ? 'npx ' : ''}tsx bench/run.ts${tail}`;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Every file under `dir`, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...listFiles(p));
    else if (d.isFile()) out.push(p);
  }
  return out.sort();
}

/** A hash of the benchmark's source files, to tell whether the code changed while it was being measured. */
function sourceHash(sources: readonly string[]): string {
  const hash = createHash('sha256');
  for (const src of sources) {
    const abs = path.join(root, src);
    if (!existsSync(abs)) continue;
    const files = statSync(abs).isDirectory() ? listFiles(abs) : [abs];
    for (const f of files) hash.update(path.relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

function environment(command: string, bench: Benchmark, srcHash: string): string {
  const cpus = os.cpus();
  const cpu = cpus.length > 0 ? `${cpus[0].model.trim()} (${cpus.length} logical CPUs)` : 'unknown';
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', ...bench.sources]);
  const measured = bench.sources.join(', ');
  const source = `${commit === undefined ? 'unknown commit' : `${commit}${dirty ? ` + uncommitted changes in ${measured}` : ''}`} (content hash of ${measured}: ${srcHash})`;
  const load = os.loadavg();
  const busy = load[0] > cpus.length / 2 ? ' (busy machine: expect noisy numbers)' : '';
  return [
    `- Command: \`${command}\``,
    `- Date (start): ${new Date().toISOString()}`,
    `- Node: ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.arch()}`,
    `- CPU: ${cpu}`,
    `- Load average at start (1/5/15 min): ${load.map((x) => x.toFixed(2)).join(' / ')}${busy}`,
    `- Source: ${source}`,
  ].join('\n');
}

function runOne(bench: Benchmark, passThrough: string[], tmp: string): BenchOutput {
  const out = path.join(tmp, `${bench.name}.json`);
  const file = path.join(benchDir, `${bench.name}.ts`);
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file, ...passThrough, '--result-file', out], {
    cwd: root,
    stdio: 'inherit',
  });
  if (child.error) throw child.error;
  if (child.status !== 0 || !existsSync(out)) {
    throw new Error(`benchmark "${bench.name}" failed (exit ${child.status ?? child.signal}); RESULTS.md not updated for it`);
  }
  return JSON.parse(readFileSync(out, 'utf8')) as BenchOutput;
}

/** Formats RESULTS.md the way `npm run lint` expects (biome formats markdown); best effort. */
function formatResults(): void {
  const biome = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'biome.cmd' : 'biome');
  if (!existsSync(biome)) return;
  spawnSync(biome, ['format', '--write', resultsFile], { cwd: root, stdio: 'ignore', shell: process.platform === 'win32' });
}

function main(): void {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const command = invocation(args);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mqttkit-bench-'));
  let failed = false;
  try {
    for (const bench of selected) {
      console.error(`\n=== ${bench.name} ===`);
      const before = sourceHash(bench.sources);
      const env = environment(command, bench, before);
      let result: BenchOutput;
      try {
        result = runOne(bench, flags, tmp);
      } catch (err) {
        console.error(String(err instanceof Error ? err.message : err));
        failed = true;
        continue;
      }
      const after = sourceHash(bench.sources);
      const changed =
        after === before
          ? ''
          : `\n- **Warning: ${bench.sources.join(', ')} changed during this run (content hash ${before} → ${after}); rerun for trustworthy numbers.**`;
      if (changed)
        console.error(`warning: ${bench.sources.join(', ')} changed while "${bench.name}" ran; its numbers mix two versions of the code`);
      const doc = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : HEADER;
      const body = `## ${result.title}\n\n${env}${changed}\n\n${result.markdown}`;
      writeFileSync(resultsFile, upsertSection(doc, result.name, body));
      formatResults();
      console.error(`updated ${path.relative(root, resultsFile)} (section "${result.name}")`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}

main();

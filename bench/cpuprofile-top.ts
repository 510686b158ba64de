/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the
 * most self time, and self time per source file.
 *
 * Usage: tsx bench/cpuprofile-top.ts <file.cpuprofile> [--top 30] [--filter src/]
 *   --filter keeps only functions whose URL contains the text (percentages stay of the whole profile).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  file: string;
  ms: number;
  percent: number;
}

function shortFile(url: string): string {
  if (url === '') return '(native/VM)';
  const clean = url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
  const i = clean.indexOf('/node_modules/');
  if (i !== -1) return clean.slice(i + 1);
  const j = clean.lastIndexOf('/src/');
  if (j !== -1) return clean.slice(j + 1);
  const k = clean.lastIndexOf('/bench/');
  if (k !== -1) return clean.slice(k + 1);
  return clean;
}

export function summarize(profile: CpuProfile): { totalMs: number; functions: SelfTime[]; files: SelfTime[] } {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.timeDeltas.reduce((a, b) => a + b, 0);
  const fn = new Map<string, SelfTime>();
  const files = new Map<string, SelfTime>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const cf = node.callFrame;
    const file = shortFile(cf.url);
    const name = `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
    const e = fn.get(name) ?? { name: cf.functionName || '(anonymous)', file: `${file}:${cf.lineNumber + 1}`, ms: 0, percent: 0 };
    e.ms += us / 1000;
    fn.set(name, e);
    const f = files.get(file) ?? { name: file, file, ms: 0, percent: 0 };
    f.ms += us / 1000;
    files.set(file, f);
  }
  const finish = (xs: Iterable<SelfTime>): SelfTime[] =>
    [...xs].map((x) => ({ ...x, percent: (100 * x.ms * 1000) / totalUs })).sort((a, b) => b.ms - a.ms);
  return { totalMs: totalUs / 1000, functions: finish(fn.values()), files: finish(files.values()) };
}

function main(args: string[]): void {
  const file = args.find((a) => !a.startsWith('--'));
  if (file === undefined) throw new Error('usage: tsx bench/cpuprofile-top.ts <file.cpuprofile> [--top N] [--filter text]');
  const ti = args.indexOf('--top');
  const top = ti === -1 ? 30 : Number(args[ti + 1]);
  const fi = args.indexOf('--filter');
  const filter = fi === -1 ? undefined : args[fi + 1];
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`total sampled: ${s.totalMs.toFixed(0)} ms`);
  console.log('\nself time by function:');
  const fns = filter === undefined ? s.functions : s.functions.filter((f) => f.file.includes(filter));
  for (const f of fns.slice(0, top))
    console.log(`${f.ms.toFixed(1).padStart(9)} ms ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.file}`);
  console.log('\nself time by file:');
  for (const f of s.files.slice(0, top)) console.log(`${f.ms.toFixed(1).padStart(9)} ms ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));

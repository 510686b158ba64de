/**
 * Runs a file of examples/ as a child process, the way its header says to
 * (`npx tsx examples/<name>.ts ...`): `'mqttkit'` is mapped to src/node.ts
 * by the root tsconfig.json's `paths`, so the examples run against the
 * source and need no `npm run build` first.
 *
 * `node --import tsx` rather than the tsx CLI: one process, so a signal the
 * test sends reaches the example itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX_LOADER = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export interface RunningExample {
  readonly child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved as they came. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (rejects when the example exits first, or after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (a signal's name when killed by one). */
  readonly exited: Promise<number | string>;
  /** SIGKILLs the example if it is still running. */
  kill(): void;
}

export function startExample(file: string, args: string[] = [], env: Record<string, string> = {}): RunningExample {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'examples', file), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: string): void => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  let exitCode: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => {
      exitCode = code ?? signal ?? 'unknown';
      resolve(exitCode);
      for (const listener of listeners) listener();
    });
  });

  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const fail = (why: string) => new Error(`${file} ${why} ${pattern}:\n${output}`);
      const stop = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      const check = (): void => {
        const match = pattern.exec(output);
        if (match === null && exitCode === undefined) return;
        stop();
        if (match !== null) resolve(match);
        else reject(fail(`exited (${exitCode}) before printing`));
      };
      const timer = setTimeout(() => {
        stop();
        reject(fail(`printed in ${timeoutMs} ms no`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  return {
    child,
    output: () => output,
    waitFor,
    exited,
    kill: () => {
      if (exitCode === undefined) child.kill('SIGKILL');
    },
  };
}

/** Runs an example to its end; rejects (and kills it) when it takes longer than `timeoutMs`. */
export async function runExample(file: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | string; output: string }> {
  const example = startExample(file, args);
  const timer = setTimeout(example.kill, timeoutMs);
  const code = await example.exited;
  clearTimeout(timer);
  return { code, output: example.output() };
}

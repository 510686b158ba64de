/**
 * Makes sure the browser builds (dist/browser.js, dist/mqttkit.min.js) exist
 * and are newer than src/ and rollup.config.js, building them with
 * `rollup -c --environment MQTTKIT_BUILD:browser` when they are not, so
 * `npm test` and `npm run demo` on a clean clone need no build step first.
 *
 * Test files run in parallel workers (and the demo test beside them): a lock
 * directory makes one of them build while the others wait, then they all see
 * the fresh files.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BROWSER_ESM = path.join(ROOT, 'dist/browser.js');
export const BROWSER_IIFE = path.join(ROOT, 'dist/mqttkit.min.js');

const LOCK = path.join(ROOT, 'node_modules/.cache/mqttkit-browser-build.lock');
/** A lock older than this was left by a process that died mid-build. */
const STALE_LOCK_MS = 5 * 60_000;

function newestMtime(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function isFresh(): boolean {
  const inputs = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'rollup.config.js')));
  try {
    return Math.min(statSync(BROWSER_ESM).mtimeMs, statSync(BROWSER_IIFE).mtimeMs) >= inputs;
  } catch {
    return false;
  }
}

function tryLock(): boolean {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // Released meanwhile.
    }
    return false;
  }
}

/** Builds the browser files unless they are fresh (`onBuild` is told when it builds); resolves once they are. */
export async function ensureBrowserBuild(onBuild?: () => void): Promise<void> {
  for (;;) {
    if (isFresh()) return;
    if (tryLock()) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    if (isFresh()) return;
    onBuild?.();
    const rollup = path.join(ROOT, 'node_modules/rollup/dist/bin/rollup');
    try {
      await run(process.execPath, [rollup, '-c', '--environment', 'MQTTKIT_BUILD:browser'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr) : String(err);
      throw new Error(`the browser build failed:\n${stderr}`);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

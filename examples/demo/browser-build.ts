/**
 * Makes sure dist/mqttkit.min.js (the browser build the dashboard loads) exists
 * and is newer than src/, building just that bundle with the project's own
 * rollup config when it is not — so `npm run demo` needs no build step.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OutputOptions, RollupOptions } from 'rollup';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BROWSER_BUILD = path.join(root, 'dist/mqttkit.min.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(BROWSER_BUILD).mtimeMs >= newestMtime(path.join(root, 'src'));
  } catch {
    return false;
  }
}

const outputs = (o: RollupOptions): OutputOptions[] => (o.output === undefined ? [] : Array.isArray(o.output) ? o.output : [o.output]);

/** Builds dist/mqttkit.min.js if it is missing or older than src/; returns whether it built. */
export async function ensureBrowserBuild(log: (line: string) => void): Promise<boolean> {
  if (isFresh()) return false;
  log('building the browser bundle (dist/mqttkit.min.js) ...');
  const { rollup } = await import('rollup');
  const configModule = (await import(pathToFileURL(path.join(root, 'rollup.config.js')).href)) as {
    default: RollupOptions | RollupOptions[];
  };
  const configs = Array.isArray(configModule.default) ? configModule.default : [configModule.default];
  const config = configs.find((c) => outputs(c).some((o) => o.file?.endsWith('mqttkit.min.js')));
  if (config === undefined) throw new Error('rollup.config.js has no build for dist/mqttkit.min.js');
  const bundle = await rollup({ ...config, onwarn: () => {} });
  try {
    for (const output of outputs(config).filter((o) => o.file?.endsWith('mqttkit.min.js'))) {
      await bundle.write({ ...output, file: path.resolve(root, output.file as string) });
    }
  } finally {
    await bundle.close();
  }
  return true;
}

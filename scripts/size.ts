/**
 * The browser size check: measures what a web page pays for mqttkit, records
 * it in bench/RESULTS.md (section `size`) beside other MQTT clients, and
 * exits 1 when the build is over the ceiling CI enforces.
 *
 *   npm run build && npm run size        (.ci/run does this)
 *   npm run size -- --no-write           (measure and check only)
 *
 * Measured, after `npm run build`:
 * - dist/mqttkit.min.js, the minified IIFE for <script> tags: the full client
 *   (MQTT 5, QoS 2, reconnect, offline queue, topic aliases) and everything
 *   else the browser entry exports, since a global cannot be tree-shaken;
 * - `import { connect } from 'mqttkit'` as an app bundles it: dist/browser.js
 *   bundled and minified by esbuild for the browser.
 * Sizes are bytes of the minified file and of its gzip at level 9 (Node's
 * zlib; GNU `gzip -9` comes out about 0.7% smaller). 1 KB = 1,000 bytes, the
 * unit of the published figures we compare with (MQTT.js's 105 KB is its
 * dist/mqtt.min.js through `gzip -9`: 105,039 bytes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { upsertSection } from '../bench/sections.js';

const KB = 1000;

/** The goal (issue 4): the full client in at most 12 KB min+gzip. */
export const BUDGET_BYTES = 12 * KB;

/**
 * TEMPORARY: what CI enforces until the shrink work lands. The IIFE measured
 * 26,329 bytes min+gzip when this check was added (25 Nov); rounded up to the
 * next whole KB (27) plus 1 KB of headroom. Lower this to BUDGET_BYTES once
 * the shrunken client is merged.
 */
export const TEMPORARY_CI_CEILING_BYTES = 28 * KB;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsFile = path.join(root, 'bench/RESULTS.md');
const IIFE = path.join(root, 'dist/mqttkit.min.js');
const ESM = path.join(root, 'dist/browser.js');
const MQTTJS = path.join(root, 'node_modules/mqtt/dist/mqtt.min.js');

interface Measured {
  name: string;
  min: number;
  gzip: number;
}

function measure(name: string, code: Uint8Array): Measured {
  return { name, min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

async function measureConnect(): Promise<Measured> {
  const result = await build({
    stdin: { contents: `export { connect } from ${JSON.stringify(ESM)};`, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  return measure("`import { connect } from 'mqttkit'`, bundled and minified by esbuild", output.contents);
}

const kb = (bytes: number): string => `${(bytes / KB).toFixed(1)} KB`;
const grouped = (bytes: number): string => bytes.toLocaleString('en-US');

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return dirty.trim() === '' ? sha : `${sha} + uncommitted changes in src`;
  } catch {
    return 'unknown commit';
  }
}

function section(iife: Measured, connect: Measured, mqttjs: Measured | undefined): string {
  const over = iife.gzip - BUDGET_BYTES;
  const mqttjsRow =
    mqttjs === undefined
      ? '| MQTT.js 5 browser bundle (`dist/mqtt.min.js`, published figure) | 342 KB | 105 KB |'
      : `| MQTT.js ${mqttjsVersion()} browser bundle (\`dist/mqtt.min.js\`, measured) | ${kb(mqttjs.min)} | ${kb(mqttjs.gzip)} |`;
  return `## Browser bundle size

- Command: \`npm run size\` (\`tsx scripts/size.ts\`, after \`npm run build\`); CI runs it in \`.ci/run\`
- Date: ${new Date().toISOString()}
- Source: ${commit()}
- gzip: Node's zlib at level 9; 1 KB = 1,000 bytes (the unit of the published figures below)

| Bundle | min | min+gzip |
| --- | --- | --- |
| mqttkit IIFE \`dist/mqttkit.min.js\` (the whole browser API: MQTT 5, QoS 2, reconnect, offline queue, topic aliases, codec) | ${kb(iife.min)} (${grouped(iife.min)} B) | **${kb(iife.gzip)}** (${grouped(iife.gzip)} B) |
| mqttkit ${connect.name} | ${kb(connect.min)} (${grouped(connect.min)} B) | **${kb(connect.gzip)}** (${grouped(connect.gzip)} B) |
${mqttjsRow}
| Paho JavaScript client (MQTT 3.1.1 only; published figure) | | 8.3 KB |
| u8-mqtt (published figure) | | 8.0 KB |

Budget: ${kb(BUDGET_BYTES)} min+gzip for the IIFE; it is ${over > 0 ? `${kb(over)} over` : `${kb(-over)} under`}. Until the shrink work lands, CI fails only above a temporary ceiling of ${kb(TEMPORARY_CI_CEILING_BYTES)} (\`TEMPORARY_CI_CEILING_BYTES\` in scripts/size.ts).`;
}

function mqttjsVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules/mqtt/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '5';
  }
}

async function main(): Promise<void> {
  const write = !process.argv.includes('--no-write');
  for (const file of [IIFE, ESM]) {
    if (!existsSync(file)) {
      console.error(`size: ${path.relative(root, file)} is missing; run \`npm run build\` first`);
      process.exit(1);
    }
  }
  const iife = measure('IIFE dist/mqttkit.min.js', readFileSync(IIFE));
  const connect = await measureConnect();
  const mqttjs = existsSync(MQTTJS) ? measure('MQTT.js dist/mqtt.min.js', readFileSync(MQTTJS)) : undefined;

  console.log('browser bundle sizes (gzip -9, 1 KB = 1,000 bytes):');
  for (const m of [iife, { ...connect, name: 'ESM `import { connect }` via esbuild' }, ...(mqttjs ? [mqttjs] : [])]) {
    console.log(`  ${m.name.padEnd(40)} min ${grouped(m.min).padStart(9)} B   min+gzip ${grouped(m.gzip).padStart(8)} B (${kb(m.gzip)})`);
  }
  for (const m of [iife, connect]) {
    const over = m.gzip - BUDGET_BYTES;
    const label = m === iife ? 'IIFE' : 'ESM connect';
    console.log(`  ${label}: ${over > 0 ? `${kb(over)} over` : `${kb(-over)} under`} the ${kb(BUDGET_BYTES)} budget`);
  }

  if (write) {
    const doc = readFileSync(resultsFile, 'utf8');
    writeFileSync(resultsFile, upsertSection(doc, 'size', section(iife, connect, mqttjs)));
    const biome = path.join(root, 'node_modules/.bin/biome');
    if (existsSync(biome)) spawnSync(biome, ['format', '--write', resultsFile], { cwd: root, stdio: 'ignore' });
    console.log(`  updated ${path.relative(root, resultsFile)} (section "size")`);
  }

  const failing = [iife, connect].filter((m) => m.gzip > TEMPORARY_CI_CEILING_BYTES);
  if (failing.length > 0) {
    for (const m of failing) {
      console.error(`size: ${m.name} is ${grouped(m.gzip)} B min+gzip, above the CI ceiling of ${grouped(TEMPORARY_CI_CEILING_BYTES)} B`);
    }
    process.exit(1);
  }
  console.log(`  OK: within the temporary CI ceiling of ${kb(TEMPORARY_CI_CEILING_BYTES)}`);
}

await main();

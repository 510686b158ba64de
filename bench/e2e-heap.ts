/**
 * Heap per idle connected client: connects `--clients` clients of one
 * implementation to a broker and reports how much `heapUsed` grew, per client,
 * after forced garbage collection. Started by bench/e2e.ts in its own process
 * per implementation (so the two libraries never share a heap):
 *
 *   node --expose-gc --import tsx bench/e2e-heap.ts --impl mqttkit --url mqtt://127.0.0.1:port \
 *     (--mqttkit-build dir | --from-src) [--clients 1000] [--out r.json]
 *
 * Baseline: after the library is loaded and a few clients have connected and
 * disconnected (so lazily created shared state and compiled code exist before
 * the first measurement). Then every client connects (MQTT 5, keep alive 60 s,
 * clean start, default options otherwise), the process idles for a second,
 * and the heap is measured again after GC. Only JavaScript heap is counted in
 * the target; socket buffers and other native memory show in `external` / RSS.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as mqtt from 'mqtt';
import { loadMqttkit, type Mqttkit } from './e2e-build.js';

export type HeapImpl = 'mqttkit' | 'mqttjs';

export interface HeapResult {
  impl: HeapImpl;
  mqttkitSource: string;
  clients: number;
  protocolVersion: 4 | 5;
  /** Bytes per client. */
  heapPerClient: number;
  externalPerClient: number;
  rssPerClient: number;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
  connectMs: number;
}

interface Closable {
  close(): Promise<unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let kit: Mqttkit | undefined;

async function openClient(impl: HeapImpl, url: string, clientId: string, protocolVersion: 4 | 5): Promise<Closable> {
  if (impl === 'mqttkit') {
    if (kit === undefined) throw new Error('mqttkit not loaded');
    const c = await kit.node.connect(url, { protocolVersion, clientId, keepAlive: 60 });
    return { close: () => c.end({ force: true }) };
  }
  const c = await mqtt.connectAsync(url, { protocolVersion, clientId, keepalive: 60 });
  return { close: () => c.endAsync(true) };
}

async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function measureHeap(impl: HeapImpl, url: string, clients: number, protocolVersion: 4 | 5): Promise<HeapResult> {
  // Warm up: load and exercise the connect / disconnect paths once.
  const warm = await Promise.all(
    Array.from({ length: 5 }, (_, i) => openClient(impl, url, `heap-warm-${impl}-${process.pid}-${i}`, protocolVersion)),
  );
  await Promise.all(warm.map((c) => c.close()));
  warm.length = 0;
  await sleep(200);
  await fullGc();
  const before = process.memoryUsage();

  const open: Closable[] = [];
  const t0 = performance.now();
  const BATCH = 50;
  for (let i = 0; i < clients; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, clients - i) }, (_, k) =>
      openClient(impl, url, `heap-${impl}-${process.pid}-${i + k}`, protocolVersion),
    );
    open.push(...(await Promise.all(batch)));
  }
  const connectMs = performance.now() - t0;
  await sleep(1000);
  await fullGc();
  const after = process.memoryUsage();
  const result: HeapResult = {
    impl,
    mqttkitSource: kit?.source ?? '',
    clients,
    protocolVersion,
    heapPerClient: (after.heapUsed - before.heapUsed) / clients,
    externalPerClient: (after.external - before.external) / clients,
    rssPerClient: (after.rss - before.rss) / clients,
    before,
    after,
    connectMs,
  };
  await Promise.race([Promise.all(open.map((c) => c.close())), sleep(10_000)]);
  return result;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

async function main(args: string[]): Promise<void> {
  const impl = arg(args, 'impl') as HeapImpl;
  if (impl !== 'mqttkit' && impl !== 'mqttjs') throw new Error('--impl must be mqttkit or mqttjs');
  const url = arg(args, 'url');
  if (url === undefined) throw new Error('--url is required (bench/e2e.ts starts the broker)');
  const clients = Number(arg(args, 'clients') ?? '1000');
  const protocolVersion = Number(arg(args, 'protocol') ?? '5') as 4 | 5;
  const build = arg(args, 'mqttkit-build');
  if (impl === 'mqttkit') {
    if (build === undefined && !args.includes('--from-src'))
      throw new Error('--mqttkit-build <dir> (see bench/e2e-build.ts) or --from-src is required');
    kit = await loadMqttkit(build);
  }
  const result = await measureHeap(impl, url, clients, protocolVersion);
  process.stderr.write(
    `${impl}: ${clients} idle clients, heapUsed +${(result.heapPerClient / 1024).toFixed(1)} KiB/client, external +${(result.externalPerClient / 1024).toFixed(1)} KiB/client, rss +${(result.rssPerClient / 1024).toFixed(1)} KiB/client (connected in ${(result.connectMs / 1000).toFixed(2)} s)\n`,
  );
  const out = arg(args, 'out');
  if (out !== undefined) writeFileSync(out, JSON.stringify(result));
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

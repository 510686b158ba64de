/**
 * Run by leak.test.ts in a child process (`node --expose-gc --import tsx`):
 * one client against the hostile scripted broker whose URL is argv[2], for
 * argv[3] connection cycles, with reconnect. It prints a JSON line per
 * heap checkpoint (at once, so the readings themselves are not on the heap at
 * the next one), then one with what the client still holds at the end.
 *
 * The heap is read from heap snapshots after full collections, counting only
 * what a program can leak (objects, closures, arrays, strings, numbers...).
 * Compiled code and the engine's internal structures are left out: V8 keeps
 * optimising (and deoptimising) hot functions for thousands of iterations,
 * which grows code space for a while without anything leaking.
 *
 * LEAK_BYTES_PER_CYCLE (environment) makes it keep that many bytes per cycle
 * on purpose: the control run that shows the measurement can see a leak.
 */
import { getHeapSnapshot } from 'node:v8';
import { createClient } from '../../src/node.js';

const [url, cyclesArg] = process.argv.slice(2);
const cycles = Number(cyclesArg);
const leakBytes = Number(process.env.LEAK_BYTES_PER_CYCLE ?? 0);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const problems: string[] = [];
process.on('unhandledRejection', (e) => problems.push(`unhandledRejection: ${String(e)}`));
process.on('uncaughtException', (e) => problems.push(`uncaughtException: ${String(e)}`));

const client = createClient(url, {
  protocolVersion: 5,
  clientId: 'leak-check',
  keepAlive: 30,
  reconnect: { initialDelay: 1, maxDelay: 4 },
  properties: { topicAliasMaximum: 5, maximumPacketSize: 1_024 },
});

const kept: number[][] = [];
const counts = { connects: 0, offline: 0, reconnects: 0, errors: 0, published: 0, publishFailed: 0 };
const errorCodes: Record<string, number> = {};
client.on('connect', () => {
  counts.connects++;
  // One QoS 1 message at a time, so what waits for an ack stays bounded by design, not by luck.
  if (client.inFlightCount + client.queuedCount === 0) {
    client.publish('leak/q1', 'x', { qos: 1 }).then(
      () => counts.published++,
      () => counts.publishFailed++,
    );
  }
  client.publish('leak/q0', 'y').catch(() => counts.publishFailed++);
});
client.on('offline', () => counts.offline++);
client.on('error', (e) => {
  counts.errors++;
  errorCodes[e.code] = (errorCodes[e.code] ?? 0) + 1;
});

/** Node types of a heap snapshot that a program's own data can occupy. */
const DATA = new Set([
  'object',
  'closure',
  'array',
  'string',
  'concatenated string',
  'sliced string',
  'regexp',
  'number',
  'symbol',
  'bigint',
  'native',
]);

/** Prints, for checkpoint `cycle`: bytes of program data (see DATA), objects per constructor (to find what grew), and heapUsed (code included). */
async function printHeap(cycle: number): Promise<void> {
  for (let i = 0; i < 3; i++) gc?.();
  const heapUsed = process.memoryUsage().heapUsed;
  let json = '';
  for await (const chunk of getHeapSnapshot()) json += chunk;
  const snapshot = JSON.parse(json) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  json = '';
  const { node_fields: fields, node_types: nodeTypes } = snapshot.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const nodes = snapshot.nodes;
  let data = 0;
  const objects: Record<string, number> = {};
  for (let i = 0; i < nodes.length; i += width) {
    const type = nodeTypes[0][nodes[i + typeAt]];
    if (!DATA.has(type)) continue;
    data += nodes[i + sizeAt];
    if (type === 'object') {
      const name = snapshot.strings[nodes[i + nameAt]];
      objects[name] = (objects[name] ?? 0) + 1;
    }
  }
  process.stdout.write(`${JSON.stringify({ checkpoint: cycle, data, heapUsed, objects })}\n`);
}

const checkpoints = [Math.round(cycles / 3), Math.round((2 * cycles) / 3), cycles];

// The client's timers do not keep a process alive (they are unref'd); this does, until the run ends.
const alive = setInterval(() => {}, 1_000);
await new Promise<void>((resolve, reject) => {
  client.on('reconnect', (e) => {
    counts.reconnects++;
    // An array of small integers lives on the heap (8 bytes each); typed arrays would live outside it.
    if (leakBytes > 0) kept.push(new Array<number>(leakBytes / 8).fill(e.attempt));
    if (checkpoints.includes(counts.reconnects)) {
      // Measured between connections, from a fresh macrotask (not inside the engine's call stack).
      const at = counts.reconnects;
      setImmediate(() => {
        printHeap(at).then(() => {
          if (at === cycles) resolve();
        }, reject);
      });
    }
  });
  client.start();
});

await client.end({ force: true });
clearInterval(alive);
const internals = client as unknown as { pending: { size: number }; timers: { size: number } };
process.stdout.write(
  `${JSON.stringify({
    checkpoints,
    counts,
    errorCodes,
    state: client.state,
    inFlight: client.inFlightCount,
    queued: client.queuedCount,
    pendingOps: internals.pending.size,
    timers: internals.timers.size,
    problems,
    kept: kept.length,
  })}\n`,
);

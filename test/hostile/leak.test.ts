/**
 * 300 hostile connection cycles on one client, with reconnect, must not leak.
 *
 * The client runs in a child process started with --expose-gc (leak-child.ts),
 * so its heap is measured after full collections and holds nothing but the
 * client; the scripted broker runs here and plays a different rule-breaker on
 * each connection (garbage, a second CONNACK, bad topic aliases, an oversized
 * packet, no CONNACK, CONNACK then close, QoS 3 with a QoS 2 exchange left
 * open, a PUBLISH before CONNACK...). Growth of the program's data on the heap
 * (compiled code left out, see leak-child.ts) between the first and last third
 * of the run must stay under a bound that a control run, leaking only 512
 * bytes per cycle on purpose, exceeds: the measurement can see a small leak.
 * The client's own bookkeeping (pending operations, timers, in-flight and
 * queued messages) must be empty or bounded at the end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScriptedBroker, type ScriptedConnection } from '../helpers/scripted-broker.js';
import { Fixture } from './support.js';

const fixture = new Fixture();

const CYCLES = 300;
/**
 * Program data allowed to grow over the last 200 cycles: 160 bytes a cycle. Measured: about 11 KiB
 * (all of it between cycles 100 and 200, warming up), and 2 KiB over cycles 300 to 900 of a longer run.
 */
const MAX_GROWTH_BYTES = 32 * 1024;
/** What the control run leaks on purpose: 512 bytes a cycle, 100 KiB over 200 cycles. */
const CONTROL_LEAK_BYTES = 512;

const x = new Uint8Array([0x78]);

/** One rule-breaker per connection, in turn. Each ends with the client (or the broker) closing the connection. */
const behaviours: ((c: ScriptedConnection) => Promise<void>)[] = [
  async (c) => {
    // Acknowledge the client's publishes, then garbage.
    await c.accept();
    c.autoAck();
    await c.next('publish');
    c.sendRaw(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe));
  },
  async (c) => {
    await c.accept();
    c.connack();
  },
  async (c) => {
    await c.accept();
    c.send({ type: 'publish', topic: '', payload: x, qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
  },
  async (c) => {
    await c.accept();
    c.send({ type: 'publish', topic: 't', payload: x, qos: 0, retain: false, dup: false, properties: { topicAlias: 6 } });
  },
  async (c) => {
    await c.accept();
    c.send({ type: 'publish', topic: 'big', payload: new Uint8Array(2_000), qos: 0, retain: false, dup: false });
  },
  async (c) => {
    await c.next('connect');
    c.end();
  },
  async (c) => {
    await c.accept();
    c.end();
  },
  async (c) => {
    // A QoS 2 exchange left waiting for PUBREL, then QoS 3.
    await c.accept();
    c.send({ type: 'publish', topic: 'in', payload: x, qos: 2, retain: false, dup: false, packetId: 7 });
    await c.next('pubrec');
    c.sendRaw(Uint8Array.of(0x36, 0x06, 0x00, 0x01, 0x74, 0x00, 0x01, 0x00));
  },
  async (c) => {
    await c.accept();
    c.send({ type: 'pubrel', packetId: 99 });
    await c.next('pubcomp');
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'x', qos: 0 }] });
  },
  async (c) => {
    await c.next('connect');
    c.send({ type: 'publish', topic: 't', payload: x, qos: 1, retain: false, dup: false, packetId: 1 });
  },
];

interface HeapReading {
  checkpoint: number;
  /** Bytes of program data on the heap (compiled code left out). */
  data: number;
  /** heapUsed, code included (for the record). */
  heapUsed: number;
  /** Objects per constructor name. */
  objects: Record<string, number>;
}

interface ChildReport {
  readings: HeapReading[];
  checkpoints: number[];
  counts: { connects: number; offline: number; reconnects: number; errors: number; published: number; publishFailed: number };
  errorCodes: Record<string, number>;
  state: string;
  inFlight: number;
  queued: number;
  pendingOps: number;
  timers: number;
  problems: string[];
  kept: number;
}

async function hostileBroker(): Promise<ScriptedBroker> {
  return fixture.broker(await ScriptedBroker.start((c) => behaviours[(c.index - 1) % behaviours.length](c), { record: false }));
}

function runChild(url: string, leakBytesPerCycle = 0): Promise<ChildReport> {
  const child = fileURLToPath(new URL('./leak-child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', child, url, String(CYCLES)], {
      env: { ...process.env, LEAK_BYTES_PER_CYCLE: String(leakBytesPerCycle) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`leak-child exited with ${code}: ${err}`));
      else {
        const lines = out
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as HeapReading | Omit<ChildReport, 'readings'>);
        const readings = lines.filter((l): l is HeapReading => 'checkpoint' in l);
        const summary = lines.find((l): l is Omit<ChildReport, 'readings'> => 'counts' in l);
        if (summary === undefined || readings.length !== 3) reject(new Error(`leak-child printed no report: ${out}`));
        else resolve({ ...summary, readings });
      }
    });
  });
}

const growth = (r: ChildReport) => r.readings[2].data - r.readings[0].data;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Constructors with more objects at the last checkpoint than at the first. */
function grownObjects(r: ChildReport): [string, number][] {
  const [first, , last] = r.readings;
  return Object.entries(last.objects)
    .map(([name, n]): [string, number] => [name, n - (first.objects[name] ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
}

describe('no leak over 300 hostile connection cycles', () => {
  it('heap stays flat, nothing is left pending, every cycle was a typed error or a typed loss', { timeout: 120_000 }, async () => {
    const broker = await hostileBroker();
    const report = await runChild(broker.url);
    expect(report.problems).toEqual([]);
    expect(report.counts.reconnects).toBe(CYCLES);
    expect(broker.attempts).toBeGreaterThanOrEqual(CYCLES);
    expect(broker.scriptErrors).toEqual([]);
    // Every reason code the client sends was exercised.
    expect(Object.keys(report.errorCodes).sort()).toEqual([
      'MQTTKIT_ERR_MALFORMED_PACKET',
      'MQTTKIT_ERR_PACKET_TOO_LARGE',
      'MQTTKIT_ERR_PROTOCOL_ERROR',
      'MQTTKIT_ERR_TOPIC_ALIAS_INVALID',
    ]);
    expect(report.counts.published).toBeGreaterThan(0);
    expect(report.state).toBe('closed');
    expect(report.pendingOps).toBe(0);
    expect(report.timers).toBe(0);
    expect(report.queued).toBe(0);
    expect(report.inFlight).toBeLessThanOrEqual(1);
    console.info(
      `leak check: program data on the heap at ${report.checkpoints.join(' / ')} cycles: ${report.readings.map((r) => kib(r.data)).join(' / ')} ` +
        `(heapUsed with compiled code: ${report.readings.map((r) => kib(r.heapUsed)).join(' / ')}); objects grown: ${JSON.stringify(grownObjects(report))}`,
    );
    expect(growth(report)).toBeLessThan(MAX_GROWTH_BYTES);
  });

  it('control: the same run leaking 512 bytes per cycle on purpose is caught by the same bound', { timeout: 120_000 }, async () => {
    const broker = await hostileBroker();
    const report = await runChild(broker.url, CONTROL_LEAK_BYTES);
    expect(report.kept).toBe(CYCLES);
    expect(growth(report)).toBeGreaterThan(MAX_GROWTH_BYTES);
  });
});

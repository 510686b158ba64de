/**
 * Codec benchmark: mqttkit's codec against mqtt-packet (MQTT.js's codec), in
 * the same process and the same run, on a publish-heavy mix of packets.
 *
 * Workload (per protocol level, 3.1.1 = version 4 and 5.0 = version 5): a
 * 10-packet cycle of 5 QoS 0 PUBLISH, 2 QoS 1 PUBLISH (with packet id),
 * 2 PUBACK and 1 PINGREQ. PUBLISH payloads are 64 bytes, topics look like
 * `devices/sensor-0042/telemetry` (250 distinct sensors). Both codecs are
 * first checked to produce byte-identical packets for every object, so both
 * do the same wire work.
 *
 * - encode: packet objects to bytes (`encode(p, v)` vs `mqttPacket.generate(obj, { protocolVersion })`).
 * - decode: one pre-encoded stream split into 16 KiB Buffer chunks (what a
 *   socket delivers), fed chunk by chunk to a decoder / parser; each pass over
 *   the stream uses a fresh one and must yield exactly the stream's packets
 *   (both decoders are also checked to agree on what the stream holds).
 *
 * Each measurement is warmed up, then run for `rounds` rounds; within a round
 * the two implementations take turns of a few tens of milliseconds (ABBA
 * order), so a change in machine load affects both alike. The median round is
 * reported. Run with `node --expose-gc` (as bench/run.ts does) to start every
 * round from a collected heap.
 *
 * Usage: tsx bench/codec.ts [--quick] [--by-type] [--rounds N] [--result-file path.json]
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import mqttPacket, { type Packet as MqttPacket } from 'mqtt-packet';
import { Decoder, encode, type Packet, type ProtocolVersion } from '../src/codec/index.js';

export interface CodecBenchOptions {
  /** A short run (seconds, not a minute): less stable numbers. */
  quick?: boolean;
  /** Rounds per measurement; the median is reported. */
  rounds?: number;
  /** Also measure each packet kind on its own (diagnostics, console only). */
  byType?: boolean;
  /** Progress and per-round numbers go here (default: stderr). */
  log?: (line: string) => void;
}

export type Operation = 'encode' | 'decode';

export interface CodecRow {
  version: 4 | 5;
  operation: Operation;
  /** Median packets per second. */
  mqttkit: number;
  mqttPacket: number;
  /** mqttkit / mqtt-packet. */
  ratio: number;
  /** Packets per second of every round, in run order. */
  mqttkitRounds: number[];
  mqttPacketRounds: number[];
}

export interface CodecBenchResult {
  name: 'codec';
  title: string;
  quick: boolean;
  rounds: number;
  roundMs: number;
  sliceMs: number;
  streamPackets: number;
  chunkSize: number;
  mqttPacketVersion: string;
  rows: CodecRow[];
  /** Per packet kind (only with `byType`). */
  byType: { version: 4 | 5; kind: Kind; operation: Operation; mqttkit: number; mqttPacket: number; ratio: number }[];
  /** The target: mqttkit at least this many times mqtt-packet's packets/s, everywhere. */
  target: number;
  /** The markdown RESULTS.md shows: workload, table, verdict. */
  markdown: string;
}

const TARGET = 4;
const TOPIC_COUNT = 250;
const POOL_SIZE = 1000;
const PAYLOAD_SIZE = 64;
const CHUNK_SIZE = 16 * 1024;

type Kind = 'qos0' | 'qos1' | 'puback' | 'pingreq';
/** The publish-heavy mix: 5 QoS 0, 2 QoS 1, 2 PUBACK, 1 PINGREQ in every 10 packets. */
const CYCLE: readonly Kind[] = ['qos0', 'qos1', 'qos0', 'puback', 'qos0', 'pingreq', 'qos0', 'qos1', 'qos0', 'puback'];

interface Case {
  kind: Kind;
  ours: Packet;
  theirs: MqttPacket;
}

/** A deterministic PRNG (xorshift32) so every run encodes the same bytes. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function buildPool(v: 4 | 5, size: number, only?: Kind): Case[] {
  const rand = prng(0x4d515454);
  const payloads: Buffer[] = [];
  for (let i = 0; i < 16; i++) {
    const b = Buffer.allocUnsafe(PAYLOAD_SIZE);
    for (let j = 0; j < PAYLOAD_SIZE; j++) b[j] = rand() & 0xff;
    payloads.push(b);
  }
  const topics: string[] = [];
  for (let i = 0; i < TOPIC_COUNT; i++) topics.push(`devices/sensor-${String(i).padStart(4, '0')}/telemetry`);

  const pool: Case[] = [];
  let packetId = 0;
  for (let i = 0; i < size; i++) {
    const kind = only ?? CYCLE[i % CYCLE.length];
    const topic = topics[rand() % TOPIC_COUNT];
    const payload = payloads[i % payloads.length];
    packetId = (packetId % 65_535) + 1;
    switch (kind) {
      case 'qos0':
        pool.push({
          kind,
          ours: { type: 'publish', topic, payload, qos: 0, retain: false, dup: false },
          theirs: { cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false },
        });
        break;
      case 'qos1':
        pool.push({
          kind,
          ours: { type: 'publish', topic, payload, qos: 1, retain: false, dup: false, packetId },
          theirs: { cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, messageId: packetId },
        });
        break;
      case 'puback':
        pool.push({
          kind,
          ours: { type: 'puback', packetId },
          // mqtt-packet needs an explicit reasonCode 0 on MQTT 5 to omit it from the wire, as mqttkit does.
          theirs: v === 5 ? { cmd: 'puback', messageId: packetId, reasonCode: 0 } : { cmd: 'puback', messageId: packetId },
        });
        break;
      case 'pingreq':
        pool.push({ kind, ours: { type: 'pingreq' }, theirs: { cmd: 'pingreq' } });
        break;
    }
  }
  return pool;
}

/** Both codecs must put the same bytes on the wire, or the comparison is meaningless. */
function checkSameBytes(pool: Case[], v: 4 | 5): Buffer[] {
  const opts = { protocolVersion: v };
  return pool.map((c, i) => {
    const ours = encode(c.ours, v);
    const theirs = mqttPacket.generate(c.theirs, opts);
    if (Buffer.compare(Buffer.from(ours.buffer, ours.byteOffset, ours.length), theirs) !== 0) {
      throw new Error(
        `v${v} ${c.kind} #${i}: the codecs encode differently\n  mqttkit:     ${Buffer.from(ours).toString('hex')}\n  mqtt-packet: ${theirs.toString('hex')}`,
      );
    }
    return theirs;
  });
}

function buildStream(encoded: Buffer[], packets: number): { chunks: Buffer[]; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < packets; i++) bytes += encoded[i % encoded.length].length;
  const stream = Buffer.allocUnsafe(bytes);
  let pos = 0;
  for (let i = 0; i < packets; i++) pos += encoded[i % encoded.length].copy(stream, pos);
  const chunks: Buffer[] = [];
  for (let off = 0; off < bytes; off += CHUNK_SIZE) chunks.push(stream.subarray(off, Math.min(off + CHUNK_SIZE, bytes)));
  return { chunks, bytes };
}

// --- The contenders: each does the workload in small steps, checking its own results. ---

/** One implementation on one workload, done in small steps so that the two can take turns often. */
interface Contender {
  /** Does a small piece of the work; returns the packets it completed. */
  step(): number;
  /** Whole passes over the workload done (and verified) so far. */
  passes(): number;
}

/** Encodes the whole pool per step; every pass must produce exactly `poolBytes` bytes. */
function encoder(name: string, encodeAll: () => number, poolSize: number, poolBytes: number): Contender {
  let passes = 0;
  return {
    step() {
      const bytes = encodeAll();
      if (bytes !== poolBytes) throw new Error(`${name}: encoded ${bytes} bytes, expected ${poolBytes}`);
      passes++;
      return poolSize;
    },
    passes: () => passes,
  };
}

function encodeOurs(pool: Packet[], v: ProtocolVersion): number {
  let bytes = 0;
  for (let i = 0; i < pool.length; i++) bytes += encode(pool[i], v).length;
  return bytes;
}

function encodeTheirs(pool: MqttPacket[], v: ProtocolVersion): number {
  const opts = { protocolVersion: v };
  let bytes = 0;
  for (let i = 0; i < pool.length; i++) bytes += mqttPacket.generate(pool[i], opts).length;
  return bytes;
}

/** A streaming decoder as the benchmark drives it: feed one chunk, get the number of packets it completed. */
interface Feeder {
  feed(chunk: Buffer): number;
  /** Bytes held back at the end of the stream (must be 0). */
  leftover(): number;
}

function oursFeeder(v: ProtocolVersion): Feeder {
  const decoder = new Decoder({ protocolVersion: v });
  return {
    feed(chunk) {
      let count = 0;
      decoder.feed(chunk);
      while (decoder.next()) count++;
      return count;
    },
    leftover: () => decoder.bufferedBytes,
  };
}

function theirsFeeder(v: ProtocolVersion): Feeder {
  const parser = mqttPacket.parser({ protocolVersion: v });
  let count = 0;
  let left = 0;
  let failure: unknown;
  parser.on('packet', () => {
    count++;
  });
  parser.on('error', (err: unknown) => {
    failure ??= err;
  });
  return {
    feed(chunk) {
      const before = count;
      left = parser.parse(chunk);
      if (failure !== undefined) throw failure;
      return count - before;
    },
    leftover: () => left,
  };
}

/** Chunks per step: 16 chunks of 16 KiB, a few thousand packets. */
const STEP_CHUNKS = 16;

/**
 * Decodes the stream a few chunks per step with one long-lived decoder; at the
 * end of the stream, checks that the pass yielded every packet and starts a
 * new pass with a fresh decoder.
 */
function decoder(name: string, make: () => Feeder, chunks: Buffer[], expected: number): Contender {
  let feeder = make();
  let next = 0;
  let inPass = 0;
  let passes = 0;
  return {
    step() {
      let count = 0;
      const end = Math.min(next + STEP_CHUNKS, chunks.length);
      for (; next < end; next++) count += feeder.feed(chunks[next]);
      inPass += count;
      if (next === chunks.length) {
        if (inPass !== expected) throw new Error(`${name}: a pass decoded ${inPass} packets, expected ${expected}`);
        if (feeder.leftover() !== 0) throw new Error(`${name}: ${feeder.leftover()} bytes left undecoded at the end of the stream`);
        passes++;
        inPass = 0;
        next = 0;
        feeder = make();
      }
      return count;
    },
    passes: () => passes,
  };
}

/** What a decoded stream held, to check both decoders saw the same packets. */
function summarizeOurs(chunks: Buffer[], v: ProtocolVersion): string {
  const decoder = new Decoder({ protocolVersion: v });
  const s = { publish0: 0, publish1: 0, puback: 0, pingreq: 0, payloadBytes: 0, topicChars: 0, idSum: 0 };
  for (const chunk of chunks) {
    decoder.feed(chunk);
    for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
      if (p.type === 'publish') {
        if (p.qos === 0) s.publish0++;
        else s.publish1++;
        s.payloadBytes += p.payload.length;
        s.topicChars += p.topic.length;
        s.idSum += p.packetId ?? 0;
      } else if (p.type === 'puback') {
        s.puback++;
        s.idSum += p.packetId;
      } else if (p.type === 'pingreq') s.pingreq++;
    }
  }
  return JSON.stringify(s);
}

function summarizeTheirs(chunks: Buffer[], v: ProtocolVersion): string {
  const parser = mqttPacket.parser({ protocolVersion: v });
  const s = { publish0: 0, publish1: 0, puback: 0, pingreq: 0, payloadBytes: 0, topicChars: 0, idSum: 0 };
  parser.on('packet', (p: MqttPacket) => {
    if (p.cmd === 'publish') {
      if (p.qos === 0) s.publish0++;
      else s.publish1++;
      s.payloadBytes += p.payload.length;
      s.topicChars += p.topic.length;
      s.idSum += p.messageId ?? 0;
    } else if (p.cmd === 'puback') {
      s.puback++;
      s.idSum += p.messageId ?? 0;
    } else if (p.cmd === 'pingreq') s.pingreq++;
  });
  for (const chunk of chunks) parser.parse(chunk);
  return JSON.stringify(s);
}

// --- Timing ---

const gc = (globalThis as { gc?: () => void }).gc;

/** Steps `c` for at least `ms`; returns the packets done and the time taken. */
function slice(c: Contender, ms: number): { packets: number; ms: number } {
  let packets = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    packets += c.step();
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return { packets, ms: elapsed };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Timing {
  rounds: number;
  /** Each implementation's share of a round. */
  roundMs: number;
  warmupMs: number;
  /** Length of one turn: the implementations alternate this often. */
  sliceMs: number;
}

/**
 * Warms both up, then runs `rounds` rounds. In a round the two take turns of
 * `sliceMs` (in ABBA order) until each has run for `roundMs`, so a change in
 * machine load hits both alike; a round's rate is its packets over its time.
 */
function compare(ours: Contender, theirs: Contender, t: Timing): { ours: number[]; theirs: number[] } {
  slice(ours, t.warmupMs);
  slice(theirs, t.warmupMs);
  const o: number[] = [];
  const th: number[] = [];
  for (let r = 0; r < t.rounds; r++) {
    gc?.();
    const acc = [
      { c: ours, packets: 0, ms: 0 },
      { c: theirs, packets: 0, ms: 0 },
    ];
    for (let turn = 0; acc[0].ms < t.roundMs || acc[1].ms < t.roundMs; turn++) {
      // ABBA: ours, theirs, theirs, ours, ours, theirs, ...
      const a = acc[((turn + 1) >> 1) & 1];
      const s = slice(a.c, t.sliceMs);
      a.packets += s.packets;
      a.ms += s.ms;
    }
    o.push(acc[0].packets / (acc[0].ms / 1000));
    th.push(acc[1].packets / (acc[1].ms / 1000));
  }
  return { ours: o, theirs: th };
}

// --- Formatting ---

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const versionName = (v: 4 | 5): string => (v === 4 ? '3.1.1' : '5.0');

/** A markdown table with padded columns (as biome formats markdown); `right` marks right-aligned columns. */
export function alignedTable(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c].length)));
  const cell = (text: string, c: number): string => (right[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (right[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function markdownTable(rows: CodecRow[]): string {
  return alignedTable(
    ['Version', 'Operation', 'mqttkit (packets/s)', 'mqtt-packet (packets/s)', 'Ratio'],
    rows.map((r) => {
      const ratio = `${r.ratio.toFixed(2)}x`;
      // Bold marks a ratio below the target.
      return [versionName(r.version), r.operation, fmt(r.mqttkit), fmt(r.mqttPacket), r.ratio >= TARGET ? ratio : `**${ratio}**`];
    }),
    [false, false, true, true, true],
  );
}

function describe(res: Omit<CodecBenchResult, 'markdown'>): string {
  const below = res.rows.filter((r) => r.ratio < TARGET);
  const verdict =
    below.length === 0
      ? `Target (≥${TARGET}x mqtt-packet everywhere): **met**.`
      : `Target (≥${TARGET}x mqtt-packet everywhere): **not met** for ${below.map((r) => `${versionName(r.version)} ${r.operation} (${r.ratio.toFixed(2)}x)`).join(', ')}.`;
  return [
    `mqttkit (\`src/codec\`) vs mqtt-packet ${res.mqttPacketVersion}, same process, same run${res.quick ? ' — **quick run (`--quick`), numbers are rough**' : ''}.`,
    '',
    `- Mix: every 10 packets are 5 QoS 0 PUBLISH, 2 QoS 1 PUBLISH, 2 PUBACK, 1 PINGREQ; ${PAYLOAD_SIZE}-byte payloads; topics \`devices/sensor-NNNN/telemetry\` (${TOPIC_COUNT} sensors). Both codecs produce byte-identical packets.`,
    `- encode: packet objects → bytes, ${POOL_SIZE} distinct packet objects per pass (\`encode(p, v)\` vs \`mqttPacket.generate(obj, { protocolVersion })\`).`,
    `- decode: a ${fmt(res.streamPackets)}-packet stream in ${res.chunkSize / 1024} KiB Buffer chunks, a fresh \`Decoder\` / \`mqttPacket.parser()\` per pass; every pass must yield all ${fmt(res.streamPackets)} packets.`,
    `- ${res.rounds} rounds per measurement after a warm-up; in a round the implementations take turns of ${res.sliceMs} ms (ABBA order) until each has run ${res.roundMs} ms, so load changes hit both alike; median round shown.`,
    '',
    markdownTable(res.rows),
    '',
    verdict,
  ].join('\n');
}

// --- The benchmark ---

export function runCodecBench(options: CodecBenchOptions = {}): CodecBenchResult {
  const quick = options.quick ?? false;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rounds = options.rounds ?? (quick ? 3 : 5);
  const roundMs = quick ? 200 : 1000;
  const warmupMs = quick ? 200 : 1000;
  const streamPackets = quick ? 100_000 : 1_000_000;
  const sliceMs = quick ? 20 : 50;
  const cfg: Timing = { rounds, roundMs, warmupMs, sliceMs };
  const require = createRequire(import.meta.url);
  const mqttPacketVersion = (require('mqtt-packet/package.json') as { version: string }).version;
  if (process.env.DEBUG) log(`warning: DEBUG=${process.env.DEBUG} is set; mqtt-packet's debug logging may slow it down`);
  if (gc === undefined) log('note: run node with --expose-gc to collect garbage between measurements');

  const rows: CodecRow[] = [];
  const byType: CodecBenchResult['byType'] = [];

  for (const v of [4, 5] as const) {
    const pool = buildPool(v, POOL_SIZE);
    const encoded = checkSameBytes(pool, v);
    const poolBytes = encoded.reduce((n, b) => n + b.length, 0);
    const ours = pool.map((c) => c.ours);
    const theirs = pool.map((c) => c.theirs);

    log(`v${v} encode (${POOL_SIZE} packets/pass)…`);
    const enc = compare(
      encoder(`mqttkit v${v} encode`, () => encodeOurs(ours, v), POOL_SIZE, poolBytes),
      encoder(`mqtt-packet v${v} encode`, () => encodeTheirs(theirs, v), POOL_SIZE, poolBytes),
      cfg,
    );
    rows.push(row(v, 'encode', enc));

    const { chunks, bytes } = buildStream(encoded, streamPackets);
    const a = summarizeOurs(chunks, v);
    const b = summarizeTheirs(chunks, v);
    if (a !== b) throw new Error(`v${v} decode: the decoders disagree on the stream\n  mqttkit:     ${a}\n  mqtt-packet: ${b}`);
    log(`v${v} decode (${fmt(streamPackets)} packets, ${(bytes / 1e6).toFixed(1)} MB, ${chunks.length} chunks/pass)…`);
    const oursDec = decoder(`mqttkit v${v} decode`, () => oursFeeder(v), chunks, streamPackets);
    const theirsDec = decoder(`mqtt-packet v${v} decode`, () => theirsFeeder(v), chunks, streamPackets);
    const dec = compare(oursDec, theirsDec, cfg);
    // Every pass is checked when it ends; make sure each decoder finished (and so was checked on) at least one.
    for (const [name, c] of [
      ['mqttkit', oursDec],
      ['mqtt-packet', theirsDec],
    ] as const) {
      if (c.passes() === 0) throw new Error(`${name} v${v} decode: no complete pass over the stream was verified; lengthen the rounds`);
    }
    log(`  (complete verified passes over the stream: mqttkit ${oursDec.passes()}, mqtt-packet ${theirsDec.passes()})`);
    rows.push(row(v, 'decode', dec));

    if (options.byType) {
      for (const kind of ['qos0', 'qos1', 'puback', 'pingreq'] as const) {
        const kpool = buildPool(v, POOL_SIZE, kind);
        const kenc = checkSameBytes(kpool, v);
        const kbytes = kenc.reduce((n, x) => n + x.length, 0);
        const kours = kpool.map((c) => c.ours);
        const ktheirs = kpool.map((c) => c.theirs);
        const short: Timing = { rounds: 3, roundMs: quick ? 100 : 300, warmupMs: quick ? 100 : 300, sliceMs: 20 };
        const e = compare(
          encoder(`mqttkit v${v} ${kind} encode`, () => encodeOurs(kours, v), POOL_SIZE, kbytes),
          encoder(`mqtt-packet v${v} ${kind} encode`, () => encodeTheirs(ktheirs, v), POOL_SIZE, kbytes),
          short,
        );
        const n = quick ? 20_000 : 50_000;
        const s = buildStream(kenc, n).chunks;
        const d = compare(
          decoder(`mqttkit v${v} ${kind} decode`, () => oursFeeder(v), s, n),
          decoder(`mqtt-packet v${v} ${kind} decode`, () => theirsFeeder(v), s, n),
          short,
        );
        for (const [operation, r] of [
          ['encode', e],
          ['decode', d],
        ] as const) {
          const o = median(r.ours);
          const t = median(r.theirs);
          byType.push({ version: v, kind, operation, mqttkit: o, mqttPacket: t, ratio: o / t });
        }
      }
    }
  }

  function row(v: 4 | 5, operation: Operation, r: { ours: number[]; theirs: number[] }): CodecRow {
    const o = median(r.ours);
    const t = median(r.theirs);
    log(`  mqttkit     ${r.ours.map(fmt).join('  ')}  → ${fmt(o)} packets/s`);
    log(`  mqtt-packet ${r.theirs.map(fmt).join('  ')}  → ${fmt(t)} packets/s   (${(o / t).toFixed(2)}x)`);
    return { version: v, operation, mqttkit: o, mqttPacket: t, ratio: o / t, mqttkitRounds: r.ours, mqttPacketRounds: r.theirs };
  }

  const partial = {
    name: 'codec' as const,
    title: 'Codec: mqttkit vs mqtt-packet',
    quick,
    rounds,
    roundMs,
    sliceMs,
    streamPackets,
    chunkSize: CHUNK_SIZE,
    mqttPacketVersion,
    rows,
    byType,
    target: TARGET,
  };
  return { ...partial, markdown: describe(partial) };
}

function byTypeTable(res: CodecBenchResult): string {
  return alignedTable(
    ['Version', 'Packet', 'Operation', 'mqttkit (packets/s)', 'mqtt-packet (packets/s)', 'Ratio'],
    res.byType.map((r) => [versionName(r.version), r.kind, r.operation, fmt(r.mqttkit), fmt(r.mqttPacket), `${r.ratio.toFixed(2)}x`]),
    [false, false, false, true, true, true],
  );
}

function main(argv: string[]): void {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : (argv[i + 1] ?? '');
  };
  const rounds = flag('--rounds');
  const result = runCodecBench({
    quick: argv.includes('--quick'),
    byType: argv.includes('--by-type'),
    rounds: rounds === undefined ? undefined : Number(rounds),
  });
  process.stdout.write(`\n## ${result.title}\n\n${result.markdown}\n`);
  if (result.byType.length > 0) process.stdout.write(`\nPer packet kind:\n\n${byTypeTable(result)}\n`);
  const file = flag('--result-file');
  if (file) writeFileSync(file, JSON.stringify(result, null, 2));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}

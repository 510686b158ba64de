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
 *   socket delivers) and decoded whole by a fresh decoder / parser per pass.
 *   Every pass must yield exactly the number of packets in the stream.
 *
 * Each measurement is warmed up, then run for `rounds` rounds alternating
 * which implementation goes first; the median round is reported.
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

// --- The measured passes. Each returns a number that depends on all its work. ---

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

function decodeOurs(chunks: Buffer[], v: ProtocolVersion): number {
  const decoder = new Decoder({ protocolVersion: v });
  let count = 0;
  for (let i = 0; i < chunks.length; i++) {
    decoder.feed(chunks[i]);
    while (decoder.next()) count++;
  }
  if (decoder.bufferedBytes !== 0) throw new Error(`mqttkit left ${decoder.bufferedBytes} bytes undecoded`);
  return count;
}

function decodeTheirs(chunks: Buffer[], v: ProtocolVersion): number {
  const parser = mqttPacket.parser({ protocolVersion: v });
  let count = 0;
  let failure: unknown;
  parser.on('packet', () => {
    count++;
  });
  parser.on('error', (err: unknown) => {
    failure ??= err;
  });
  let left = 0;
  for (let i = 0; i < chunks.length; i++) left = parser.parse(chunks[i]);
  if (failure !== undefined) throw failure;
  if (left !== 0) throw new Error(`mqtt-packet left ${left} bytes undecoded`);
  return count;
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

/** Runs `pass` until `minMs` elapsed; returns packets per second. `check` sees every pass's result. */
function timed(pass: () => number, packetsPerPass: number, minMs: number, check: (result: number) => void): number {
  gc?.();
  let passes = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    check(pass());
    passes++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (passes * packetsPerPass) / (elapsed / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Contender {
  pass: () => number;
  check: (result: number) => void;
}

/** Warms both up, then alternates them for `rounds` rounds. */
function compare(
  ours: Contender,
  theirs: Contender,
  packetsPerPass: number,
  cfg: { rounds: number; roundMs: number; warmupMs: number },
): { ours: number[]; theirs: number[] } {
  timed(ours.pass, packetsPerPass, cfg.warmupMs, ours.check);
  timed(theirs.pass, packetsPerPass, cfg.warmupMs, theirs.check);
  const o: number[] = [];
  const t: number[] = [];
  for (let r = 0; r < cfg.rounds; r++) {
    if (r % 2 === 0) {
      o.push(timed(ours.pass, packetsPerPass, cfg.roundMs, ours.check));
      t.push(timed(theirs.pass, packetsPerPass, cfg.roundMs, theirs.check));
    } else {
      t.push(timed(theirs.pass, packetsPerPass, cfg.roundMs, theirs.check));
      o.push(timed(ours.pass, packetsPerPass, cfg.roundMs, ours.check));
    }
  }
  return { ours: o, theirs: t };
}

function expectEqual(what: string, expected: number): (got: number) => void {
  return (got) => {
    if (got !== expected) throw new Error(`${what}: got ${got}, expected ${expected}`);
  };
}

// --- Formatting ---

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const versionName = (v: 4 | 5): string => (v === 4 ? '3.1.1' : '5.0');

export function markdownTable(rows: CodecRow[]): string {
  const lines = ['| Version | Operation | mqttkit (packets/s) | mqtt-packet (packets/s) | Ratio |', '| --- | --- | ---: | ---: | ---: |'];
  for (const r of rows) {
    const mark = r.ratio >= TARGET ? '' : ' ⚠️';
    lines.push(`| ${versionName(r.version)} | ${r.operation} | ${fmt(r.mqttkit)} | ${fmt(r.mqttPacket)} | ${r.ratio.toFixed(2)}x${mark} |`);
  }
  return lines.join('\n');
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
    `- ${res.rounds} rounds of ≥${res.roundMs} ms per measurement after a warm-up, implementations alternating; median shown.`,
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
  const cfg = { rounds, roundMs, warmupMs };
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
      { pass: () => encodeOurs(ours, v), check: expectEqual(`mqttkit v${v} encode bytes`, poolBytes) },
      { pass: () => encodeTheirs(theirs, v), check: expectEqual(`mqtt-packet v${v} encode bytes`, poolBytes) },
      POOL_SIZE,
      cfg,
    );
    rows.push(row(v, 'encode', enc));

    const { chunks, bytes } = buildStream(encoded, streamPackets);
    const a = summarizeOurs(chunks, v);
    const b = summarizeTheirs(chunks, v);
    if (a !== b) throw new Error(`v${v} decode: the decoders disagree on the stream\n  mqttkit:     ${a}\n  mqtt-packet: ${b}`);
    log(`v${v} decode (${fmt(streamPackets)} packets, ${(bytes / 1e6).toFixed(1)} MB, ${chunks.length} chunks/pass)…`);
    const dec = compare(
      { pass: () => decodeOurs(chunks, v), check: expectEqual(`mqttkit v${v} decoded packets`, streamPackets) },
      { pass: () => decodeTheirs(chunks, v), check: expectEqual(`mqtt-packet v${v} decoded packets`, streamPackets) },
      streamPackets,
      cfg,
    );
    rows.push(row(v, 'decode', dec));

    if (options.byType) {
      for (const kind of ['qos0', 'qos1', 'puback', 'pingreq'] as const) {
        const kpool = buildPool(v, POOL_SIZE, kind);
        const kenc = checkSameBytes(kpool, v);
        const kbytes = kenc.reduce((n, x) => n + x.length, 0);
        const kours = kpool.map((c) => c.ours);
        const ktheirs = kpool.map((c) => c.theirs);
        const short = { rounds: 3, roundMs: quick ? 100 : 300, warmupMs: quick ? 100 : 300 };
        const e = compare(
          { pass: () => encodeOurs(kours, v), check: expectEqual('bytes', kbytes) },
          { pass: () => encodeTheirs(ktheirs, v), check: expectEqual('bytes', kbytes) },
          POOL_SIZE,
          short,
        );
        const n = quick ? 50_000 : 200_000;
        const s = buildStream(kenc, n).chunks;
        const d = compare(
          { pass: () => decodeOurs(s, v), check: expectEqual('packets', n) },
          { pass: () => decodeTheirs(s, v), check: expectEqual('packets', n) },
          n,
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
  const lines = [
    '| Version | Packet | Operation | mqttkit (packets/s) | mqtt-packet (packets/s) | Ratio |',
    '| --- | --- | --- | ---: | ---: | ---: |',
  ];
  for (const r of res.byType) {
    lines.push(
      `| ${versionName(r.version)} | ${r.kind} | ${r.operation} | ${fmt(r.mqttkit)} | ${fmt(r.mqttPacket)} | ${r.ratio.toFixed(2)}x |`,
    );
  }
  return lines.join('\n');
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

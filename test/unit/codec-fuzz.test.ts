/**
 * A fuzz run of the streaming Decoder, part of the normal suite (a few
 * seconds): valid encoded packets mutated (bit flips, byte changes, inserts,
 * deletes, truncation, Remaining Length and length-prefix tampering, splices)
 * and pure random bytes, fed in random chunkings to a Decoder with a Maximum
 * Packet Size.
 *
 * For every input: each next() returns a packet or undefined, or throws a
 * MalformedPacketError (nothing else, and not an internal error the decoder
 * wrapped); the loop ends within a bound; bufferedBytes stays within
 * maximumPacketSize plus the last chunk; a failed decoder keeps throwing the
 * same error; and any packet returned re-encodes (or is refused with an
 * InvalidArgumentError) and then decodes to itself.
 *
 * The PRNG is seeded; the seed is printed. Reproduce a failure with
 * MQTTKIT_FUZZ_SEED=<seed> npx vitest run test/unit/codec-fuzz.test.ts
 * (MQTTKIT_FUZZ_INPUTS=<n> changes the number of inputs, MQTTKIT_FUZZ_ENCODE_PACKETS=<n>
 * the number of packets per level the encoder fuzz starts from).
 *
 * A second, smaller run fuzzes the encoder the same way: valid packets with
 * one field replaced by an odd value must either be refused with an
 * InvalidArgumentError or encode to bytes that decode to that value
 * ("nothing invalid ever reaches the writer", src/codec/encode.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder, decode, encode } from '../../src/codec/index.js';
import type { Packet, ProtocolVersion } from '../../src/codec/types.js';
import { InvalidArgumentError, MalformedPacketError } from '../../src/errors.js';
import { packetArb } from '../helpers/arbitraries.js';
import { concat, hex } from '../helpers/bytes.js';

const SEED = process.env.MQTTKIT_FUZZ_SEED !== undefined ? Number(process.env.MQTTKIT_FUZZ_SEED) >>> 0 : (Date.now() * 2_654_435_761) >>> 0;
const INPUTS = Number(process.env.MQTTKIT_FUZZ_INPUTS ?? 120_000);
const ENCODE_PACKETS = Number(process.env.MQTTKIT_FUZZ_ENCODE_PACKETS ?? 2000);
const MAX_PACKET_SIZE = 4096;
const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5];
/** Reason codes a MalformedPacketError may carry (MQTT 5 §2.4: the decode-side failures). */
const DECODE_REASONS = new Set([0x81, 0x82, 0x84, 0x85, 0x8f, 0x90, 0x94, 0x95]);

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n); // 0 .. n-1
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Length of the fixed header's Remaining Length field at offset 1 (1..4, or 0 if unreadable). */
function varintLength(bytes: Uint8Array): number {
  for (let i = 1; i < Math.min(bytes.length, 5); i++) if (bytes[i] < 0x80) return i;
  return 0;
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

type Mutation = (b: Uint8Array, corpus: readonly Uint8Array[]) => Uint8Array;

const MUTATIONS: readonly Mutation[] = [
  // Flip one bit.
  (b) => {
    if (b.length === 0) return b;
    const c = b.slice();
    c[int(c.length)] ^= 1 << int(8);
    return c;
  },
  // Set one byte, with a bias to the interesting values.
  (b) => {
    if (b.length === 0) return b;
    const c = b.slice();
    c[int(c.length)] = pick([0x00, 0x01, 0x7f, 0x80, 0xff, int(256), int(256)]);
    return c;
  },
  // Insert a few bytes.
  (b) => {
    const at = int(b.length + 1);
    return concat([b.subarray(0, at), randomBytes(1 + int(4)), b.subarray(at)]);
  },
  // Delete a few bytes.
  (b) => {
    if (b.length === 0) return b;
    const at = int(b.length);
    return concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(4)))]);
  },
  // Truncate.
  (b) => b.slice(0, int(b.length + 1)),
  // Tamper with the Remaining Length: off by a little, anything, too long, non-minimal, 5 bytes.
  (b) => {
    const n = varintLength(b);
    if (n === 0) return b;
    let r = 0;
    for (let i = n; i >= 1; i--) r = r * 128 + (b[i] & 0x7f);
    const choice = int(6);
    let field: number[];
    if (choice === 0) field = varint(Math.max(0, r + pick([-3, -2, -1, 1, 2, 3])));
    else if (choice === 1) field = varint(int(268_435_456));
    else if (choice === 2) field = varint(int(MAX_PACKET_SIZE * 2));
    else if (choice === 3)
      field = [...varint(r).map((x) => x | 0x80), 0x00]; // non-minimal ([MQTT-1.5.5-1])
    else if (choice === 4)
      field = [0xff, 0xff, 0xff, 0xff, 0x7f]; // five bytes
    else field = varint(r).map((x) => x | 0x80); // continuation never ends
    return concat([b.subarray(0, 1), Uint8Array.from(field), b.subarray(1 + n)]);
  },
  // Tamper with a two-byte length prefix (or any 16-bit field) inside the body.
  (b) => {
    if (b.length < 4) return b;
    const c = b.slice();
    const at = 2 + int(c.length - 3);
    const old = (c[at] << 8) | c[at + 1];
    const value = pick([0, 0xffff, old + 1, old - 1, old + 2, int(65_536)]) & 0xffff;
    c[at] = value >> 8;
    c[at + 1] = value & 0xff;
    return c;
  },
  // Replace the first byte: any packet type, any flags.
  (b) => {
    if (b.length === 0) return b;
    const c = b.slice();
    c[0] = pick([int(256), (int(16) << 4) | (c[0] & 0x0f), (c[0] & 0xf0) | int(16)]);
    return c;
  },
  // Splice with another input, or repeat a slice.
  (b, corpus) => {
    const other = pick(corpus);
    if (int(2) === 0) return concat([b.subarray(0, int(b.length + 1)), other.subarray(int(other.length + 1))]);
    const from = int(b.length + 1);
    return concat([b, b.subarray(from, from + int(16))]);
  },
];

function mutate(bytes: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  let b = bytes;
  for (let n = 1 + int(3); n > 0; n--) b = pick(MUTATIONS)(b, corpus);
  return b;
}

/** Cuts `bytes` into chunks: whole, one byte at a time, or random sizes. */
function chunk(bytes: Uint8Array): Uint8Array[] {
  const mode = int(4);
  if (mode === 0 || bytes.length === 0) return [bytes];
  const chunks: Uint8Array[] = [];
  const max = mode === 1 ? 1 : mode === 2 ? 8 : 64;
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + int(max);
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

interface Failure {
  problem: string;
  version: ProtocolVersion;
  input: string;
  chunks: number[];
  detail: string;
}

interface Stats {
  inputs: number;
  packets: number;
  errors: Map<number, number>;
  refusedOnReencode: Map<string, number>;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`;
  return String(err);
}

/** The problem with what the decoder threw, if any. */
function errorProblem(err: unknown): string | undefined {
  if (!(err instanceof MalformedPacketError)) return 'threw something other than a MalformedPacketError';
  if (err.message.startsWith('undecodable packet:')) return 'an internal error escaped a packet decoder (wrapped by Decoder.next)';
  if (!DECODE_REASONS.has(err.reasonCode)) return `MalformedPacketError with unexpected reason code 0x${err.reasonCode.toString(16)}`;
  return undefined;
}

/** Re-encodes a decoded packet; the problem, if any. */
function reencodeProblem(p: Packet, v: ProtocolVersion, stats: Stats): string | undefined {
  const version = p.type === 'connect' && p.protocolVersion !== undefined ? p.protocolVersion : v;
  let bytes: Uint8Array;
  try {
    bytes = encode(p, version);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      // The decoder accepted what the encoder refuses. Known and intended: a 3.1.1 CONNECT with an
      // empty client id and Clean Session 0 decodes (the server answers CONNACK 0x02, [MQTT-3.1.3-8])
      // but is not sent ([MQTT-3.1.3-7]). Anything else is an asymmetry to look at.
      const key = `${p.type} v${version}: ${err.field}`;
      stats.refusedOnReencode.set(key, (stats.refusedOnReencode.get(key) ?? 0) + 1);
      if (p.type === 'connect' && version === 4 && err.field === 'clientId' && p.clientId === '' && !p.clean) return undefined;
      return `the encoder refuses a packet the decoder accepted: ${describeError(err)}`;
    }
    return `re-encoding a decoded ${p.type} threw ${describeError(err)}`;
  }
  let again: Packet;
  try {
    again = decode(bytes, version);
  } catch (err) {
    return `re-encoded ${p.type} (${hex(bytes)}) does not decode: ${describeError(err)}`;
  }
  if (!isDeepStrictEqual(again, p)) return `re-encoded ${p.type} (${hex(bytes)}) decodes to something else`;
  return undefined;
}

function runOne(input: Uint8Array, version: ProtocolVersion, stats: Stats, failures: Failure[]): void {
  const chunks = chunk(input);
  const fail = (problem: string, detail: string) =>
    failures.push({ problem, version, input: hex(input), chunks: chunks.map((c) => c.length), detail });
  const d = new Decoder({ protocolVersion: version, maximumPacketSize: MAX_PACKET_SIZE });
  // Every call consumes at least two bytes per packet, so more calls than this is a hang.
  let budget = input.length + 2 * chunks.length + 4;
  stats.inputs++;
  for (const c of chunks) {
    try {
      d.feed(c);
    } catch (err) {
      fail('feed() threw on a decoder that had not failed', describeError(err));
      return;
    }
    if (d.bufferedBytes > MAX_PACKET_SIZE + c.length) {
      fail('bufferedBytes exceeds maximumPacketSize + last chunk', `${d.bufferedBytes} > ${MAX_PACKET_SIZE} + ${c.length}`);
      return;
    }
    for (;;) {
      if (--budget < 0) {
        fail('next() keeps returning packets: no termination', '');
        return;
      }
      const v = d.protocolVersion;
      let p: Packet | undefined;
      try {
        p = d.next();
      } catch (err) {
        const problem = errorProblem(err);
        if (problem !== undefined) {
          fail(problem, describeError(err));
          return;
        }
        const reason = (err as MalformedPacketError).reasonCode;
        stats.errors.set(reason, (stats.errors.get(reason) ?? 0) + 1);
        // Once failed, the decoder keeps failing with the same error.
        let again: unknown;
        try {
          d.next();
        } catch (e) {
          again = e;
        }
        if (again !== err) fail('next() after a failure did not throw the same error', describeError(again));
        try {
          d.feed(new Uint8Array([0x30]));
          fail('feed() after a failure did not throw', '');
        } catch (e) {
          if (e !== err) fail('feed() after a failure threw a different error', describeError(e));
        }
        return;
      }
      if (p === undefined) break;
      stats.packets++;
      if (typeof p !== 'object' || p === null || typeof p.type !== 'string') {
        fail('next() returned something that is not a packet', String(p));
        return;
      }
      const problem = reencodeProblem(p, v, stats);
      if (problem !== undefined)
        fail(
          problem,
          JSON.stringify(p, (_k, x) => (x instanceof Uint8Array ? hex(x) : x)),
        );
      if (d.bufferedBytes > MAX_PACKET_SIZE + c.length) {
        fail('bufferedBytes exceeds maximumPacketSize + last chunk', `${d.bufferedBytes} after a packet`);
        return;
      }
    }
    // Drained: what is left is part of one packet no larger than the maximum.
    if (d.bufferedBytes > MAX_PACKET_SIZE) {
      fail('bufferedBytes exceeds maximumPacketSize after draining', String(d.bufferedBytes));
      return;
    }
  }
  // The one-shot decode() of the same bytes: a packet, or a MalformedPacketError.
  try {
    decode(input, version);
  } catch (err) {
    const problem = errorProblem(err);
    if (problem !== undefined) fail(`decode(): ${problem}`, describeError(err));
  }
}

describe('codec fuzz', () => {
  it(`survives ${INPUTS} mutated and random inputs (seed ${SEED})`, () => {
    console.log(`codec fuzz: seed ${SEED} (reproduce with MQTTKIT_FUZZ_SEED=${SEED})`);
    const started = performance.now();

    // The corpus: valid packets of every type and level, single and in short streams.
    const corpus: { bytes: Uint8Array; version: ProtocolVersion }[] = [];
    for (const v of VERSIONS) {
      const packets = fc.sample(packetArb(v, { largePayloads: false }), { seed: (SEED + v) | 0, numRuns: 600 });
      for (const p of packets) corpus.push({ bytes: encode(p, v), version: v });
      for (let i = 0; i + 3 <= packets.length; i += 3) {
        corpus.push({ bytes: concat(packets.slice(i, i + 1 + int(3)).map((p) => encode(p, v))), version: v });
      }
      // A few above the maximum packet size, to be refused with 0x95 before their body is buffered.
      for (const p of fc.sample(packetArb(v), { seed: (SEED ^ v) | 0, numRuns: 200 })) {
        const bytes = encode(p, v);
        if (bytes.length > MAX_PACKET_SIZE) corpus.push({ bytes, version: v });
      }
    }
    const corpusBytes = corpus.map((c) => c.bytes);

    const stats: Stats = { inputs: 0, packets: 0, errors: new Map(), refusedOnReencode: new Map() };
    const failures: Failure[] = [];
    for (let i = 0; i < INPUTS && failures.length < 50; i++) {
      const kind = int(10);
      const version = pick(VERSIONS);
      if (kind === 0) {
        // Pure random bytes.
        runOne(randomBytes(int(4) === 0 ? int(600) : int(40)), version, stats, failures);
      } else if (kind === 1) {
        // Random bytes after a valid-looking fixed header.
        const body = randomBytes(int(80));
        const header = [
          pick([0x10, 0x20, 0x30, 0x32, 0x34, 0x3b, 0x40, 0x50, 0x62, 0x70, 0x82, 0x90, 0xa2, 0xb0, 0xe0, 0xf0]),
          ...varint(body.length),
        ];
        runOne(concat([Uint8Array.from(header), body]), version, stats, failures);
      } else if (kind === 2) {
        // A valid input unchanged, for a level picked at random.
        runOne(pick(corpus).bytes, version, stats, failures);
      } else {
        // A mutated valid input, decoded at the level it was written for (most of the time).
        const item = pick(corpus);
        runOne(mutate(item.bytes, corpusBytes), int(5) === 0 ? version : item.version, stats, failures);
      }
    }

    const seconds = (performance.now() - started) / 1000;
    const errors = [...stats.errors].sort((a, b) => b[1] - a[1]).map(([code, n]) => `0x${code.toString(16)}: ${n}`);
    console.log(
      `codec fuzz: ${stats.inputs} inputs checked in ${seconds.toFixed(1)} s; ${stats.packets} packets decoded; ` +
        `MalformedPacketError by reason: ${errors.join(', ')}`,
    );
    if (stats.refusedOnReencode.size > 0) {
      console.log(
        `codec fuzz: decoded packets the encoder refuses (decoder more lenient than encoder): ${[...stats.refusedOnReencode]
          .map(([k, n]) => `${k} (${n})`)
          .join('; ')}`,
      );
    }
    const distinct = new Map<string, Failure>();
    for (const f of failures) if (!distinct.has(f.problem)) distinct.set(f.problem, f);
    expect([...distinct.values()], `seed ${SEED}: ${failures.length} failing inputs`).toEqual([]);
    expect(stats.inputs).toBeGreaterThanOrEqual(Math.min(INPUTS, 100_000));
  }, 120_000);
});

// ---------------------------------------------------------------------------
// Encoder fuzz
// ---------------------------------------------------------------------------

/** Odd values to put in a field: wrong types, out of range, fractional, negative, forbidden strings. */
const ODD_VALUES: readonly unknown[] = [
  -1,
  -256,
  -0,
  0,
  1,
  2,
  3,
  0.5,
  1.5,
  2.5,
  16.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  127,
  128,
  255,
  256,
  65_535,
  65_536,
  2 ** 31,
  2 ** 32,
  268_435_456,
  '',
  '0',
  '16',
  'a',
  'a/+',
  '#',
  'x\0y',
  '\ud800',
  '$share/g/x',
  undefined,
  null,
  true,
  false,
  [],
  {},
  [[]],
  ['a'],
  ['a', 'b'],
  new Uint8Array(0),
  new Uint8Array(3),
];

type Path = (string | number)[];

function isContainer(x: unknown): x is Record<string | number, unknown> {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array);
}

/** Every field path below the root, depth first. */
function fieldPaths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (!isContainer(value)) return out;
  for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
    const path = [...prefix, key];
    out.push(path);
    fieldPaths((value as Record<string | number, unknown>)[key], path, out);
  }
  return out;
}

const ABSENT = Symbol('absent');

function getAt(value: unknown, path: Path): unknown {
  let at = value;
  for (const key of path) {
    if (!isContainer(at) || !Object.hasOwn(at, key)) return ABSENT;
    at = at[key];
  }
  return at;
}

/** Sets the field at `path`, creating the objects on the way (e.g. a `properties` the packet did not have). */
function setAt(value: unknown, path: Path, to: unknown): void {
  let at = value as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (!isContainer(at[key])) at[key] = {};
    at = at[key] as Record<string | number, unknown>;
  }
  at[path[path.length - 1]] = to;
}

/** Fields a packet may not have (at its level, or at all), to add rather than change. */
const EXTRA_FIELDS: readonly Path[] = [
  ...[
    'reasonCode',
    'reasonCodes',
    'properties',
    'packetId',
    'sessionPresent',
    'dup',
    'retain',
    'qos',
    'topic',
    'payload',
    'will',
    'username',
    'password',
    'clientId',
    'clean',
    'keepAlive',
    'subscriptions',
    'topicFilters',
  ].map((f) => [f]),
  ...[
    'payloadFormatIndicator',
    'messageExpiryInterval',
    'contentType',
    'responseTopic',
    'correlationData',
    'subscriptionIdentifiers',
    'subscriptionIdentifier',
    'sessionExpiryInterval',
    'assignedClientIdentifier',
    'serverKeepAlive',
    'authenticationMethod',
    'authenticationData',
    'requestProblemInformation',
    'willDelayInterval',
    'requestResponseInformation',
    'responseInformation',
    'serverReference',
    'reasonString',
    'receiveMaximum',
    'topicAliasMaximum',
    'topicAlias',
    'maximumQoS',
    'retainAvailable',
    'userProperties',
    'maximumPacketSize',
    'wildcardSubscriptionAvailable',
    'subscriptionIdentifiersAvailable',
    'sharedSubscriptionAvailable',
    'noSuchProperty',
  ].map((f) => ['properties', f]),
];

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return isDeepStrictEqual(a, b);
}

function show(x: unknown): string {
  if (x instanceof Uint8Array) return `Uint8Array(${hex(x)})`;
  if (typeof x === 'number' && Object.is(x, -0)) return '-0';
  if (typeof x === 'string') return JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}...` : x);
  if (typeof x === 'number' || x === undefined || typeof x === 'boolean' || x === null) return String(x);
  return JSON.stringify(x);
}

/** What is wrong with encoding `packet` (one field set to an odd value): [kind, detail], if anything. */
function encodeProblem(packet: Packet, v: ProtocolVersion, path: Path, value: unknown): [string, string] | undefined {
  let bytes: Uint8Array;
  try {
    bytes = encode(packet, v);
  } catch (err) {
    if (err instanceof InvalidArgumentError) return undefined;
    return ['encode threw something other than InvalidArgumentError', describeError(err).split('\n')[0]];
  }
  let decoded: Packet;
  try {
    decoded = decode(bytes, v);
  } catch (err) {
    return ['encode wrote bytes its own decoder refuses', `${hex(bytes)}: ${err instanceof Error ? err.message : String(err)}`];
  }
  // The encoder writes the level it is given, whatever the packet says; undefined (and null) read as absent.
  if (path[0] === 'protocolVersion' || value === undefined || value === null) return undefined;
  const written = getAt(decoded, path);
  // A field the wire has no room for at this level (or a value that means "absent") is dropped by design.
  if (written === ABSENT) return undefined;
  if (!sameValue(written, value)) return ['encode silently wrote another value', `${show(written)} for ${show(value)} (${hex(bytes)})`];
  return undefined;
}

describe('encoder fuzz', () => {
  it('a packet with one odd field is refused with InvalidArgumentError or encodes exactly that value', () => {
    const started = performance.now();
    const erand = prng(SEED ^ 0x5bd1e995);
    const problems = new Map<string, string[]>();
    let checked = 0;
    for (const v of VERSIONS) {
      const packets = fc.sample(packetArb(v, { largePayloads: false }), { seed: (SEED + 17 * v) | 0, numRuns: ENCODE_PACKETS });
      for (const original of packets) {
        const paths = fieldPaths(original);
        for (let k = 0; k < 8; k++) {
          // Mostly change a field the packet has; sometimes add one it does not have.
          const path =
            paths.length === 0 || erand() < 0.25
              ? EXTRA_FIELDS[Math.floor(erand() * EXTRA_FIELDS.length)]
              : paths[Math.floor(erand() * paths.length)];
          const value = ODD_VALUES[Math.floor(erand() * ODD_VALUES.length)];
          const packet = structuredClone(original);
          setAt(packet, path, value);
          checked++;
          const problem = encodeProblem(packet, v, path, value);
          if (problem === undefined) continue;
          // One entry per kind of problem and field, with up to three examples.
          const key = `${problem[0]} @ ${original.type} v${v} ${path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.')}`;
          const examples = problems.get(key) ?? [];
          if (examples.length < 3) examples.push(`= ${show(value)}: ${problem[1]}`);
          problems.set(key, examples);
        }
      }
    }
    console.log(
      `encoder fuzz: ${checked} packets with an odd field checked in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${SEED})`,
    );
    expect([...problems].map(([key, examples]) => `${key}: ${examples.join('; ')}`).sort(), `seed ${SEED}`).toEqual([]);
  }, 60_000);

  // Cases the encoder fuzz found, pinned so they fail deterministically: each must be an InvalidArgumentError.
  it.each([
    ['CONNACK 3.1.1 return code -1 (written as 0xff)', { type: 'connack', sessionPresent: false, reasonCode: -1 }, 4],
    ['CONNACK 3.1 return code 2.5 (written as 0x02)', { type: 'connack', sessionPresent: false, reasonCode: 2.5 }, 3],
    ['SUBACK 3.1.1 return code -1 (written as 0xff)', { type: 'suback', packetId: 1, reasonCodes: [-1] }, 4],
    ['CONNACK 5 reason code -256 (written as 0x00 Success)', { type: 'connack', sessionPresent: false, reasonCode: -256 }, 5],
    ['PUBACK 5 reason code 16.5 (written as 0x10)', { type: 'puback', packetId: 1, reasonCode: 16.5 }, 5],
    ['PUBACK 5 reason code "16", a string (written as 0x10)', { type: 'puback', packetId: 1, reasonCode: '16' }, 5],
    ['SUBACK 5 reason code 1.5 (written as 0x01)', { type: 'suback', packetId: 1, reasonCodes: [1.5] }, 5],
    ['DISCONNECT 5 reason code -256 (written as 0x00)', { type: 'disconnect', reasonCode: -256 }, 5],
    ['UNSUBACK 3.1.1 reasonCodes "x", not an array (TypeError)', { type: 'unsuback', packetId: 1, reasonCodes: 'x' }, 4],
  ] as const)('refuses %s', (_name, packet, v) => {
    let thrown: unknown;
    let bytes: Uint8Array | undefined;
    try {
      bytes = encode(packet as unknown as Packet, v);
    } catch (err) {
      thrown = err;
    }
    expect(bytes === undefined ? undefined : hex(bytes), 'encoded instead of refusing').toBeUndefined();
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
  });
});

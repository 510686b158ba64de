/**
 * Property tests of the codec against itself: decode(encode(p)) is p, the
 * three encoders agree, and the streaming Decoder gives the same packets for
 * every way of cutting the byte stream into chunks, without copying the
 * payloads of packets that arrived whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder, decode, encode, encodedSize, encodeInto } from '../../src/codec/index.js';
import type { Packet, ProtocolVersion } from '../../src/codec/types.js';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  ALL_PACKET_TYPES,
  capPropertyTime,
  expectSame,
  packetArb,
  packetArbFor,
  packetStreamArb,
  packetTypesFor,
} from '../helpers/arbitraries.js';
import { concat, hex } from '../helpers/bytes.js';

capPropertyTime();

const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5];

/** Feeds `chunks` one at a time through `push` and returns every packet. */
function decodeChunks(v: ProtocolVersion, chunks: readonly Uint8Array[]): Packet[] {
  const d = new Decoder({ protocolVersion: v });
  const out: Packet[] = [];
  for (const c of chunks) out.push(...d.push(c));
  expect(d.bufferedBytes).toBe(0);
  return out;
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, may include 0 and the end). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set([0, ...cuts, bytes.length])].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i + 1 < points.length; i++) chunks.push(bytes.subarray(points[i], points[i + 1]));
  return chunks;
}

describe.each(VERSIONS)('codec round trip, protocol level %i', (v) => {
  describe.each(packetTypesFor(v))('%s', (type) => {
    it('decode(encode(p)) deep-equals p, and encodedSize/encodeInto agree with encode', () => {
      fc.assert(
        fc.property(packetArbFor(type, v), fc.nat(16), fc.nat(8), (p, offset, slack) => {
          const bytes = encode(p, v);
          expectSame(decode(bytes, v), p, () => hex(bytes));
          expect(encodedSize(p, v)).toBe(bytes.length);
          expect(bytes[0] >> 4).toBe(ALL_PACKET_TYPES.indexOf(type) + 1);

          // encodeInto at an offset writes the same bytes there and nothing elsewhere.
          const target = new Uint8Array(offset + bytes.length + slack).fill(0xa5);
          expect(encodeInto(p, v, target, offset)).toBe(offset + bytes.length);
          expectSame(target.subarray(offset, offset + bytes.length), bytes);
          expect(target.subarray(0, offset).every((b) => b === 0xa5)).toBe(true);
          expect(target.subarray(offset + bytes.length).every((b) => b === 0xa5)).toBe(true);

          // One byte short (at the end, or by a later offset): -1, and nothing written.
          const small = new Uint8Array(offset + bytes.length - 1).fill(0x5a);
          expect(encodeInto(p, v, small, offset)).toBe(-1);
          expect(small.every((b) => b === 0x5a)).toBe(true);
          const exact = new Uint8Array(offset + bytes.length).fill(0x5a);
          expect(encodeInto(p, v, exact, offset + 1)).toBe(-1);
          expect(exact.every((b) => b === 0x5a)).toBe(true);
        }),
        { numRuns: type === 'pingreq' || type === 'pingresp' ? 5 : 300 },
      );
    });
  });

  it('decode(encode(p)) deep-equals p for any packet (mixed types)', () => {
    fc.assert(
      fc.property(packetArb(v), (p) => {
        const bytes = encode(p, v);
        expectSame(decode(bytes, v), p, () => hex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('a fixed stream decodes to the same packets when split at every single point, and one byte at a time', () => {
    // One packet of every type, generated from a fixed seed; small payloads keep the stream short.
    const packets = packetTypesFor(v).map((t) => fc.sample(packetArbFor(t, v, { largePayloads: false }), { seed: 42 + v, numRuns: 1 })[0]);
    const stream = concat(packets.map((p) => encode(p, v)));
    expectSame(decodeChunks(v, [stream]), packets);
    for (let i = 0; i <= stream.length; i++) {
      expectSame(decodeChunks(v, split(stream, [i])), packets, () => `split at ${i}`);
    }
    // Every pair of split points, on a short stream of small packets (quadratic, so kept under ~200 bytes).
    const small = fc
      .sample(packetArb(v, { largePayloads: false }), { seed: 7 + v, numRuns: 500 })
      .filter((p) => encodedSize(p, v) <= 40)
      .slice(0, 6);
    const prefix = concat(small.map((p) => encode(p, v)));
    expect(prefix.length).toBeLessThanOrEqual(240);
    for (let i = 0; i <= prefix.length; i++) {
      for (let j = i; j <= prefix.length; j++) {
        expectSame(decodeChunks(v, split(prefix, [i, j])), small, () => `split at ${i}, ${j}`);
      }
    }
    const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    expectSame(decodeChunks(v, bytes), packets);
    // The same one byte at a time, through feed()/next() instead of push().
    const d = new Decoder({ protocolVersion: v });
    const out: Packet[] = [];
    for (const b of bytes) {
      d.feed(b);
      for (let p = d.next(); p !== undefined; p = d.next()) out.push(p);
    }
    expectSame(out, packets);
    expect(d.next()).toBeUndefined();
    expect(d.bufferedBytes).toBe(0);
  });

  it('random packet streams decode to the same packets at random split points', () => {
    fc.assert(
      fc.property(
        packetStreamArb(v, { largePayloads: false }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        (packets, fractions) => {
          const stream = concat(packets.map((p) => encode(p, v)));
          const cuts = fractions.map((f) => Math.floor(f * stream.length));
          expectSame(decodeChunks(v, split(stream, cuts)), packets, () => `stream ${hex(stream)} cut at ${cuts}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random packet streams including large packets decode the same in small random chunks', () => {
    fc.assert(
      fc.property(packetStreamArb(v, { maxLength: 4 }), fc.integer({ min: 1, max: 4096 }), fc.integer(), (packets, maxChunk, seed) => {
        const stream = concat(packets.map((p) => encode(p, v)));
        const chunks: Uint8Array[] = [];
        let state = seed >>> 0;
        for (let at = 0; at < stream.length; ) {
          state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
          const n = 1 + (state % maxChunk);
          chunks.push(stream.subarray(at, at + n));
          at += n;
        }
        expectSame(decodeChunks(v, chunks), packets);
      }),
      { numRuns: 100 },
    );
  });

  it('payloads of packets decoded from a single chunk are views into that chunk (zero-copy)', () => {
    fc.assert(
      fc.property(packetStreamArb(v, { maxLength: 6 }), (packets) => {
        const encoded = packets.map((p) => encode(p, v));
        const stream = concat(encoded);
        const decoded = new Decoder({ protocolVersion: v }).push(stream);
        expectSame(decoded, packets);
        let end = 0;
        for (let i = 0; i < decoded.length; i++) {
          end += encoded[i].length;
          const p = decoded[i];
          const views: Uint8Array[] = [];
          if (p.type === 'publish') {
            views.push(p.payload);
            // The payload is the packet's last field: it ends where the packet ends.
            expect(p.payload.byteOffset + p.payload.length).toBe(stream.byteOffset + end);
          }
          if (p.type === 'connect') {
            if (p.will) views.push(p.will.payload);
            if (p.password) views.push(p.password);
          }
          if (p.type === 'publish' && p.properties?.correlationData) views.push(p.properties.correlationData);
          for (const view of views) {
            expect(view.buffer).toBe(stream.buffer);
            expect(view.byteOffset).toBeGreaterThanOrEqual(end - encoded[i].length);
            expect(view.byteOffset + view.length).toBeLessThanOrEqual(end);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeInto with an offset that is not a position', () => {
  // A negative offset wrote part of a packet before the target's start and returned success;
  // a fractional or NaN offset wrote nothing and returned a fractional or NaN "next offset".
  it.each([-1, -3, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses offset %s (InvalidArgumentError, or -1), writing nothing',
    (offset) => {
      const target = new Uint8Array(16).fill(0xaa);
      let result: unknown;
      let thrown: unknown;
      try {
        result = encodeInto({ type: 'puback', packetId: 7 }, 4, target, offset);
      } catch (err) {
        thrown = err;
      }
      expect(
        target.every((b) => b === 0xaa),
        'bytes were written',
      ).toBe(true);
      if (thrown === undefined) expect(result, 'returned instead of refusing').toBe(-1);
      else expect(thrown).toBeInstanceOf(InvalidArgumentError);
    },
  );
});

describe('the Decoder follows the level a CONNECT names', () => {
  it('decodes the packets after a CONNECT at its level, whatever level the Decoder started at', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ProtocolVersion>(3, 4, 5),
        fc.constantFrom<ProtocolVersion>(3, 4, 5),
        fc.integer({ min: 1, max: 64 }),
        fc.context(),
        (v, start, chunkSize, ctx) => {
          const [connect] = fc.sample(packetArbFor('connect', v, { largePayloads: false }), { numRuns: 1, seed: chunkSize * 7 + v });
          const rest = fc.sample(packetStreamArb(v, { largePayloads: false, maxLength: 5 }), {
            numRuns: 1,
            seed: chunkSize * 13 + start,
          })[0];
          const packets = [connect, ...rest];
          ctx.log(JSON.stringify(packets.map((p) => p.type)));
          const stream = concat(packets.map((p) => encode(p, v)));
          const chunks: Uint8Array[] = [];
          for (let at = 0; at < stream.length; at += chunkSize) chunks.push(stream.subarray(at, at + chunkSize));
          const d = new Decoder({ protocolVersion: start });
          const out: Packet[] = [];
          for (const c of chunks) out.push(...d.push(c));
          expectSame(out, packets);
          expect(d.protocolVersion).toBe(v);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('length boundaries', () => {
  it.each(VERSIONS)('PUBLISH round-trips with a Remaining Length at each Variable Byte Integer boundary (level %i)', (v) => {
    for (const remaining of [0x7f, 0x80, 0x3fff, 0x4000, 0x1f_ffff, 0x20_0000]) {
      // Topic "a" (3 bytes), QoS 0, and on MQTT 5 an empty property length (1 byte).
      const payload = new Uint8Array(remaining - 3 - (v === 5 ? 1 : 0)).fill(0x61);
      const p = { type: 'publish' as const, topic: 'a', payload, qos: 0 as const, retain: false, dup: false };
      const bytes = encode(p, v);
      const headerSize = 1 + (remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x20_0000 ? 3 : 4);
      expect(bytes.length).toBe(headerSize + remaining);
      expect(encodedSize(p, v)).toBe(bytes.length);
      // Deep equality on megabytes is slow in vitest: compare the payload bytes on their own.
      const { payload: decodedPayload, ...decoded } = decode(bytes, v) as typeof p;
      const { payload: _, ...expected } = p;
      expectSame(decoded, expected);
      expect(Buffer.compare(decodedPayload, payload)).toBe(0);
    }
  });

  it.each(VERSIONS)('strings and binary data of exactly 65535 bytes round-trip, and 65536 are refused (level %i)', (v) => {
    const topic = `${'é'.repeat(32_766)}abc`; // 65,532 + 3 = 65,535 bytes
    const p: Packet = { type: 'publish', topic, payload: new Uint8Array(3), qos: 1, retain: true, dup: false, packetId: 65_535 };
    expectSame(decode(encode(p, v), v), p);
    expect(() => encode({ ...p, topic: `${topic}d` }, v)).toThrow(InvalidArgumentError);
    const will = { topic: 'w', payload: new Uint8Array(65_535).fill(7), qos: 2 as const, retain: false };
    const c: Packet = { type: 'connect', protocolVersion: v, clientId: 'c', clean: true, keepAlive: 60, will };
    expectSame(decode(encode(c, v), v), c);
    expect(() => encode({ ...c, will: { ...will, payload: new Uint8Array(65_536) } }, v)).toThrow(InvalidArgumentError);
  });
});

describe('a reused receive buffer', () => {
  it.each(VERSIONS)('decodes each packet written into the same buffer to that packet, no stale strings (level %i)', (v) => {
    // Transports may hand over the same buffer again, with new bytes, once a packet was consumed.
    // Thousands of distinct same-length topics at the same offset make any string reuse keyed on
    // bytes that can change (a view instead of a copy) collide and show.
    const scratch = new Uint8Array(64);
    let state = 12_345;
    for (let i = 0; i < 8000; i++) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      const n = (state >>> 8) % 10_000;
      const p: Packet = {
        type: 'publish',
        topic: `t/${n.toString().padStart(4, '0')}${i % 3 === 0 ? 'é' : 'x'}`,
        payload: new Uint8Array(0),
        qos: 0,
        retain: false,
        dup: false,
      };
      const bytes = encode(p, v);
      scratch.set(bytes);
      const decoded = decode(scratch.subarray(0, bytes.length), v);
      if (decoded.type !== 'publish' || decoded.topic !== p.topic) {
        expect.fail(
          `packet ${i}: decoded topic ${JSON.stringify(decoded.type === 'publish' ? decoded.topic : decoded.type)}, sent ${JSON.stringify(p.topic)}`,
        );
      }
    }
  });
});

describe('decode() of one whole packet', () => {
  it('returns a payload that is a view of the input, and refuses trailing or missing bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ProtocolVersion>(3, 4, 5).chain((v) => packetArbFor('publish', v).map((p) => [v, p] as const)),
        ([v, packet]) => {
          const bytes = encode(packet, v);
          const decoded = decode(bytes, v);
          expect(decoded.type === 'publish' && decoded.payload.buffer === bytes.buffer).toBe(true);
          expect(() => decode(concat([bytes, new Uint8Array([0xc0, 0x00])]), v)).toThrow(/after the packet/);
          expect(() => decode(bytes.subarray(0, bytes.length - 1), v)).toThrow(/truncated/);
        },
      ),
      { numRuns: 100 },
    );
  });
});

/**
 * A streaming decoder: bytes in, whole packets out, for any chunking.
 *
 * Design: chunks are queued, not concatenated. A packet that lies inside one
 * chunk is decoded in place (its payload is a view of that chunk, no copy); only
 * a packet that spans chunks is copied, once, into a buffer of its own size.
 * The Maximum Packet Size is checked as soon as the fixed header is read, so an
 * oversized packet is refused before its body is buffered. Once a packet is
 * malformed the stream cannot be trusted: every later call throws the same error.
 */
import { MalformedPacketError } from '../errors.js';
import { expectFlags } from './packets/common.js';
import { decodeConnack } from './packets/connack.js';
import { decodeConnect } from './packets/connect.js';
import { decodeReasonOnly } from './packets/disconnect.js';
import { decodePubAck } from './packets/pub-ack.js';
import { decodePublish } from './packets/publish.js';
import { decodeSuback } from './packets/suback.js';
import { decodeSubscribe } from './packets/subscribe.js';
import { decodeUnsubscribe } from './packets/unsubscribe.js';
import type { Packet, ProtocolVersion } from './types.js';
import { Reader } from './wire.js';

/**
 * The largest packet MQTT can frame, in bytes: 1 type byte, 4 length bytes, 268,435,455 body bytes.
 *
 * @example
 * ```ts
 * const decoder = new Decoder({ maximumPacketSize: Math.min(MAX_PACKET_SIZE, 1024 * 1024) });
 * ```
 */
export const MAX_PACKET_SIZE = 268_435_460;

/** Options of a {@link Decoder}. */
export interface DecoderOptions {
  /** Protocol level of the connection (default 5). Decoding a CONNECT switches to the level it names. */
  protocolVersion?: ProtocolVersion;
  /** Refuse packets larger than this many bytes, fixed header included (default: no limit beyond MQTT's). */
  maximumPacketSize?: number;
}

const reader = new Reader();

/** Decodes the packet body at `buf[start, end)`; `type` and `flags` come from the fixed header's first byte. */
function decodeBody(byte0: number, buf: Uint8Array, start: number, end: number, v: ProtocolVersion): Packet {
  const r = reader.reset(buf, start, end);
  const flags = byte0 & 0x0f;
  switch (byte0 >> 4) {
    case 3:
      return decodePublish(r, flags, v);
    case 4:
      return decodePubAck(r, 'puback', flags, v);
    case 5:
      return decodePubAck(r, 'pubrec', flags, v);
    case 6:
      return decodePubAck(r, 'pubrel', flags, v);
    case 7:
      return decodePubAck(r, 'pubcomp', flags, v);
    case 12:
    case 13: {
      const type = byte0 >> 4 === 12 ? 'pingreq' : 'pingresp';
      expectFlags(r, flags, 0, type);
      r.done(type);
      return { type };
    }
    case 1:
      return decodeConnect(r, flags);
    case 2:
      return decodeConnack(r, flags, v);
    case 8:
      return decodeSubscribe(r, flags, v);
    case 9:
      return decodeSuback(r, 'suback', flags, v);
    case 10:
      return decodeUnsubscribe(r, flags, v);
    case 11:
      return decodeSuback(r, 'unsuback', flags, v);
    case 14:
      return decodeReasonOnly(r, 'disconnect', flags, v);
    case 15:
      if (v !== 5) r.fail('type', `packet type 15 (AUTH) is reserved before MQTT 5`);
      return decodeReasonOnly(r, 'auth', flags, v);
    default:
      return r.fail('type', 'packet type 0 is reserved');
  }
}

/**
 * A streaming MQTT decoder: bytes in, whole packets out. Chunks may split packets anywhere or hold many at once;
 * a packet's body is read in place where it lies in one chunk (payloads are views into the bytes fed, not
 * copies). A packet larger than `maximumPacketSize` is refused from its header alone, before its body is
 * buffered.
 *
 * After a {@link MalformedPacketError} the decoder is broken for good (the stream cannot be resynchronised):
 * every later call throws the same error. Close the connection, with the error's `reasonCode` in an MQTT 5
 * DISCONNECT.
 *
 * @example
 * ```ts
 * const decoder = new Decoder({ protocolVersion: 4, maximumPacketSize: 64 * 1024 });
 * socket.on('data', (chunk: Uint8Array) => {
 *   for (const packet of decoder.push(chunk)) {
 *     if (packet.type === 'publish') console.log(packet.topic, packet.payload.length);
 *   }
 * });
 * ```
 */
export class Decoder {
  /** Protocol level used for the packets that follow. */
  protocolVersion: ProtocolVersion;
  /** Packets larger than this (fixed header included) are refused with reason 0x95. */
  maximumPacketSize: number;

  private chunks: Uint8Array[] = [];
  /** Index in `chunks` of the chunk being read, and the read position inside it. */
  private head = 0;
  private offset = 0;
  private available = 0;
  private failure: MalformedPacketError | undefined;

  /** Makes a decoder; nothing is buffered until {@link Decoder.feed} or {@link Decoder.push}. */
  constructor(options: DecoderOptions = {}) {
    this.protocolVersion = options.protocolVersion ?? 5;
    this.maximumPacketSize = options.maximumPacketSize ?? MAX_PACKET_SIZE;
  }

  /** Bytes received but not yet returned as packets. */
  get bufferedBytes(): number {
    return this.available;
  }

  /** Queues received bytes. The decoder keeps a reference; do not modify `chunk` afterwards. */
  feed(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /**
   * The next whole packet, or `undefined` until more bytes arrive. Throws
   * {@link MalformedPacketError} (with its MQTT 5 reason code) for bad input.
   */
  next(): Packet | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.available < 2) return undefined;
    try {
      return this.read();
    } catch (err) {
      this.failure = err instanceof MalformedPacketError ? err : new MalformedPacketError(`undecodable packet: ${String(err)}`, 'packet');
      this.chunks = [];
      this.head = this.offset = this.available = 0;
      throw this.failure;
    }
  }

  /** Feeds `chunk` and returns every packet now complete. */
  push(chunk: Uint8Array): Packet[] {
    this.feed(chunk);
    const out: Packet[] = [];
    try {
      for (let p = this.next(); p !== undefined; p = this.next()) out.push(p);
    } catch (err) {
      // Hand over the good packets before the bad one; the error stays and is thrown by the next call.
      if (out.length === 0) throw err;
    }
    return out;
  }

  private byteAt(i: number): number {
    let idx = this.offset + i;
    for (let c = this.head; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      if (idx < chunk.length) return chunk[idx];
      idx -= chunk.length;
    }
    return -1;
  }

  private read(): Packet | undefined {
    const chunk = this.chunks[this.head];
    const start = this.offset;
    // Bytes readable in the head chunk; the fast path reads the header from it directly.
    const inHead = chunk.length - start;
    const byte0 = chunk[start];
    const type = byte0 >> 4;
    // Refuse a reserved type before waiting for a body that may never come.
    if (type === 0 || (type === 15 && this.protocolVersion !== 5)) {
      throw new MalformedPacketError(`type: packet type ${type} is reserved${type === 15 ? ' before MQTT 5' : ''}`, 'type');
    }
    let remaining = 0;
    let mul = 1;
    let headerSize = 1;
    for (;;) {
      if (headerSize >= this.available) return undefined;
      const b = headerSize < inHead ? chunk[start + headerSize] : this.byteAt(headerSize);
      headerSize++;
      remaining += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (b === 0 && headerSize > 2) throw new MalformedPacketError('remainingLength: not in its shortest form', 'remainingLength'); // [MQTT-1.5.5-1]
        break;
      }
      if (headerSize === 5) throw new MalformedPacketError('remainingLength: longer than 4 bytes', 'remainingLength');
      mul *= 128;
    }
    const total = headerSize + remaining;
    if (total > this.maximumPacketSize) {
      throw new MalformedPacketError(
        `packet: ${total} bytes exceed the maximum packet size of ${this.maximumPacketSize}`,
        'remainingLength',
        0x95,
      );
    }
    if (this.available < total) return undefined;
    this.available -= total;
    let packet: Packet;
    if (inHead >= total) {
      // The whole packet is in one chunk: decode it in place.
      this.offset = start + total;
      if (this.offset === chunk.length) this.dropHead();
      packet = decodeBody(byte0, chunk, start + headerSize, start + total, this.protocolVersion);
    } else {
      // It spans chunks: copy it once into a buffer of its own.
      const body = new Uint8Array(remaining);
      this.consume(headerSize, undefined);
      this.consume(remaining, body);
      packet = decodeBody(byte0, body, 0, remaining, this.protocolVersion);
    }
    if (packet.type === 'connect' && packet.protocolVersion !== undefined) this.protocolVersion = packet.protocolVersion;
    return packet;
  }

  /** Drops `n` queued bytes, copying them into `dest` when given. */
  private consume(n: number, dest: Uint8Array | undefined): void {
    let at = 0;
    while (n > 0) {
      const c = this.chunks[this.head];
      const take = Math.min(n, c.length - this.offset);
      if (dest !== undefined) dest.set(c.subarray(this.offset, this.offset + take), at);
      at += take;
      n -= take;
      this.offset += take;
      if (this.offset === c.length) this.dropHead();
    }
  }

  private dropHead(): void {
    this.offset = 0;
    if (++this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Decodes exactly one whole packet from `bytes` (nothing more, nothing less): for tests, captures and stored
 * packets. Throws {@link MalformedPacketError} when the bytes are truncated, malformed or followed by more bytes.
 * Use a {@link Decoder} for a stream.
 *
 * @example
 * ```ts
 * const packet = decode(new Uint8Array([0x20, 0x02, 0x00, 0x00]), 4);
 * if (packet.type === 'connack') console.log(packet.reasonCode); // 0
 * ```
 */
export function decode(bytes: Uint8Array, version: ProtocolVersion = 5): Packet {
  const d = new Decoder({ protocolVersion: version });
  d.feed(bytes);
  const packet = d.next();
  if (packet === undefined) throw new MalformedPacketError(`packet: truncated (${bytes.length} bytes)`, 'packet');
  if (d.bufferedBytes !== 0) throw new MalformedPacketError(`packet: ${d.bufferedBytes} bytes after the packet`, 'packet');
  return packet;
}

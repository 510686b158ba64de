/**
 * The primitives of the MQTT wire format (§1.5): integers, Variable Byte
 * Integers, length-prefixed strings and binary data, for reading and writing.
 *
 * Design: writers are plain functions `(buf, pos, value) -> newPos` so the hot
 * encode path allocates nothing but the output. Reading goes through one
 * {@link Reader} per packet body that throws {@link MalformedPacketError}
 * naming the field, so a truncated or malformed body never throws anything else.
 */
import { InvalidArgumentError, MalformedPacketError } from '../errors.js';
import { HAS_LONE_SURROGATE, HAS_NUL, readUtf8, scanFlags, scanUtf8, writeUtf8 } from './utf8.js';

/** The largest value a Variable Byte Integer holds (§1.5.5). */
export const MAX_VARINT = 268_435_455;

export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

export function writeU16(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = n >> 8;
  buf[pos + 1] = n;
  return pos + 2;
}

export function writeU32(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = n >>> 24;
  buf[pos + 1] = n >>> 16;
  buf[pos + 2] = n >>> 8;
  buf[pos + 3] = n;
  return pos + 4;
}

/** Writes a UTF-8 string with its two-byte length prefix (length backpatched, so no second scan). */
export function writeString(buf: Uint8Array, pos: number, s: string): number {
  const end = writeUtf8(buf, pos + 2, s);
  writeU16(buf, pos, end - pos - 2);
  return end;
}

export function writeBinary(buf: Uint8Array, pos: number, data: Uint8Array): number {
  pos = writeU16(buf, pos, data.length);
  buf.set(data, pos);
  return pos + data.length;
}

/** Throws the encoder's error for a field the caller got wrong. */
export function invalid(field: string, message: string, reasonCode?: number): never {
  throw new InvalidArgumentError(`${field}: ${message}`, field, reasonCode);
}

/** Size on the wire of a UTF-8 string field (prefix included); refuses what MQTT forbids. */
export function stringSize(s: unknown, field: string): number {
  if (typeof s !== 'string') invalid(field, `must be a string, got ${typeof s}`);
  const n = scanUtf8(s);
  if (scanFlags & (HAS_NUL | HAS_LONE_SURROGATE)) {
    invalid(field, scanFlags & HAS_NUL ? 'must not contain U+0000' : 'is not valid UTF-16 (lone surrogate)');
  }
  if (n > 65_535) invalid(field, `is ${n} bytes in UTF-8; at most 65535 fit`);
  return n + 2;
}

export function binarySize(data: unknown, field: string): number {
  if (!(data instanceof Uint8Array)) invalid(field, 'must be a Uint8Array');
  if (data.length > 65_535) invalid(field, `is ${data.length} bytes; at most 65535 fit`);
  return data.length + 2;
}

export function checkU16(n: unknown, field: string, min = 0, reasonCode?: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 65_535) {
    invalid(field, `must be an integer from ${min} to 65535, got ${String(n)}`, reasonCode);
  }
  return n;
}

export function checkU32(n: unknown, field: string, min = 0): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 0xffff_ffff) {
    invalid(field, `must be an integer from ${min} to 4294967295, got ${String(n)}`);
  }
  return n;
}

export function checkPacketId(id: unknown, field = 'packetId'): number {
  // [MQTT-2.2.1-3] a packet that needs an identifier needs a non-zero one.
  return checkU16(id, field, 1);
}

/** Reads one packet body. Every read checks bounds; a short body is a malformed packet. */
export class Reader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;

  /** Reads `buf[start, end)`; positions stay absolute in `buf`, so views of fields need no copy. */
  reset(buf: Uint8Array, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(field: string, message: string, reasonCode = 0x81): never {
    throw new MalformedPacketError(`${field}: ${message}`, field, reasonCode);
  }

  need(n: number, field: string): void {
    if (this.end - this.pos < n) this.fail(field, `truncated: needs ${n} more byte(s), ${this.end - this.pos} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p] << 8) | b[p + 1];
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** A Variable Byte Integer in its shortest form ([MQTT-1.5.5-1]). */
  varint(field: string): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8(field);
      value += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (b === 0 && i > 0) this.fail(field, 'Variable Byte Integer not in its shortest form');
        return value;
      }
      mul *= 128;
    }
    return this.fail(field, 'Variable Byte Integer longer than 4 bytes');
  }

  string(field: string): string {
    const len = this.u16(field);
    this.need(len, field);
    const start = this.pos;
    this.pos = start + len;
    const s = readUtf8(this.buf, start, this.pos);
    if (s === undefined) this.fail(field, 'not well-formed UTF-8 or contains U+0000');
    return s;
  }

  /** Binary data; a view into the packet, not a copy. */
  binary(field: string): Uint8Array {
    const len = this.u16(field);
    this.need(len, field);
    const start = this.pos;
    this.pos = start + len;
    return this.view(start, len);
  }

  /** The rest of the body; a view, not a copy. */
  rest(): Uint8Array {
    const out = this.view(this.pos, this.end - this.pos);
    this.pos = this.end;
    return out;
  }

  /** Always a plain Uint8Array (never the subclass Node hands in, whatever the input was), and cheaper than `subarray`. */
  private view(start: number, length: number): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, length);
  }

  /** Checks the body was used up exactly; `packet` names it in the error. */
  done(packet: string): void {
    if (this.pos !== this.end) this.fail(packet.toUpperCase(), `${this.end - this.pos} unexpected byte(s) after the packet's last field`);
  }
}

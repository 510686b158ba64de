/**
 * The file store's on-disk format: an 8-byte file header, then framed records.
 *
 *   header:  "MQKS" | format version (u8) | 3 reserved bytes
 *   record:  body length (u32 LE) | type (u8) | CRC-32 (u32 LE) | body
 *
 * The CRC covers the length, the type and the body, so a torn write (the
 * process killed inside write(), or the OS losing unsynced pages) shows up as
 * a record that does not check out; replay stops there and the caller
 * truncates the file to the last whole record. Each record replays one Store
 * operation, so replaying the log into a MemoryStore rebuilds exactly the
 * state the process had (order of outgoing entries and of the queue
 * included). PUBLISH bodies are the codec's MQTT 5 encoding of the packet:
 * compact, and it keeps every property.
 */
import * as zlib from 'node:zlib';
import { decode } from '../codec/decoder.js';
import { encode } from '../codec/encode.js';
import type { PublishPacket } from '../codec/types.js';
import type { MemoryStore } from './memory.js';

export const MAGIC = Buffer.from('MQKS', 'latin1');
export const FORMAT_VERSION = 1;
export const FILE_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 9;
/** The largest MQTT packet; a length above it can only be garbage. */
const MAX_BODY = 268_435_460;

/** One record per Store operation. Values are part of the file format: never renumber. */
export const RecordType = {
  /** putOutgoing, phase `publish`: the PUBLISH with its packet id. */
  outPublish: 1,
  /** putOutgoing, phase `pubrel` (u16 id): the entry's PUBLISH is the one recorded earlier. */
  outPubrel: 2,
  outDelete: 3,
  inAdd: 4,
  inDelete: 5,
  /** enqueue: a PUBLISH without packet id (QoS 1/2 carry a placeholder id 1 on disk). */
  queuePush: 6,
  /** requeue: as queuePush, to the front. */
  queueUnshift: 7,
  queueShift: 8,
  /** removeQueued (u32 position in the queue). */
  queueRemove: 9,
  clearSession: 10,
} as const;

export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

// ------------------------------------------------------------------ CRC-32

let table: Uint32Array | undefined;

function crc32Table(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function crc32Js(data: Uint8Array, initial: number): number {
  const t = crc32Table();
  let c = ~initial >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 (IEEE), continuing from `initial`: native zlib.crc32 where Node has it (20.15+), a table otherwise. */
export const crc32: (data: Uint8Array, initial?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (data: Uint8Array, initial?: number) => number }).crc32
    : (data, initial = 0) => crc32Js(data, initial);

// ------------------------------------------------------------------ writing

export function fileHeader(): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[4] = FORMAT_VERSION;
  return header;
}

/**
 * PUBLISH as stored: MQTT 5 encoding. A QoS 1/2 publish that has no id yet
 * (queued) gets the placeholder 1. Properties an MQTT 5 encoder refuses can
 * only come from a 3.1.1 client, which never sends them: stored without.
 */
function encodePublish(packet: PublishPacket, packetId: number | undefined): Uint8Array {
  const p = packet.packetId === packetId || packet.qos === 0 ? packet : { ...packet, packetId };
  try {
    return encode(p, 5);
  } catch (err) {
    if (p.properties === undefined) throw err;
    return encode({ ...p, properties: undefined }, 5);
  }
}

const INITIAL_BUFFER = 16 * 1024;

/** Records made but not yet written: one growable buffer, written with one syscall. */
export class RecordBuffer {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_BUFFER);
  length = 0;

  /** Drops what was written (and a buffer a burst grew large). */
  reset(): void {
    this.length = 0;
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(INITIAL_BUFFER);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  private reserve(n: number): number {
    const start = this.length;
    if (start + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(start + n, this.buf.length * 2));
      this.buf.copy(next, 0, 0, start);
      this.buf = next;
    }
    this.length = start + n;
    return start;
  }

  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.reserve(bytes.length));
  }

  /** Frames a record whose `bodyLength` body bytes the caller wrote after the header. */
  private seal(start: number, type: RecordTypeValue, bodyLength: number): void {
    const b = this.buf;
    b.writeUInt32LE(bodyLength, start);
    b[start + 4] = type;
    const crc = crc32(
      b.subarray(start + RECORD_HEADER_BYTES, start + RECORD_HEADER_BYTES + bodyLength),
      crc32(b.subarray(start, start + 5)),
    );
    b.writeUInt32LE(crc, start + 5);
  }

  publish(type: RecordTypeValue, packet: PublishPacket, packetId: number | undefined): void {
    const body = encodePublish(packet, packetId);
    const start = this.reserve(RECORD_HEADER_BYTES + body.length);
    this.buf.set(body, start + RECORD_HEADER_BYTES);
    this.seal(start, type, body.length);
  }

  id(type: RecordTypeValue, id: number): void {
    const start = this.reserve(RECORD_HEADER_BYTES + 2);
    this.buf.writeUInt16LE(id, start + RECORD_HEADER_BYTES);
    this.seal(start, type, 2);
  }

  index(type: RecordTypeValue, index: number): void {
    const start = this.reserve(RECORD_HEADER_BYTES + 4);
    this.buf.writeUInt32LE(index, start + RECORD_HEADER_BYTES);
    this.seal(start, type, 4);
  }

  empty(type: RecordTypeValue): void {
    this.seal(this.reserve(RECORD_HEADER_BYTES), type, 0);
  }

  /** The records that rebuild `state` from nothing, in an order that replays to the same order. */
  snapshot(state: MemoryStore): void {
    for (const entry of state.outgoing()) {
      this.publish(RecordType.outPublish, entry.packet, entry.packetId);
      if (entry.phase === 'pubrel') this.id(RecordType.outPubrel, entry.packetId);
    }
    for (const id of state.incoming()) this.id(RecordType.inAdd, id);
    for (const packet of state.queued()) this.publish(RecordType.queuePush, packet, 1);
  }
}

// ------------------------------------------------------------------ reading

export type HeaderCheck = 'ok' | 'empty' | 'foreign' | 'version';

/**
 * Whether `bytes` starts like a store file: `empty` for nothing or a header
 * that was never completed, `foreign` for a file that is not ours (left
 * alone), `version` for a format this code does not read.
 */
export function checkHeader(bytes: Uint8Array): HeaderCheck {
  for (let i = 0; i < MAGIC.length && i < bytes.length; i++) if (bytes[i] !== MAGIC[i]) return 'foreign';
  if (bytes.length < FILE_HEADER_BYTES) return 'empty';
  return bytes[4] === FORMAT_VERSION ? 'ok' : 'version';
}

export interface ReplayResult {
  /** Offset just past the last whole, valid record. */
  end: number;
  records: number;
}

/** Applies the records of `bytes` (a whole file, header checked) to `state`, stopping at the first bad one. */
export function replay(bytes: Buffer, state: MemoryStore): ReplayResult {
  let pos = FILE_HEADER_BYTES;
  let records = 0;
  while (pos + RECORD_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(pos);
    if (length > MAX_BODY || pos + RECORD_HEADER_BYTES + length > bytes.length) break;
    const bodyStart = pos + RECORD_HEADER_BYTES;
    const body = bytes.subarray(bodyStart, bodyStart + length);
    if (crc32(body, crc32(bytes.subarray(pos, pos + 5))) !== bytes.readUInt32LE(pos + 5)) break;
    if (!apply(bytes[pos + 4], body, state)) break;
    pos = bodyStart + length;
    records++;
  }
  return { end: pos, records };
}

/** Replays one record; false when it cannot be understood (nothing was changed then). */
function apply(type: number, body: Buffer, state: MemoryStore): boolean {
  switch (type) {
    case RecordType.outPublish: {
      const p = decodePublish(body);
      if (p === undefined || p.packetId === undefined) return false;
      state.putOutgoing({ packetId: p.packetId, phase: 'publish', packet: p });
      return true;
    }
    case RecordType.outPubrel: {
      const id = readId(body);
      if (id === 0) return false;
      const entry = state.getOutgoing(id);
      if (entry !== undefined) state.putOutgoing({ packetId: id, phase: 'pubrel', packet: entry.packet });
      return true;
    }
    case RecordType.outDelete:
    case RecordType.inAdd:
    case RecordType.inDelete: {
      const id = readId(body);
      if (id === 0) return false;
      if (type === RecordType.outDelete) state.deleteOutgoing(id);
      else if (type === RecordType.inAdd) state.addIncoming(id);
      else state.deleteIncoming(id);
      return true;
    }
    case RecordType.queuePush:
    case RecordType.queueUnshift: {
      const p = decodePublish(body);
      if (p === undefined) return false;
      delete p.packetId;
      if (type === RecordType.queuePush) state.enqueue(p);
      else state.requeue(p);
      return true;
    }
    case RecordType.queueShift:
      if (body.length !== 0) return false;
      state.dequeue();
      return true;
    case RecordType.queueRemove: {
      if (body.length !== 4) return false;
      const index = body.readUInt32LE(0);
      let i = 0;
      for (const p of state.queued()) {
        if (i++ !== index) continue;
        state.removeQueued(p);
        break;
      }
      return true;
    }
    case RecordType.clearSession:
      if (body.length !== 0) return false;
      state.clearSession();
      return true;
    default:
      return false;
  }
}

/** A packet id (1..65535) from a 2-byte body, or 0 when the body is not one. */
function readId(body: Buffer): number {
  return body.length === 2 ? body.readUInt16LE(0) : 0;
}

function decodePublish(body: Buffer): PublishPacket | undefined {
  try {
    // A copy per record, so a restored packet does not keep the whole file in memory.
    const packet = decode(new Uint8Array(body), 5);
    return packet.type === 'publish' ? packet : undefined;
  } catch {
    return undefined;
  }
}

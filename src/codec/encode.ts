/**
 * Packet objects to bytes: one sizing pass that also validates, then one
 * writing pass into a buffer of exactly that size.
 *
 * Design: the per-packet `measure*` functions check everything and leave what
 * the writer needs (property lengths) in module state, so `write*` must run
 * right after its `measure*`, which `encode` and `encodeInto` guarantee.
 * Nothing invalid ever reaches the writer, so nothing malformed reaches a socket.
 */

import { packetSize, writeHeader } from './packets/common.js';
import { measureConnack, writeConnack } from './packets/connack.js';
import { measureConnect, writeConnect } from './packets/connect.js';
import { measureReasonOnly, writeReasonOnly } from './packets/disconnect.js';
import { measurePubAck, writePubAck } from './packets/pub-ack.js';
import { measurePublish, writePublish } from './packets/publish.js';
import { measureSuback, writeSuback } from './packets/suback.js';
import { measureSubscribe, writeSubscribe } from './packets/subscribe.js';
import { measureUnsubscribe, writeUnsubscribe } from './packets/unsubscribe.js';
import type { Packet, ProtocolVersion } from './types.js';
import { invalid, MAX_VARINT } from './wire.js';

/** The body length (Remaining Length) of `packet`, after validating it. */
function measure(packet: Packet, v: ProtocolVersion): number {
  if (typeof packet !== 'object' || packet === null) invalid('packet', 'must be a packet object');
  if (v !== 5 && v !== 4 && v !== 3) invalid('version', `must be 3, 4 or 5, got ${String(v)}`);
  let remaining: number;
  switch (packet.type) {
    case 'publish':
      remaining = measurePublish(packet, v);
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      remaining = measurePubAck(packet, v);
      break;
    case 'pingreq':
    case 'pingresp':
      return 0;
    case 'connect':
      remaining = measureConnect(packet, v);
      break;
    case 'connack':
      remaining = measureConnack(packet, v);
      break;
    case 'subscribe':
      remaining = measureSubscribe(packet, v);
      break;
    case 'suback':
    case 'unsuback':
      remaining = measureSuback(packet, v);
      break;
    case 'unsubscribe':
      remaining = measureUnsubscribe(packet, v);
      break;
    case 'disconnect':
    case 'auth':
      remaining = measureReasonOnly(packet, v);
      break;
    default:
      return invalid('type', `"${String((packet as { type: unknown }).type)}" is not an MQTT packet type`);
  }
  if (remaining > MAX_VARINT) invalid('packet', `needs ${remaining} bytes after the fixed header; MQTT allows at most ${MAX_VARINT}`, 0x95);
  return remaining;
}

function write(packet: Packet, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  switch (packet.type) {
    case 'publish':
      return writePublish(packet, v, buf, pos, remaining);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return writePubAck(packet, v, buf, pos, remaining);
    case 'pingreq':
      return writeHeader(buf, pos, 0xc0, 0);
    case 'pingresp':
      return writeHeader(buf, pos, 0xd0, 0);
    case 'connect':
      return writeConnect(packet, v, buf, pos, remaining);
    case 'connack':
      return writeConnack(packet, v, buf, pos, remaining);
    case 'subscribe':
      return writeSubscribe(packet, v, buf, pos, remaining);
    case 'suback':
    case 'unsuback':
      return writeSuback(packet, v, buf, pos, remaining);
    case 'unsubscribe':
      return writeUnsubscribe(packet, v, buf, pos, remaining);
    case 'disconnect':
    case 'auth':
      return writeReasonOnly(packet, v, buf, pos, remaining);
  }
}

/** Slab for small packets: a view into a shared ArrayBuffer costs a fraction of a fresh one. */
const SLAB_SIZE = 32 * 1024;
const MAX_SLABBED = 1024;
let slab: ArrayBuffer | undefined;
let slabOffset = 0;

function allocate(size: number): Uint8Array {
  if (size > MAX_SLABBED) return new Uint8Array(size);
  if (slab === undefined || slabOffset + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
  }
  const view = new Uint8Array(slab, slabOffset, size);
  // Keep views 8-byte aligned; the writer fills every byte of its view.
  slabOffset = (slabOffset + size + 7) & ~7;
  return view;
}

/**
 * Encodes one packet for protocol level `version` (default MQTT 5.0).
 * Throws {@link InvalidArgumentError} naming the field for anything MQTT forbids.
 *
 * Packets up to 1 KiB are views into a shared 32 KiB slab (as Node's pooled
 * allocations do): use the view, not `.buffer`, which holds other packets too.
 *
 * @example
 * ```ts
 * const payload = new TextEncoder().encode('21.5');
 * const bytes = encode({ type: 'publish', topic: 'sensors/42/temp', payload, qos: 1, retain: false, dup: false, packetId: 7 }, 4);
 * socket.write(bytes);
 * ```
 */
export function encode(packet: Packet, version: ProtocolVersion = 5): Uint8Array {
  const remaining = measure(packet, version);
  const buf = allocate(packetSize(remaining));
  write(packet, version, buf, 0, remaining);
  return buf;
}

/**
 * The encoded size of `packet` in bytes, validating it as {@link encode} does (and throwing the same errors), without
 * allocating: for checking a packet against a Maximum Packet Size, or sizing a buffer for {@link encodeInto}.
 *
 * @example
 * ```ts
 * const size = encodedSize({ type: 'pingreq' }, 5); // 2
 * ```
 */
export function encodedSize(packet: Packet, version: ProtocolVersion = 5): number {
  return packetSize(measure(packet, version));
}

/**
 * Encodes `packet` into `target` at `offset` (to batch many packets into one
 * write). Returns the offset after it, or -1 with nothing written when it does
 * not fit. Validates as {@link encode} does.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(4096);
 * let end = 0;
 * for (const packet of packets) {
 *   const next = encodeInto(packet, 5, out, end);
 *   if (next === -1) break; // full: send out.subarray(0, end) and start again
 *   end = next;
 * }
 * ```
 */
export function encodeInto(packet: Packet, version: ProtocolVersion, target: Uint8Array, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0) invalid('offset', `must be a non-negative integer, got ${String(offset)}`);
  const remaining = measure(packet, version);
  if (offset + packetSize(remaining) > target.length) return -1;
  return write(packet, version, target, offset, remaining);
}

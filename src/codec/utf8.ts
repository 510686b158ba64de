/**
 * UTF-8 for MQTT strings without TextEncoder/TextDecoder call overhead on the
 * short strings (topics, client ids) that dominate traffic.
 *
 * Design: the encoder measures a string once ({@link scanUtf8}) and learns in
 * the same loop whether it holds what MQTT forbids (U+0000, a lone surrogate)
 * or what a topic name may not hold (`+`, `#`); the writer then trusts it.
 */

/** Bits of {@link scanFlags}, set by the last {@link scanUtf8} call. */
export const HAS_NUL = 1;
export const HAS_LONE_SURROGATE = 2;
export const HAS_WILDCARD = 4;

/** What the last {@link scanUtf8} found (module state: the codec is not re-entrant). */
export let scanFlags = 0;

/** The UTF-8 byte length of `s`; sets {@link scanFlags}. */
export function scanUtf8(s: string): number {
  let flags = 0;
  let bytes = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes += 1;
      if (c === 0) flags |= HAS_NUL;
      else if (c === 0x2b || c === 0x23) flags |= HAS_WILDCARD;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        flags |= HAS_LONE_SURROGATE;
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  scanFlags = flags;
  return bytes;
}

let encoder: TextEncoder | undefined;

/** Writes `s` (already checked by {@link scanUtf8}) at `pos`; returns the position after it. */
export function writeUtf8(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  if (n > 64) {
    encoder ??= new TextEncoder();
    return pos + encoder.encodeInto(s, buf.subarray(pos)).written;
  }
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      buf[pos++] = 0xf0 | (c >> 18);
      buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

let decoder: TextDecoder | undefined;

/**
 * Recently decoded short strings, by hash of their bytes. Topics repeat
 * (telemetry publishes to the same few names over and over), and comparing
 * bytes against a cached entry is cheaper than building a new string.
 */
const CACHE_SLOTS = 4096;
const CACHEABLE = 64;
const cacheBytes: (Uint8Array | undefined)[] = new Array(CACHE_SLOTS);
const cacheStrings: string[] = new Array(CACHE_SLOTS);

/**
 * Decodes `buf[start, end)` as UTF-8, or returns `undefined` when the bytes are
 * not well-formed UTF-8 or contain U+0000 ([MQTT-1.5.4-1], [MQTT-1.5.4-2]).
 */
export function readUtf8(buf: Uint8Array, start: number, end: number): string | undefined {
  const len = end - start;
  if (len > CACHEABLE) return readUtf8Slow(buf, start, end);
  let hash = 0x811c9dc5;
  let high = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === 0) return undefined;
    high |= b;
    hash = Math.imul(hash ^ b, 16_777_619);
  }
  // Mix the high bits down: topics differing only near their end must not share a slot.
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  const slot = (hash >>> 0) & (CACHE_SLOTS - 1);
  const cached = cacheBytes[slot];
  if (cached !== undefined && cached.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (cached[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cacheStrings[slot];
  }
  const s = high < 0x80 ? latin1(buf, start, end) : readUtf8Slow(buf, start, end);
  if (s !== undefined) {
    // A copy: `slice` of a Node socket chunk is a view, and receive buffers get reused.
    const copy = new Uint8Array(len);
    for (let i = 0; i < len; i++) copy[i] = buf[start + i];
    cacheBytes[slot] = copy;
    cacheStrings[slot] = s;
  }
  return s;
}

/** Bytes below 0x80 as a string (already known to be ASCII). */
function latin1(buf: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
}

function readUtf8Slow(buf: Uint8Array, start: number, end: number): string | undefined {
  decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let s: string;
  try {
    s = decoder.decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
  return s.includes('\0') ? undefined : s;
}

/**
 * The IndexedDB store's database: its schema, opening it (one tab at a time),
 * reading it back into a MemoryStore, and the errors all that can end in.
 *
 * Schema (database version 1), one object store per kind of state, so a
 * change is one put or delete and the database always holds the live state
 * (no log to compact):
 *
 *   outgoing  key packet id  value { seq, phase, packet }   seq orders the resends
 *   incoming  key packet id  value 1                         QoS 2 ids awaiting PUBREL
 *   queue     key position   value packet                   keys ascend front to back
 *   meta      'format'       'mqttkit-store/1'              tells our databases from others
 *
 * Packets are the codec's MQTT 5 encoding (as in the file store): compact,
 * every property kept, and checked on the way back in, so a database that
 * is not ours, or was damaged, is refused instead of half-loaded.
 */
import { decode } from '../codec/decoder.js';
import { encode } from '../codec/encode.js';
import type { PublishPacket } from '../codec/types.js';
import { type MqttkitError, StateError } from '../errors.js';
import type { OutgoingEntry } from './types.js';

export const DB_VERSION = 1;
export const OUTGOING = 'outgoing';
export const INCOMING = 'incoming';
export const QUEUE = 'queue';
const META = 'meta';
const FORMAT = 'mqttkit-store/1';
/** The object stores a write touches. */
export const WRITE_SCOPE = [OUTGOING, INCOMING, QUEUE];

export interface OutgoingRecord {
  /** Resend order: ascending; a phase change takes a new, higher one (PUBRELs resend in PUBREC order). */
  seq: number;
  phase: OutgoingEntry['phase'];
  packet: Uint8Array;
}

/** What a database held when it was opened. */
export interface Loaded {
  /** In resend order. */
  outgoing: { seq: number; entry: OutgoingEntry }[];
  incoming: number[];
  /** Front first. */
  queue: { key: number; packet: PublishPacket }[];
}

// ------------------------------------------------------------------ errors

export function storeError(name: string, code: string, detail: string, cause?: unknown, retryable = false): StateError {
  const why = cause === undefined ? '' : `: ${cause instanceof Error ? `${cause.name} ${cause.message}` : String(cause)}`;
  return new StateError(`store: IndexedDB database "${name}" ${detail}${why}`, code, { cause, retryable });
}

function corrupt(name: string, detail: string): StateError {
  return storeError(name, 'MQTTKIT_ERR_STORE_CORRUPT', `${detail}: not an mqttkit store (left untouched)`);
}

// ------------------------------------------------------------------ records

/**
 * A PUBLISH as stored: MQTT 5 encoding, a QoS 1/2 publish without an id
 * (queued) with the placeholder 1. The codec writes into a shared slab and
 * IndexedDB would store the whole slab behind a view: `slice` copies out
 * exactly the packet.
 */
export function packetBytes(packet: PublishPacket, packetId: number | undefined): Uint8Array {
  const p = packet.packetId === packetId || packet.qos === 0 ? packet : { ...packet, packetId };
  try {
    return encode(p, 5).slice();
  } catch (err) {
    // Properties an MQTT 5 encoder refuses can only come from a 3.1.1 client, which never sends them.
    if (p.properties === undefined) throw err;
    return encode({ ...p, properties: undefined }, 5).slice();
  }
}

/** A stored PUBLISH, or undefined for anything else. */
function packetFrom(value: unknown): PublishPacket | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    const packet = decode(value, 5);
    return packet.type === 'publish' ? packet : undefined;
  } catch {
    return undefined;
  }
}

const isPacketId = (key: unknown): key is number => Number.isInteger(key) && (key as number) >= 1 && (key as number) <= 65_535;

// ------------------------------------------------------------------ opening

/**
 * One tab (or worker) per store, through the Web Locks API where the page
 * has it (secure contexts): two pages writing one database would interleave
 * two sessions. Waits up to `timeoutMs` (a reloading page's lock goes with
 * its old document); resolves to the release function.
 */
export function lockStore(name: string, timeoutMs: number): Promise<() => void> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks === undefined) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    locks
      .request(`mqttkit-store:${name}`, { signal: controller.signal }, () => {
        clearTimeout(timer);
        return new Promise<void>((release) => resolve(release));
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        reject(
          controller.signal.aborted
            ? storeError(
                name,
                'MQTTKIT_ERR_STORE_LOCKED',
                `is open in another page or tab (or twice here); waited ${timeoutMs} ms`,
                undefined,
                true,
              )
            : storeError(name, 'MQTTKIT_ERR_STORE_UNAVAILABLE', 'could not be locked', err),
        );
      });
  });
}

/** Opens (creating on first use) the database; typed errors for every way that fails, within `timeoutMs`. */
export function openDatabase(name: string, timeoutMs: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) {
      reject(storeError(name, 'MQTTKIT_ERR_STORE_UNAVAILABLE', 'cannot be opened: no IndexedDB here'));
      return;
    }
    let settled = false;
    const fail = (error: MqttkitError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const blocked = (detail: string) =>
      storeError(name, 'MQTTKIT_ERR_STORE_BLOCKED', `is blocked by another connection (another tab?): ${detail}`, undefined, true);
    const timer = setTimeout(() => fail(blocked(`not open after ${timeoutMs} ms`)), timeoutMs);
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, DB_VERSION);
    } catch (err) {
      // SecurityError: an opaque origin (sandboxed frame, data: URL) or storage disabled.
      fail(storeError(name, 'MQTTKIT_ERR_STORE_UNAVAILABLE', 'cannot be opened', err));
      return;
    }
    request.onupgradeneeded = () => {
      // Given up on meanwhile: create nothing.
      if (settled) {
        request.transaction?.abort();
        return;
      }
      // oldVersion is 0 here: version 1 is the only format so far (a later one migrates from event.oldVersion).
      const db = request.result;
      for (const store of WRITE_SCOPE) db.createObjectStore(store);
      db.createObjectStore(META).put(FORMAT, 'format');
    };
    request.onblocked = () => fail(blocked('it holds an older version open'));
    request.onsuccess = () => {
      const db = request.result;
      if (settled) {
        db.close();
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(db);
    };
    request.onerror = (event) => {
      event.preventDefault();
      const error = request.error;
      fail(
        error?.name === 'VersionError'
          ? corrupt(name, `has a version above ${DB_VERSION} (or is a newer mqttkit's)`)
          : storeError(name, 'MQTTKIT_ERR_STORE_UNAVAILABLE', 'cannot be opened', error, true),
      );
    };
  });
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Reads the whole database (one read transaction); CORRUPT for anything that is not ours. */
export async function loadDatabase(db: IDBDatabase, name: string): Promise<Loaded> {
  const scope = [...WRITE_SCOPE, META];
  for (const store of scope) if (!db.objectStoreNames.contains(store)) throw corrupt(name, `has no "${store}" object store`);
  let raw: unknown[][];
  try {
    const tx = db.transaction(scope, 'readonly');
    const read = (store: string, method: 'getAll' | 'getAllKeys'): Promise<unknown[]> => requestResult(tx.objectStore(store)[method]());
    raw = await Promise.all([
      read(META, 'getAll'),
      read(OUTGOING, 'getAllKeys'),
      read(OUTGOING, 'getAll'),
      read(INCOMING, 'getAllKeys'),
      read(QUEUE, 'getAllKeys'),
      read(QUEUE, 'getAll'),
    ]);
  } catch (err) {
    throw storeError(name, 'MQTTKIT_ERR_STORE_IO', 'could not be read', err, true);
  }
  const [[format], outKeys, outValues, incoming, queueKeys, queueValues] = raw;
  if (format !== FORMAT) throw corrupt(name, `has format ${JSON.stringify(format)}`);
  const loaded: Loaded = { outgoing: [], incoming: [], queue: [] };
  const bad = (what: string, key: unknown) => corrupt(name, `holds a bad ${what} record (key ${String(key)})`);
  outKeys.forEach((id, i) => {
    const record = outValues[i] as Partial<OutgoingRecord> | undefined;
    const packet = packetFrom(record?.packet);
    const { seq, phase } = record ?? {};
    if (!isPacketId(id) || packet?.packetId !== id || typeof seq !== 'number' || (phase !== 'publish' && phase !== 'pubrel')) {
      throw bad(OUTGOING, id);
    }
    loaded.outgoing.push({ seq, entry: { packetId: id, phase, packet } });
  });
  loaded.outgoing.sort((a, b) => a.seq - b.seq);
  for (const id of incoming) {
    if (!isPacketId(id)) throw bad(INCOMING, id);
    loaded.incoming.push(id);
  }
  queueKeys.forEach((key, i) => {
    const packet = packetFrom(queueValues[i]);
    if (typeof key !== 'number' || packet === undefined) throw bad(QUEUE, key);
    delete packet.packetId;
    loaded.queue.push({ key, packet });
  });
  return loaded;
}

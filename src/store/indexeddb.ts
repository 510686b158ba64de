/**
 * IndexedDbStore (browsers): the session state of a MemoryStore, kept in an
 * IndexedDB database so a reloaded page finishes what the last one started.
 *
 *   const store = await IndexedDbStore.open('mqtt-session');
 *   const client = await connect(url, { clientId: 'dash-1', clean: false, store,
 *     properties: { sessionExpiryInterval: 3600 } });
 *
 * Design: the engine calls the Store methods synchronously, and IndexedDB
 * is asynchronous, so the store is a MemoryStore (loaded from the database
 * when it opens) whose mutators also note each change; the database writes
 * behind (indexeddb-db.ts has the schema). The changes of one tick go in one
 * readwrite transaction, started at the end of the tick or when the client
 * calls `commit()` before writing to the WebSocket, whichever comes first;
 * changes to the same record within a tick collapse into one write.
 *
 * Durability, exactly (docs/reliability.md, "IndexedDB store"):
 * - A change is *durable* once the IndexedDB transaction that carries it has
 *   completed; `await store.flush()` resolves when every change made before
 *   it is. The transaction starts at the end of the tick that made the change
 *   (or at the client's next WebSocket write, if sooner) and is asked to
 *   commit at once; a page that goes away (reload, navigation, closed tab)
 *   can abort one that has not completed.
 * - So a QoS 1/2 publish() survives a reload once it resolved, or once a
 *   `store.flush()` called after it resolved. Measured in Chromium: changes
 *   made before `location.reload()` (even in the same task) or before the tab
 *   closed were kept in every trial; changes made while the page unloads
 *   (acknowledgements handled during the navigation) can be lost.
 * - `commit()` returns a promise of its transaction, and the client holds
 *   each WebSocket write until it settles (write-ahead): no PUBREL leaves
 *   before the record of its phase, so a reload cannot turn it back into a
 *   PUBLISH (test/browser/indexeddb-reload.test.ts). An incoming QoS 2
 *   message handed to the application as the page goes can be handed over
 *   again after the reload (its id went with the page's last changes).
 *
 * `durability` picks IndexedDB's hint for these transactions: 'relaxed'
 * (default) completes once the browser holds the data, which survives
 * reloads, closed tabs and a browser crash; 'strict' completes only after the
 * disk flushed, which also survives an OS crash or power loss, at the cost of
 * one disk flush per transaction.
 *
 * One page or tab per store (a Web Lock where the page has the API); in one
 * page, one client per store. After a reload the same `clientId`, `clean:
 * false` and (MQTT 5) a Session Expiry Interval make the broker keep the
 * session, and the client resends what the store holds first
 * (src/engine/outbox.ts); with the session lost those messages are published
 * again as new ones.
 */
import type { PublishPacket } from '../codec/types.js';
import { InvalidArgumentError, type MqttkitError } from '../errors.js';
import {
  INCOMING,
  type Loaded,
  loadDatabase,
  lockStore,
  OUTGOING,
  type OutgoingRecord,
  openDatabase,
  packetBytes,
  QUEUE,
  storeError,
  WRITE_SCOPE,
} from './indexeddb-db.js';
import { MemoryStore } from './memory.js';
import { Ring } from './ring.js';
import type { OutgoingEntry, Store } from './types.js';

/** IndexedDB's durability hint for the store's transactions ('default' leaves it to the browser). */
export type IndexedDbDurability = 'relaxed' | 'strict' | 'default';

/** Counters of {@link IndexedDbStore.stats}. */
export interface IndexedDbStoreStats {
  /** IndexedDB transactions started since the store opened. */
  transactions: number;
  /** Of those, the ones that failed (each reported through `onError`). */
  failures: number;
}

/** Options of {@link IndexedDbStore.open}. */
export interface IndexedDbStoreOptions {
  /** Default 'relaxed': see the trade-off in the class documentation. */
  durability?: IndexedDbDurability;
  /** How long `open` waits for another page to release the store and for IndexedDB to open it (default 5000 ms). */
  openTimeout?: number;
  /**
   * Told when a write fails (quota exceeded, the database closed under the
   * page). The state stays in memory and the next write stores all of it
   * again; `flush()` rejects meanwhile. Default: `console.warn`.
   */
  onError?: (error: MqttkitError) => void;
}

/** What `open` found in the database. */
export interface IndexedDbStoreRestored {
  /** Outgoing QoS 1/2 publishes not yet acknowledged (including PUBRELs awaiting PUBCOMP). */
  outgoing: number;
  /** Incoming QoS 2 packet ids awaiting PUBREL. */
  incoming: number;
  /** Publishes in the offline queue. */
  queued: number;
}

interface Settings {
  durability: IndexedDbDurability;
  openTimeout: number;
  onError: (error: MqttkitError) => void;
}

function settings(options: IndexedDbStoreOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options: must be an object', 'options');
  const { durability = 'relaxed', openTimeout = 5000, onError = (e) => console.warn(e) } = options;
  const bad = (name: string, want: string, got: unknown) =>
    new InvalidArgumentError(`options.${name}: must be ${want}, got ${String(got)}`, `options.${name}`);
  if (durability !== 'relaxed' && durability !== 'strict' && durability !== 'default')
    throw bad('durability', "'relaxed', 'strict' or 'default'", durability);
  if (typeof openTimeout !== 'number' || !(openTimeout >= 0 && openTimeout < Number.POSITIVE_INFINITY))
    throw bad('openTimeout', 'milliseconds >= 0', openTimeout);
  if (typeof onError !== 'function') throw bad('onError', 'a function', onError);
  return { durability, openTimeout, onError };
}

/**
 * A MemoryStore whose changes are also written to IndexedDB: the engine's
 * synchronous calls are served from memory (the MemoryStore it extends), and
 * each mutator notes its change for the next transaction.
 */
export class IndexedDbStore extends MemoryStore implements Store {
  /** The IndexedDB database's name. */
  readonly name: string;
  /** What the last page left in the store when it was opened (the client resends it first). */
  readonly restored: IndexedDbStoreRestored;
  /** Resend order of each outgoing entry (see OutgoingRecord.seq). */
  private readonly seqs = new Map<number, number>();
  private lastSeq = 0;
  /** The database key of each queued publish, front first; new keys go below the front or above the back. */
  private readonly queueKeys = new Ring<number>();
  private frontKey = 0;
  private backKey = 1;

  // Changes not yet handed to a transaction; per key, the last one wins.
  private readonly outChanges = new Map<number, OutgoingRecord | undefined>();
  private readonly inChanges = new Map<number, boolean>();
  private readonly queueChanges = new Map<number, Uint8Array | undefined>();
  /** clearSession() since the last transaction: clear outgoing and incoming before the changes above. */
  private clearPending = false;
  /** A write failed: the database may lag behind memory, so the next transaction rewrites everything. */
  private rewritePending = false;
  private commitScheduled = false;

  /** Settles when the last transaction started settles (transactions on one scope complete in order). */
  private lastWrite: Promise<void> = Promise.resolve();
  private failure: MqttkitError | undefined;
  private failures = 0;
  private transactions = 0;
  private closed = false;

  private constructor(
    name: string,
    private readonly db: IDBDatabase,
    loaded: Loaded,
    private readonly settings: Settings,
    private readonly unlock: () => void,
  ) {
    super();
    this.name = name;
    // Straight into memory: these are what the database holds already.
    for (const { seq, entry } of loaded.outgoing) {
      super.putOutgoing(entry);
      this.seqs.set(entry.packetId, seq);
      this.lastSeq = seq;
    }
    for (const id of loaded.incoming) super.addIncoming(id);
    for (const { key, packet } of loaded.queue) {
      super.enqueue(packet);
      this.queueKeys.push(key);
    }
    if (loaded.queue.length > 0) {
      this.frontKey = loaded.queue[0].key - 1;
      this.backKey = loaded.queue[loaded.queue.length - 1].key + 1;
    }
    this.restored = { outgoing: this.outgoingCount, incoming: this.incomingCount, queued: this.queuedCount };
  }

  /**
   * Opens (or creates) the store in the IndexedDB database `name` and loads
   * what it holds. Rejects with a StateError: MQTTKIT_ERR_STORE_UNAVAILABLE
   * (no IndexedDB here, or the browser refused it), MQTTKIT_ERR_STORE_LOCKED
   * (another page or tab has it open), MQTTKIT_ERR_STORE_BLOCKED (IndexedDB
   * did not open it within `openTimeout`), MQTTKIT_ERR_STORE_CORRUPT (the
   * database is not an mqttkit store; it is left untouched).
   */
  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('name: must be a non-empty string', 'name');
    const s = settings(options);
    const unlock = await lockStore(name, s.openTimeout);
    let db: IDBDatabase | undefined;
    try {
      db = await openDatabase(name, s.openTimeout);
      return new IndexedDbStore(name, db, await loadDatabase(db, name), s, unlock);
    } catch (err) {
      db?.close();
      unlock();
      throw err;
    }
  }

  /** Transactions started and writes failed since open. */
  get stats(): IndexedDbStoreStats {
    return { transactions: this.transactions, failures: this.failures };
  }

  /** True once `close()` was called: changes then throw MQTTKIT_ERR_STORE_CLOSED. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- Store mutators

  override putOutgoing(entry: OutgoingEntry): void {
    this.writable();
    const id = entry.packetId;
    const prev = this.getOutgoing(id);
    // Encoded before the state changes: a packet the encoder refuses leaves both untouched.
    const packet = packetBytes(entry.packet, id);
    const seq = prev?.phase === entry.phase ? (this.seqs.get(id) as number) : ++this.lastSeq;
    super.putOutgoing(entry);
    this.seqs.set(id, seq);
    this.outChanges.set(id, { seq, phase: entry.phase, packet });
    this.changed();
  }

  override deleteOutgoing(packetId: number): void {
    if (this.getOutgoing(packetId) === undefined) return;
    this.writable();
    super.deleteOutgoing(packetId);
    this.seqs.delete(packetId);
    this.outChanges.set(packetId, undefined);
    this.changed();
  }

  override addIncoming(packetId: number): void {
    this.incomingChange(packetId, true);
  }

  override deleteIncoming(packetId: number): void {
    this.incomingChange(packetId, false);
  }

  override enqueue(packet: PublishPacket): void {
    this.queueChange(packet, this.backKey++, false);
  }

  override requeue(packet: PublishPacket): void {
    this.queueChange(packet, this.frontKey--, true);
  }

  override dequeue(): PublishPacket | undefined {
    if (this.queuedCount === 0) return undefined;
    this.writable();
    this.queueChanges.set(this.queueKeys.shift() as number, undefined);
    this.changed();
    return super.dequeue();
  }

  override removeQueued(packet: PublishPacket): boolean {
    let index = 0;
    for (const p of this.queued()) {
      if (p === packet) {
        this.writable();
        let i = 0;
        this.queueChanges.set(this.queueKeys.remove(() => i++ === index) as number, undefined);
        this.changed();
        return super.removeQueued(packet);
      }
      index++;
    }
    return false;
  }

  override clearSession(): void {
    if (this.outgoingCount === 0 && this.incomingCount === 0) return;
    this.writable();
    super.clearSession();
    this.seqs.clear();
    this.outChanges.clear();
    this.inChanges.clear();
    this.clearPending = true;
    this.changed();
  }

  private incomingChange(packetId: number, add: boolean): void {
    if (this.hasIncoming(packetId) === add) return;
    this.writable();
    if (add) super.addIncoming(packetId);
    else super.deleteIncoming(packetId);
    this.inChanges.set(packetId, add);
    this.changed();
  }

  private queueChange(packet: PublishPacket, key: number, front: boolean): void {
    this.writable();
    const bytes = packetBytes(packet, 1);
    if (front) {
      super.requeue(packet);
      this.queueKeys.unshift(key);
    } else {
      super.enqueue(packet);
      this.queueKeys.push(key);
    }
    this.queueChanges.set(key, bytes);
    this.changed();
  }

  // ---------------------------------------------------------------- durability
  /**
   * Starts the transaction that stores every change made so far (the client
   * calls this before each WebSocket write). The promise resolves once that
   * transaction completed, or failed (reported through `onError`); it never
   * rejects, so a host may wait for it before writing to the network.
   */
  commit(): Promise<void> {
    if (this.closed || !this.hasChanges()) return this.lastWrite;
    const rewrite = this.rewritePending;
    const failuresBefore = this.failures;
    let tx: IDBTransaction;
    try {
      tx = this.db.transaction(WRITE_SCOPE, 'readwrite', { durability: this.settings.durability });
      if (rewrite) this.writeEverything(tx);
      else this.writeChanges(tx);
      // Ask for the commit now rather than after the request callbacks came back: a round trip less before it is durable.
      tx.commit?.();
    } catch (err) {
      // The connection is gone (site data cleared, the browser dropped it) or a value could not be stored.
      this.forgetChanges();
      this.failed(err);
      return this.lastWrite;
    }
    this.forgetChanges();
    this.transactions++;
    const done = new Promise<void>((resolve) => {
      tx.oncomplete = () => {
        // Only a rewrite started after the last failure brings the database level with memory again.
        if (rewrite && this.failures === failuresBefore) this.failure = undefined;
        resolve();
      };
      tx.onabort = () => {
        this.failed(tx.error);
        resolve();
      };
    });
    this.lastWrite = done;
    return done;
  }

  /** Resolves once every change made so far is durable (its transaction completed); rejects while writes fail. */
  async flush(): Promise<void> {
    await this.commit();
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Stores what is pending, waits for it, closes the database and releases
   * the store for another page. The state stays readable; changing it throws
   * MQTTKIT_ERR_STORE_CLOSED. Rejects (after closing) if the last writes failed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const written = this.commit();
    this.closed = true;
    try {
      await written;
    } finally {
      this.db.close();
      this.unlock();
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private hasChanges(): boolean {
    return this.rewritePending || this.clearPending || this.outChanges.size > 0 || this.inChanges.size > 0 || this.queueChanges.size > 0;
  }

  private writeChanges(tx: IDBTransaction): void {
    const out = tx.objectStore(OUTGOING);
    const inc = tx.objectStore(INCOMING);
    const queue = tx.objectStore(QUEUE);
    // Requests of one transaction run in order: the clear goes before what was recorded after it.
    if (this.clearPending) {
      out.clear();
      inc.clear();
    }
    for (const [id, record] of this.outChanges) record === undefined ? out.delete(id) : out.put(record, id);
    for (const [id, present] of this.inChanges) present ? inc.put(1, id) : inc.delete(id);
    for (const [key, bytes] of this.queueChanges) bytes === undefined ? queue.delete(key) : queue.put(bytes, key);
  }

  /** The whole state, replacing what the database holds (after a failed write left it behind). */
  private writeEverything(tx: IDBTransaction): void {
    const out = tx.objectStore(OUTGOING);
    const inc = tx.objectStore(INCOMING);
    const queue = tx.objectStore(QUEUE);
    out.clear();
    inc.clear();
    queue.clear();
    for (const e of this.outgoing()) {
      out.put({ seq: this.seqs.get(e.packetId), phase: e.phase, packet: packetBytes(e.packet, e.packetId) }, e.packetId);
    }
    for (const id of this.incoming()) inc.put(1, id);
    const keys = this.queueKeys[Symbol.iterator]();
    for (const p of this.queued()) queue.put(packetBytes(p, 1), keys.next().value as number);
  }

  private forgetChanges(): void {
    this.outChanges.clear();
    this.inChanges.clear();
    this.queueChanges.clear();
    this.clearPending = false;
    this.rewritePending = false;
  }

  private failed(err: unknown): void {
    this.failures++;
    this.rewritePending = true;
    const first = this.failure === undefined;
    this.failure = storeError(this.name, 'MQTTKIT_ERR_STORE_IO', 'could not be written', err, true);
    if (first) this.settings.onError(this.failure);
  }

  private writable(): void {
    if (this.closed) {
      throw storeError(this.name, 'MQTTKIT_ERR_STORE_CLOSED', 'is closed; open it again for a new client');
    }
  }

  private changed(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    queueMicrotask(() => {
      this.commitScheduled = false;
      void this.commit();
    });
  }
}

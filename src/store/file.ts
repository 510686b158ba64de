/**
 * FileStore (Node): the session state of a MemoryStore, kept in an
 * append-only file so a restarted process finishes what the last one started.
 *
 *   const store = await FileStore.open('./mqtt-session.db');
 *   const client = await connect(url, { clientId: 'dev-1', clean: false, store });
 *   ...
 *   await client.end();
 *   await store.close();
 *
 * Design: every Store call changes the in-memory state and appends one small
 * record (file-format.ts) to a buffer; the buffer goes to the file with one
 * write per batch. Opening replays the records; a torn or corrupt tail (the
 * process killed mid-write) is dropped and cut off. When the file grows past
 * `compactRatio` times what the live state needs, the live state is written to
 * a new file that replaces the old one atomically (file-io.ts).
 *
 * Durability, exactly:
 * - A record is *written* (it survives the process dying: kill -9, a crash)
 *   once it reached the operating system: before the client writes any bytes
 *   to the network (the client calls {@link FileStore.commit} first, so the
 *   store is always ahead of the broker), at the end of the event-loop tick in
 *   which it was made, or when you call `commit()`.
 * - A record is *synced* (it survives an OS crash or power loss) after an
 *   fsync: under `fsync: 'always'` before `commit()` returns, under a number
 *   at most that many ms after it was written, under `'never'` whenever the OS
 *   writes back; `await store.flush()` syncs everything made so far, always.
 * - So a QoS 1/2 publish() survives kill -9 once publish() has returned and
 *   its tick has ended (or `commit()` ran); its promise settling is not needed.
 *   A publish() rejected at once (bad argument, queue full) made no record.
 *
 * fsync trade-off (`fsync` option): `'always'` costs one disk flush per network
 * write batch (milliseconds on SSDs, more on SD cards) and makes every packet
 * sent durable against power loss; a number (default 1000 ms) syncs in the
 * background, losing at most that window on power loss; `'never'` leaves it
 * to the OS (Linux: about 30 s). Process crashes lose nothing in all three.
 *
 * After a restart: `store.restored` tells what the last process left, and a
 * client built on the store resends it first (src/engine/outbox.ts); its
 * `inFlightCount` and `queuedCount` count it down. Those messages have no
 * publish() promise any more: a refusal shows as an 'error' event. Exactly
 * once across restarts needs the broker to keep the session (`clean: false`,
 * on MQTT 5 a Session Expiry Interval); with the session lost they are
 * published again as new messages. An incoming QoS 2 message handed to the
 * application in the very tick the process dies can be handed over again
 * after the restart: its id is recorded before PUBREC leaves, not before the
 * application sees it.
 *
 * One process per file (a lock file, file-lock.ts); in one process, one
 * client per FileStore. The engine calls the Store methods synchronously, so
 * they stay in-memory fast; only `commit` touches the disk.
 */
import { ftruncateSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PublishPacket } from '../codec/types.js';
import { InvalidArgumentError, MqttkitError, StateError } from '../errors.js';
import { checkHeader, FILE_HEADER_BYTES, fileHeader, RecordBuffer, RecordType, replay } from './file-format.js';
import { OpenFile, removeIfPresent, replaceFile, tempPathOf, writeAll } from './file-io.js';
import { acquireLock, releaseLock } from './file-lock.js';
import { type FileStoreOptions, type FileStoreRestored, type FileStoreStats, type Settings, settings } from './file-options.js';
import { MemoryStore } from './memory.js';
import type { OutgoingEntry, Store } from './types.js';

export type { FileStoreOptions, FileStoreRestored, FileStoreStats, FsyncPolicy } from './file-options.js';

/** A burst bigger than this in one tick is written at once, so the buffer stays bounded. */
const WRITE_AT_BYTES = 256 * 1024;

/**
 * A {@link Store} for Node kept in an append-only file, so QoS 1/2 messages and the offline queue survive a
 * process restart (kill -9 included): a restarted client resends what the last process left. Every change is
 * written before the packets it justifies reach the network. One process per file (a lock file); one client per
 * store. Exactly-once across restarts also needs the broker to keep the session (`clean: false`, and on MQTT 5 a
 * `sessionExpiryInterval`).
 *
 * @example
 * ```ts
 * const store = await FileStore.open('./mqtt-session.db', { fsync: 'always' });
 * console.log('left by the last run:', store.restored);
 * const client = await connect('mqtts://broker.example', {
 *   clientId: 'meter-9',
 *   clean: false,
 *   properties: { sessionExpiryInterval: 86_400 },
 *   store,
 * });
 * // ...
 * await client.end();
 * await store.close();
 * ```
 */
export class FileStore implements Store {
  /** Absolute path of the store file. */
  readonly path: string;
  /** What the file held when it was opened (resent first by a client built on this store). */
  readonly restored: FileStoreRestored;
  private readonly state: MemoryStore;
  private readonly pending = new RecordBuffer();
  private readonly settings: Settings;
  private file: OpenFile;
  private fileBytes: number;
  private nextCompactCheck: number;
  private commitScheduled = false;
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private failure: MqttkitError | undefined;
  private readonly counts = { records: 0, writes: 0, fsyncs: 0, compactions: 0 };

  private constructor(path: string, file: OpenFile, fileBytes: number, state: MemoryStore, s: Settings, restored: FileStoreRestored) {
    this.path = path;
    this.file = file;
    this.fileBytes = fileBytes;
    this.state = state;
    this.settings = s;
    this.restored = restored;
    // A big file from the last run is looked at by the first commit.
    this.nextCompactCheck = s.compactMinBytes;
  }

  /**
   * Opens (or creates) the store at `path` and loads what it holds. Rejects
   * with MQTTKIT_ERR_STORE_LOCKED when another process (or this one) has it
   * open, MQTTKIT_ERR_STORE_CORRUPT when the file is not a store file.
   */
  static async open(path: string, options: FileStoreOptions = {}): Promise<FileStore> {
    if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path: must be a non-empty string', 'path');
    const s = settings(options);
    const abs = resolve(path);
    try {
      acquireLock(abs);
    } catch (err) {
      throw ioError(err, 'opening', abs);
    }
    try {
      // A compaction the last process did not finish: the store file itself is still whole.
      removeIfPresent(tempPathOf(abs));
      const state = new MemoryStore();
      const bytes = readIfPresent(abs);
      const check = bytes === undefined ? 'empty' : checkHeader(bytes);
      if (check === 'foreign' || check === 'version') {
        throw new StateError(
          check === 'foreign'
            ? `store: ${abs} is not an mqttkit store file (left untouched)`
            : `store: ${abs} was written by another version of the store format (left untouched)`,
          'MQTTKIT_ERR_STORE_CORRUPT',
        );
      }
      let end = FILE_HEADER_BYTES;
      let records = 0;
      if (bytes === undefined || check === 'empty') replaceFile(abs, fileHeader());
      else ({ end, records } = replay(bytes, state));
      const droppedBytes = bytes === undefined || check === 'empty' ? 0 : bytes.length - end;
      const file = OpenFile.open(abs);
      if (droppedBytes > 0) {
        ftruncateSync(file.fd, end);
        file.syncNow();
      }
      const restored = { outgoing: state.outgoingCount, incoming: state.incomingCount, queued: state.queuedCount, records, droppedBytes };
      return new FileStore(abs, file, end, state, s, restored);
    } catch (err) {
      releaseLock(abs);
      throw ioError(err, 'opening', abs);
    }
  }

  /** Counters for monitoring: file size, pending bytes, writes, fsyncs, compactions. */
  get stats(): FileStoreStats {
    return { fileBytes: this.fileBytes, pendingBytes: this.pending.length, ...this.counts };
  }

  /** True after {@link FileStore.close}: the state stays readable, changing it throws MQTTKIT_ERR_STORE_CLOSED. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- Store

  putOutgoing(entry: OutgoingEntry): void {
    this.writable();
    const known = this.state.getOutgoing(entry.packetId) !== undefined;
    // Recorded before the state changes: a packet the encoder refuses leaves both untouched.
    if (entry.phase === 'publish' || !known) this.pending.publish(RecordType.outPublish, entry.packet, entry.packetId);
    if (entry.phase === 'pubrel') this.pending.id(RecordType.outPubrel, entry.packetId);
    this.state.putOutgoing(entry);
    this.recorded();
  }

  getOutgoing(packetId: number): OutgoingEntry | undefined {
    return this.state.getOutgoing(packetId);
  }

  deleteOutgoing(packetId: number): void {
    if (this.state.getOutgoing(packetId) === undefined) return;
    this.writable();
    this.pending.id(RecordType.outDelete, packetId);
    this.state.deleteOutgoing(packetId);
    this.recorded();
  }

  outgoing(): Iterable<OutgoingEntry> {
    return this.state.outgoing();
  }

  get outgoingCount(): number {
    return this.state.outgoingCount;
  }

  addIncoming(packetId: number): void {
    if (this.state.hasIncoming(packetId)) return;
    this.writable();
    this.pending.id(RecordType.inAdd, packetId);
    this.state.addIncoming(packetId);
    this.recorded();
  }

  hasIncoming(packetId: number): boolean {
    return this.state.hasIncoming(packetId);
  }

  deleteIncoming(packetId: number): void {
    if (!this.state.hasIncoming(packetId)) return;
    this.writable();
    this.pending.id(RecordType.inDelete, packetId);
    this.state.deleteIncoming(packetId);
    this.recorded();
  }

  get incomingCount(): number {
    return this.state.incomingCount;
  }

  /** Incoming QoS 2 packet ids awaiting PUBREL. */
  incoming(): Iterable<number> {
    return this.state.incoming();
  }

  enqueue(packet: PublishPacket): void {
    this.writable();
    this.pending.publish(RecordType.queuePush, packet, 1);
    this.state.enqueue(packet);
    this.recorded();
  }

  requeue(packet: PublishPacket): void {
    this.writable();
    this.pending.publish(RecordType.queueUnshift, packet, 1);
    this.state.requeue(packet);
    this.recorded();
  }

  dequeue(): PublishPacket | undefined {
    if (this.state.queuedCount === 0) return undefined;
    this.writable();
    this.pending.empty(RecordType.queueShift);
    this.recorded();
    return this.state.dequeue();
  }

  peekQueue(): PublishPacket | undefined {
    return this.state.peekQueue();
  }

  removeQueued(packet: PublishPacket): boolean {
    let index = 0;
    for (const p of this.state.queued()) {
      if (p === packet) {
        this.writable();
        this.pending.index(RecordType.queueRemove, index);
        this.recorded();
        return this.state.removeQueued(packet);
      }
      index++;
    }
    return false;
  }

  get queuedCount(): number {
    return this.state.queuedCount;
  }

  /** The offline queue, front first. */
  queued(): Iterable<PublishPacket> {
    return this.state.queued();
  }

  clearSession(): void {
    if (this.state.outgoingCount === 0 && this.state.incomingCount === 0) return;
    this.writable();
    this.pending.empty(RecordType.clearSession);
    this.state.clearSession();
    this.recorded();
  }

  // ---------------------------------------------------------------- durability

  /**
   * Writes every record made so far to the OS now (it then survives kill -9),
   * compacting first when the file has grown enough; fsyncs too under
   * `fsync: 'always'`. Never throws: a failure goes to `onError` and the
   * records stay pending for the next commit.
   */
  commit(): void {
    if (this.closed || this.pending.length === 0) return;
    try {
      if (this.fileBytes + this.pending.length < this.nextCompactCheck || !this.compact()) {
        writeAll(this.file.fd, this.pending.bytes(), this.fileBytes);
        this.fileBytes += this.pending.length;
        this.pending.reset();
        this.counts.writes++;
      }
      this.failure = undefined;
    } catch (err) {
      this.fail(err, 'writing');
      return;
    }
    const policy = this.settings.fsync;
    if (policy === 'always') {
      try {
        this.file.syncNow();
        this.counts.fsyncs++;
      } catch (err) {
        this.fail(err, 'syncing');
      }
    } else if (policy !== 'never' && this.syncTimer === undefined) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        this.syncFile().catch(() => {
          // Reported through onError by syncFile.
        });
      }, policy);
      this.syncTimer.unref?.();
    }
  }

  /** Resolves once every record made so far is written and fsynced (survives power loss), whatever the fsync policy. */
  async flush(): Promise<void> {
    if (this.closed) return;
    this.commit();
    if (this.failure !== undefined) throw this.failure;
    await this.syncFile();
  }

  /**
   * Writes and syncs what is pending, releases the lock and closes the file.
   * The state stays readable; changing it throws MQTTKIT_ERR_STORE_CLOSED.
   * Rejects (after releasing the lock) if the last records could not be written.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    this.closed = true;
    const failure = this.failure;
    try {
      if (failure === undefined) await this.syncFile();
    } finally {
      this.file.retire();
      releaseLock(this.path);
    }
    if (failure !== undefined) throw failure;
  }

  private async syncFile(): Promise<void> {
    try {
      await this.file.sync();
      this.counts.fsyncs++;
    } catch (err) {
      throw this.fail(err, 'syncing');
    }
  }

  /** Replaces the file with the live state when that shrinks it by `compactRatio`; false when not worth it (or it failed). */
  private compact(): boolean {
    const snapshot = new RecordBuffer();
    snapshot.raw(fileHeader());
    snapshot.snapshot(this.state);
    const logBytes = this.fileBytes + this.pending.length;
    if (logBytes <= snapshot.length * this.settings.compactRatio) {
      // Not yet: check again once at least the live size more was appended (amortised O(1) per record).
      this.nextCompactCheck = logBytes + Math.max(snapshot.length, 64 * 1024);
      return false;
    }
    try {
      replaceFile(this.path, snapshot.bytes());
    } catch (err) {
      this.fail(err, 'compacting');
      this.nextCompactCheck = logBytes + this.settings.compactMinBytes;
      return false;
    }
    const old = this.file;
    this.file = OpenFile.open(this.path);
    old.retire();
    this.fileBytes = snapshot.length;
    this.pending.reset();
    this.nextCompactCheck = Math.max(this.settings.compactMinBytes, snapshot.length * this.settings.compactRatio);
    this.counts.compactions++;
    this.counts.writes++;
    return true;
  }

  private writable(): void {
    if (this.closed) {
      throw new StateError(`store: ${this.path} is closed; open it again for a new client`, 'MQTTKIT_ERR_STORE_CLOSED');
    }
  }

  private recorded(): void {
    this.counts.records++;
    if (this.pending.length >= WRITE_AT_BYTES) this.commit();
    else if (!this.commitScheduled) {
      this.commitScheduled = true;
      queueMicrotask(() => {
        this.commitScheduled = false;
        this.commit();
      });
    }
  }

  private fail(err: unknown, doing: string): MqttkitError {
    const first = this.failure === undefined;
    const error = ioError(err, doing, this.path);
    this.failure = error;
    if (first) {
      if (this.settings.onError !== undefined) this.settings.onError(error);
      else process.emitWarning(error);
    }
    return error;
  }
}

/** A file-system failure as a typed error (MQTTKIT_ERR_STORE_IO); mqttkit's own errors pass through. */
function ioError(err: unknown, doing: string, path: string): MqttkitError {
  if (err instanceof MqttkitError) return err;
  return new StateError(`store: ${doing} ${path} failed: ${(err as Error)?.message ?? String(err)}`, 'MQTTKIT_ERR_STORE_IO', {
    cause: err,
    retryable: true,
  });
}

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

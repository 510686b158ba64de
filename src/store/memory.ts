/** The default store: session state in memory, lost with the process. */
import type { PublishPacket } from '../codec/types.js';
import { LazyMap, LazySet } from './lazy.js';
import { Ring } from './ring.js';
import type { OutgoingEntry, Store } from './types.js';

/**
 * The default {@link Store}: session state in memory, lost with the process (a reconnection keeps it; a restart
 * does not). The queue is a ring buffer and lookups are by packet id, so a million queued messages cost memory,
 * not time.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const client = await connect('mqtt://localhost:1883', { store });
 * console.log(store.queuedCount, store.outgoingCount);
 * ```
 */
export class MemoryStore implements Store {
  private readonly out = new LazyMap<number, OutgoingEntry>();
  private readonly inc = new LazySet<number>();
  private readonly queue = new Ring<PublishPacket>();

  putOutgoing(entry: OutgoingEntry): void {
    const prev = this.out.get(entry.packetId);
    if (prev !== undefined && prev.phase !== entry.phase) this.out.delete(entry.packetId);
    this.out.set(entry.packetId, entry);
  }

  getOutgoing(packetId: number): OutgoingEntry | undefined {
    return this.out.get(packetId);
  }

  deleteOutgoing(packetId: number): void {
    this.out.delete(packetId);
  }

  outgoing(): Iterable<OutgoingEntry> {
    return this.out.values();
  }

  get outgoingCount(): number {
    return this.out.size;
  }

  addIncoming(packetId: number): void {
    this.inc.add(packetId);
  }

  hasIncoming(packetId: number): boolean {
    return this.inc.has(packetId);
  }

  deleteIncoming(packetId: number): void {
    this.inc.delete(packetId);
  }

  get incomingCount(): number {
    return this.inc.size;
  }

  /** Incoming QoS 2 ids awaiting PUBREL (for persistent stores writing a snapshot). */
  incoming(): Iterable<number> {
    return this.inc.values();
  }

  enqueue(packet: PublishPacket): void {
    this.queue.push(packet);
  }

  requeue(packet: PublishPacket): void {
    this.queue.unshift(packet);
  }

  dequeue(): PublishPacket | undefined {
    return this.queue.shift();
  }

  peekQueue(): PublishPacket | undefined {
    return this.queue.peek();
  }

  removeQueued(packet: PublishPacket): boolean {
    return this.queue.remove((p) => p === packet) !== undefined;
  }

  get queuedCount(): number {
    return this.queue.size;
  }

  /** The offline queue, front first. */
  queued(): Iterable<PublishPacket> {
    return this.queue;
  }

  clearSession(): void {
    this.out.clear();
    this.inc.clear();
  }
}

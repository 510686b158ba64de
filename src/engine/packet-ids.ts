/**
 * Packet identifiers (§2.2.1): allocated from 1 upward, wrapping, skipping any
 * still in use, so an id is never reused while its exchange is in flight.
 * Allocation scans (amortised O(1) while few are in use); release and lookup
 * are O(1). A Set rather than a 64 KiB bitmap keeps an idle client small.
 */
import { LazySet } from '../store/lazy.js';

export class PacketIds {
  private readonly used = new LazySet<number>();
  private next = 1;

  get inUse(): number {
    return this.used.size;
  }

  /** A free id, now marked used, or 0 when all 65,535 are in flight. */
  allocate(): number {
    if (this.used.size === 65_535) return 0;
    let id = this.next;
    while (this.used.has(id)) id = id === 65_535 ? 1 : id + 1;
    this.used.add(id);
    this.next = id === 65_535 ? 1 : id + 1;
    return id;
  }

  /** Marks a known id (restored from a store) as used. */
  claim(id: number): void {
    this.used.add(id);
  }

  isUsed(id: number): boolean {
    return this.used.has(id);
  }

  release(id: number): void {
    this.used.delete(id);
  }
}

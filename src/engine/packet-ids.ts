/**
 * Packet identifiers (§2.2.1): allocated from 1 upward, wrapping, skipping any
 * still in use, so an id is never reused while its exchange is in flight.
 * Allocation scans (amortised O(1) when few are in use); release and lookup are O(1).
 */
export class PacketIds {
  private readonly used = new Uint8Array(65_536);
  private next = 1;
  private count = 0;

  get inUse(): number {
    return this.count;
  }

  /** A free id, now marked used, or 0 when all 65,535 are in flight. */
  allocate(): number {
    if (this.count === 65_535) return 0;
    let id = this.next;
    while (this.used[id] === 1) id = id === 65_535 ? 1 : id + 1;
    this.used[id] = 1;
    this.count++;
    this.next = id === 65_535 ? 1 : id + 1;
    return id;
  }

  /** Marks a known id (restored from a store) as used. */
  claim(id: number): void {
    if (this.used[id] === 0) {
      this.used[id] = 1;
      this.count++;
    }
  }

  isUsed(id: number): boolean {
    return this.used[id] === 1;
  }

  release(id: number): void {
    if (this.used[id] === 1) {
      this.used[id] = 0;
      this.count--;
    }
  }
}

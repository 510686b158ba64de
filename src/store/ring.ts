/**
 * A FIFO queue with O(1) push and shift at any size (a growable ring buffer),
 * for queues that may hold a million entries where `Array.shift` is O(n).
 */
export class Ring<T> {
  /** Empty until the first push: an idle client keeps several rings that never fill. */
  private items: (T | undefined)[] = [];
  private head = 0;
  private count = 0;

  /** `capacity` reserves room up front; by default nothing is allocated until the first push. */
  constructor(capacity = 0) {
    if (capacity > 0) this.items = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  /** Puts `item` at the front (it will be the next one shifted). */
  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** Removes the first item matching `predicate` (O(n); for rare cancellations). */
  remove(predicate: (item: T) => boolean): T | undefined {
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head + i) % this.items.length;
      const item = this.items[idx] as T;
      if (!predicate(item)) continue;
      for (let j = i; j < this.count - 1; j++) {
        this.items[(this.head + j) % this.items.length] = this.items[(this.head + j + 1) % this.items.length];
      }
      this.items[(this.head + this.count - 1) % this.items.length] = undefined;
      this.count--;
      return item;
    }
    return undefined;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }

  clear(): void {
    this.items = [];
    this.head = this.count = 0;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.max(16, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}

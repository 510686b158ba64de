/**
 * Map and Set that allocate their table on first write. An idle client holds
 * a dozen of these empty; at ~180 bytes per empty Map that is most of its heap.
 */
const NO_ENTRIES: readonly never[] = [];

export class LazyMap<K, V> {
  private map: Map<K, V> | undefined;

  get size(): number {
    return this.map?.size ?? 0;
  }

  get(key: K): V | undefined {
    return this.map?.get(key);
  }

  has(key: K): boolean {
    return this.map?.has(key) ?? false;
  }

  set(key: K, value: V): this {
    (this.map ??= new Map()).set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map?.delete(key) ?? false;
  }

  clear(): void {
    this.map = undefined;
  }

  keys(): IterableIterator<K> {
    return (this.map ?? (NO_ENTRIES as unknown as Map<K, V>)).keys();
  }

  values(): IterableIterator<V> {
    return (this.map ?? (NO_ENTRIES as unknown as Map<K, V>)).values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map === undefined ? NO_ENTRIES[Symbol.iterator]() : this.map[Symbol.iterator]();
  }
}

export class LazySet<T> {
  private set: Set<T> | undefined;

  get size(): number {
    return this.set?.size ?? 0;
  }

  has(value: T): boolean {
    return this.set?.has(value) ?? false;
  }

  add(value: T): this {
    (this.set ??= new Set()).add(value);
    return this;
  }

  delete(value: T): boolean {
    return this.set?.delete(value) ?? false;
  }

  clear(): void {
    this.set = undefined;
  }

  values(): IterableIterator<T> {
    return (this.set ?? (NO_ENTRIES as unknown as Set<T>)).values();
  }
}

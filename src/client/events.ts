/** A minimal typed event emitter (no Node `events` dependency, so it runs in browsers unchanged). */
export type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.listeners[event];
    if (list === undefined) this.listeners[event] = [listener];
    else list.push(listener);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapped: Listener<E[K]> = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.listeners[event];
    if (list === undefined) return this;
    const i = list.indexOf(listener);
    if (i !== -1) list.splice(i, 1);
    return this;
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners[event]?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners[event];
    if (list === undefined || list.length === 0) return;
    // A copy, so listeners may remove themselves while being called.
    for (const listener of list.length === 1 ? list : [...list]) listener(...args);
  }
}

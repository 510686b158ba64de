/** A minimal typed event emitter (no Node `events` dependency, so it runs in browsers unchanged). */

/** A listener for an event whose arguments are `A`. */
export type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  /**
   * Calls `listener` for every `event` from now on; returns `this` for chaining. Adding the same function twice
   * calls it twice. Listeners run synchronously inside the client's processing. An exception a listener throws
   * does not reach the client (the connection and the other listeners carry on): it is thrown again a moment
   * later on its own, as an uncaught exception (Node) or an error event on `window` (browsers).
   *
   * @example
   * ```ts
   * client.on('message', (message) => console.log(message.topic)).on('error', (err) => console.error(err.code));
   * ```
   */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.listeners[event];
    if (list === undefined) this.listeners[event] = [listener];
    else list.push(listener);
    return this;
  }

  /**
   * Calls `listener` for the next `event` only. To remove it before it fired, keep no reference to `listener`:
   * `off(event, listener)` does not find it (it is registered wrapped).
   *
   * @example
   * ```ts
   * client.once('connect', ({ sessionPresent }) => console.log('first connection; session kept:', sessionPresent));
   * ```
   */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapped: Listener<E[K]> & { original?: Listener<E[K]> } = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    // So that off(event, listener) finds it.
    wrapped.original = listener;
    return this.on(event, wrapped);
  }

  /**
   * Removes one registration of `listener` (the same function passed to `on`); does nothing when it is not there.
   *
   * @example
   * ```ts
   * const log = (message: ReceivedMessage) => console.log(message.topic);
   * client.on('message', log);
   * client.off('message', log);
   * ```
   */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.listeners[event];
    if (list === undefined) return this;
    const i = list.findIndex((l) => l === listener || (l as { original?: unknown }).original === listener);
    if (i !== -1) list.splice(i, 1);
    return this;
  }

  /** How many listeners `event` has (to check, say, that someone handles `error`). */
  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners[event]?.length ?? 0;
  }

  /** Calls the listeners of `event` in order, synchronously (for subclasses; the client emits its own events). */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners[event];
    if (list === undefined || list.length === 0) return;
    // A copy, so listeners may remove themselves while being called.
    for (const listener of list.length === 1 ? list : [...list]) {
      try {
        listener(...args);
      } catch (err) {
        // A bug in the application's listener must not break the protocol (a throw here would
        // drop the connection, and a redelivered message would throw again): it surfaces on its
        // own, as an uncaught exception, and the other listeners still run.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

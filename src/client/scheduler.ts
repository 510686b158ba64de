/**
 * Timers and the clock, injectable: tests pass a virtual clock, and pages
 * whose hidden tabs throttle timers can pass worker-backed ones.
 */
export interface Scheduler {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout` by its handle (a handle that already fired is ignored). */
  clearTimeout(handle: unknown): void;
}

export const platformScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    const handle = globalThis.setTimeout(callback, ms);
    // A pending keepalive or reconnect timer must not keep a Node process alive on its own.
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

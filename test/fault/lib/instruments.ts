/**
 * Instruments for timing tests: a scheduler that records how late each timer
 * fired (so a bound can allow for the host's timer lateness and nothing
 * else), and a TCP transport that records when bytes last arrived.
 */

import type { Scheduler, TransportFactory } from '../../../src/node.js';
import { tcpTransport } from '../../../src/transport/tcp.js';

/**
 * Real timers, each firing recorded with how late it was. A timer is due
 * `ms` after the clock reading its delay was computed from: the client reads
 * the clock, feeds the engine, and sets the timers the engine asks for, so
 * that is the last reading taken before setTimeout.
 */
export class RecordingScheduler implements Scheduler {
  readonly fired: { at: number; late: number }[] = [];
  private lastReading = performance.now();

  now(): number {
    this.lastReading = performance.now();
    return this.lastReading;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const due = this.lastReading + ms;
    const handle = setTimeout(() => {
      const at = performance.now();
      this.fired.push({ at, late: Math.max(0, at - due) });
      callback();
    }, ms);
    handle.unref();
    return handle;
  }

  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }

  /** Total lateness of the timers that fired in (from, to]. */
  lateness(from: number, to: number): number {
    let sum = 0;
    for (const f of this.fired) if (f.at > from && f.at <= to) sum += f.late;
    return sum;
  }
}

/** The TCP transport, remembering when the last bytes arrived (performance.now()). */
export function timedTransport(): { factory: TransportFactory; lastDataAt: () => number } {
  let last = 0;
  const factory: TransportFactory = (options, handlers) =>
    tcpTransport(options, {
      onData: (chunk) => {
        last = performance.now();
        handlers.onData(chunk);
      },
      onClose: (error) => handlers.onClose(error),
    });
  return { factory, lastDataAt: () => last };
}

/**
 * When a command stops: `-W` running out, or Ctrl-C / SIGTERM.
 *
 * Two signals, because the two stops differ for pub: an interrupt stops
 * reading new input but lets messages already handed to the client finish
 * (`stop` aborts, `deadline` does not), while the timeout abandons everything
 * (both abort). A second Ctrl-C exits at once, for when the clean stop hangs.
 */

export type StopReason = 'timeout' | 'interrupted';

export class RunControl {
  private readonly stopController = new AbortController();
  private readonly deadlineController = new AbortController();
  /** Aborts on the timeout or an interrupt: stop waiting for more input or messages. */
  readonly stop: AbortSignal = this.stopController.signal;
  /** Aborts on the timeout only: give up on operations in flight. */
  readonly deadline: AbortSignal = this.deadlineController.signal;
  /** Resolves when `stop` aborts. */
  readonly stopped: Promise<void>;
  reason: StopReason | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onSignal = () => {
    if (this.reason !== undefined) process.exit(130);
    this.end('interrupted');
  };

  constructor(readonly timeoutMs: number | undefined) {
    this.stopped = new Promise((resolve) => this.stop.addEventListener('abort', () => resolve(), { once: true }));
    if (timeoutMs !== undefined) this.timer = setTimeout(() => this.end('timeout'), timeoutMs);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Stops the command (the first reason wins). */
  end(reason: StopReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    clearTimeout(this.timer);
    if (reason === 'timeout') this.deadlineController.abort(new Error('timeout'));
    this.stopController.abort(new Error(reason));
  }

  /** Removes the timer and signal handlers. */
  dispose(): void {
    clearTimeout(this.timer);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * A subscription: the broker's answer per filter, and an async iterable of
 * the messages that match it.
 *
 * Design (after nats.js's QueuedIterator): one consumer only; messages are
 * buffered from the moment SUBSCRIBE is sent (so retained messages that beat
 * the SUBACK are not lost) up to `highWaterMark`; past it the iterator ends
 * with a typed MQTTKIT_ERR_SLOW_CONSUMER error rather than growing without
 * bound. `break` out of `for await` unsubscribes; so does `unsubscribe()`,
 * which also ends the iteration.
 */
import { StateError } from '../errors.js';
import { Ring } from '../store/ring.js';
import type { ReceivedMessage } from './message.js';
import { topicMatches } from './topic-match.js';

export class Subscription implements AsyncIterable<ReceivedMessage> {
  /** One code per filter: the granted QoS (0..2) or a failure reason (>= 0x80). */
  reasonCodes: number[] = [];
  private readonly buffer = new Ring<ReceivedMessage>();
  private waiting: ((r: IteratorResult<ReceivedMessage>) => void) | undefined;
  private failWaiting: ((e: unknown) => void) | undefined;
  private ended = false;
  private error: Error | undefined;
  private iterating = false;
  private delivered = 0;
  private unsubscribed = false;

  constructor(
    readonly topicFilters: readonly string[],
    private readonly unsubscribeFn: (sub: Subscription) => Promise<unknown>,
    private readonly highWaterMark: number,
    /** The MQTT 5 subscription identifier that routes messages here, when there is one. */
    readonly identifier?: number,
  ) {}

  /** Messages received and not yet consumed. */
  get pending(): number {
    return this.buffer.size;
  }

  /** Messages handed to the consumer so far. */
  get processed(): number {
    return this.delivered;
  }

  get closed(): boolean {
    return this.ended;
  }

  matches(topic: string): boolean {
    for (const f of this.topicFilters) if (topicMatches(f, topic)) return true;
    return false;
  }

  /** @internal Called by the client for each matching message. */
  push(message: ReceivedMessage): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = this.failWaiting = undefined;
      this.delivered++;
      waiting({ value: message, done: false });
      return;
    }
    if (this.buffer.size >= this.highWaterMark) {
      this.end(
        new StateError(
          `subscription ${this.topicFilters.join(', ')}: more than ${this.highWaterMark} messages waiting for the consumer (highWaterMark)`,
          'MQTTKIT_ERR_SLOW_CONSUMER',
          { retryable: false },
        ),
      );
      return;
    }
    this.buffer.push(message);
  }

  /** @internal Ends the iteration, with an error when something went wrong. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.waiting !== undefined) {
      const waiting = this.waiting;
      const failWaiting = this.failWaiting;
      this.waiting = this.failWaiting = undefined;
      if (error !== undefined) failWaiting?.(error);
      else waiting({ value: undefined, done: true });
    }
  }

  /** Unsubscribes from every filter of this subscription and ends the iteration. */
  async unsubscribe(): Promise<void> {
    if (this.unsubscribed) return;
    this.unsubscribed = true;
    this.end();
    await this.unsubscribeFn(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    if (this.iterating) throw new StateError('subscription: already being iterated (one consumer only)', 'MQTTKIT_ERR_INVALID_STATE');
    this.iterating = true;
    return {
      next: () => {
        const m = this.buffer.shift();
        if (m !== undefined) {
          this.delivered++;
          return Promise.resolve({ value: m, done: false });
        }
        if (this.ended) return this.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.error);
        return new Promise<IteratorResult<ReceivedMessage>>((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: () => {
        // `break` (or a throw) in for-await lands here: stop the subscription. Not awaited, so
        // leaving the loop never waits for the broker (which may be unreachable right now).
        this.unsubscribe().catch(() => undefined);
        this.buffer.clear();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

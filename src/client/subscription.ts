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

/**
 * What {@link MqttClient.subscribe} resolves to: the broker's answer per filter, and an async iterable of the
 * messages that match. One consumer only. Messages wait in a buffer until consumed; when more than the client's
 * `highWaterMark` (default 10 000) wait, the iteration ends with StateError MQTTKIT_ERR_SLOW_CONSUMER instead of
 * growing without bound. Leaving a `for await` loop (`break`, `return`, a throw) unsubscribes.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 60_000);
 * const sub = await client.subscribe('alarms/#', { qos: 1, signal: controller.signal });
 * controller.signal.addEventListener('abort', () => void sub.unsubscribe());
 * for await (const alarm of sub) console.log(alarm.topic, alarm.text());
 * console.log(`done after ${sub.processed} alarms`);
 * ```
 */
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

  /** @internal Made by {@link MqttClient.subscribe}. */
  constructor(
    /** The filters this subscription covers, as passed to `subscribe()`. */
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

  /** True once the iteration ended: unsubscribed, the client closed, or a slow consumer overflowed the buffer. */
  get closed(): boolean {
    return this.ended;
  }

  /** Whether a topic name matches one of this subscription's filters (see {@link topicMatches}). */
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

  /**
   * Unsubscribes from every filter of this subscription and ends the iteration.
   * A filter that another live subscription of the client also uses stays subscribed at the broker. Calling it
   * again does nothing.
   *
   * @example
   * ```ts
   * const sub = await client.subscribe('sensors/#');
   * // ... later
   * await sub.unsubscribe();
   * ```
   */
  async unsubscribe(): Promise<void> {
    if (this.unsubscribed) return;
    this.unsubscribed = true;
    this.end();
    await this.unsubscribeFn(this);
  }

  /**
   * The iterator `for await` uses. Throws StateError MQTTKIT_ERR_INVALID_STATE when called a second time (one
   * consumer only). It rejects with the error that ended the subscription (slow consumer, client closed with an
   * error), and finishes normally after `unsubscribe()`.
   */
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

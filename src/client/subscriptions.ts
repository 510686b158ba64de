/**
 * The client's live Subscriptions: which exist, what SUBSCRIBE each one asks
 * for, and which of them a received message belongs to.
 *
 * Design: on MQTT 5 each subscription gets its own Subscription Identifier
 * (when the broker takes them), so a message the broker delivers once per
 * matching subscription reaches each Subscription once, not once per copy;
 * without identifiers, a message goes to every Subscription whose filters
 * match its topic.
 */
import type { Subscription as SubscriptionRequest } from '../codec/types.js';
import type { SubscribeRequest } from '../engine/types.js';
import type { ReceivedMessage } from './message.js';
import { Subscription } from './subscription.js';
import type { SubscribeOptions } from './types.js';

export class Subscriptions {
  private readonly live = new Set<Subscription>();
  /** Whether the broker takes subscription identifiers (known after the first CONNACK). */
  private identifiers = false;
  private nextIdentifier = 1;

  /** From each CONNACK: MQTT 5 brokers take identifiers unless they say otherwise. */
  onConnack(v5: boolean, available: boolean | undefined): void {
    this.identifiers = v5 && available !== false;
  }

  /**
   * A new Subscription for `filters` and the SUBSCRIBE request for it. It is
   * live at once: retained messages may arrive ahead of the SUBACK.
   */
  open(
    filters: string[],
    options: SubscribeOptions,
    highWaterMark: number,
    unsubscribe: (sub: Subscription) => Promise<void>,
  ): { sub: Subscription; request: SubscribeRequest } {
    const { properties, qos = 0, noLocal, retainAsPublished, retainHandling } = options;
    const subscriptions = filters.map((topicFilter) => {
      const s: SubscriptionRequest = { topicFilter, qos };
      if (noLocal !== undefined) s.noLocal = noLocal;
      if (retainAsPublished !== undefined) s.retainAsPublished = retainAsPublished;
      if (retainHandling !== undefined) s.retainHandling = retainHandling;
      return s;
    });
    const request: SubscribeRequest = { subscriptions, properties };
    if (this.identifiers && properties?.subscriptionIdentifier === undefined) {
      request.properties = { ...properties, subscriptionIdentifier: this.nextIdentifier++ };
    }
    const sub = new Subscription(filters, unsubscribe, highWaterMark, request.properties?.subscriptionIdentifier);
    this.live.add(sub);
    return { sub, request };
  }

  /** Ends `sub` (with `error` when its SUBSCRIBE failed) and forgets it. */
  close(sub: Subscription, error?: Error): void {
    this.live.delete(sub);
    sub.end(error);
  }

  /** The live Subscriptions an UNSUBSCRIBE of `filters` covers. */
  coveredBy(filters: string[]): Subscription[] {
    return [...this.live].filter((sub) => sub.topicFilters.every((f) => filters.includes(f)));
  }

  /** Forgets `sub` (its owner unsubscribed) and returns its filters no other live Subscription needs. */
  release(sub: Subscription): string[] {
    this.live.delete(sub);
    const stillUsed = new Set<string>();
    for (const other of this.live) for (const f of other.topicFilters) stillUsed.add(f);
    return sub.topicFilters.filter((f) => !stillUsed.has(f));
  }

  /** Hands a received message to the Subscriptions it belongs to. */
  route(message: ReceivedMessage): void {
    const ids = message.properties?.subscriptionIdentifiers;
    for (const sub of this.live) {
      const id = sub.identifier;
      if (id !== undefined && ids !== undefined ? ids.includes(id) : sub.matches(message.topic)) sub.push(message);
    }
  }

  /** The client closed for good: every Subscription ends (with its error). */
  endAll(error: Error | undefined): void {
    for (const sub of this.live) sub.end(error);
    this.live.clear();
  }
}

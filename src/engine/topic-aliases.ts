/**
 * Topic aliases (MQTT 5 §3.3.2.3.4), both ways. Mappings live only as long as
 * one network connection ([MQTT-3.3.2-7]), so both sides reset on reconnect.
 *
 * Outbound, aliases go to the most-published topics: each topic's use is
 * counted; a free alias goes to a topic on its second use, and when all are
 * taken an alias moves to a topic used more often than the least-used holder.
 */
import { LazyMap } from '../store/lazy.js';

/** Topics counted at most; past this the counts are halved and rare topics forgotten. */
const MAX_COUNTED_TOPICS = 4_096;

export interface OutboundAlias {
  alias: number;
  /** True when the topic must be sent with the alias (first use of this mapping). */
  announce: boolean;
}

export class OutboundAliases {
  private maximum = 0;
  private readonly byTopic = new LazyMap<string, number>();
  private readonly topicOf: string[] = [];
  private readonly uses = new LazyMap<string, number>();

  /** Starts a connection whose broker accepts `maximum` aliases (its Topic Alias Maximum). */
  reset(maximum: number): void {
    this.maximum = maximum;
    this.byTopic.clear();
    this.topicOf.length = 0;
  }

  /**
   * The alias to use for `topic`, or undefined to send the topic name alone.
   * A new mapping takes effect only on {@link commit}, once the PUBLISH that
   * announces it is really sent.
   */
  lookup(topic: string): OutboundAlias | undefined {
    if (this.maximum === 0) return undefined;
    const alias = this.byTopic.get(topic);
    const uses = this.count(topic);
    if (alias !== undefined) return { alias, announce: false };
    if (uses < 2) return undefined;
    if (this.byTopic.size < this.maximum) return { alias: this.byTopic.size + 1, announce: true };
    let victim = 0;
    let fewest = uses;
    for (let a = 1; a <= this.maximum; a++) {
      const n = this.uses.get(this.topicOf[a]) ?? 0;
      if (n < fewest) {
        fewest = n;
        victim = a;
      }
    }
    if (victim === 0) return undefined;
    return { alias: victim, announce: true };
  }

  /** Records the mapping a sent PUBLISH announced. */
  commit(topic: string, alias: OutboundAlias): void {
    if (!alias.announce) return;
    const previous = this.topicOf[alias.alias];
    if (previous !== undefined) this.byTopic.delete(previous);
    this.byTopic.set(topic, alias.alias);
    this.topicOf[alias.alias] = topic;
  }

  private count(topic: string): number {
    const n = (this.uses.get(topic) ?? 0) + 1;
    this.uses.set(topic, n);
    if (this.uses.size > MAX_COUNTED_TOPICS) {
      for (const [t, c] of this.uses) {
        if (c < 2 && !this.byTopic.has(t)) this.uses.delete(t);
        else this.uses.set(t, c >> 1);
      }
    }
    return n;
  }
}

export class InboundAliases {
  private topics: string[] = [];

  reset(): void {
    this.topics = [];
  }

  set(alias: number, topic: string): void {
    this.topics[alias] = topic;
  }

  get(alias: number): string | undefined {
    return this.topics[alias];
  }
}

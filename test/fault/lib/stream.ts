/**
 * Numbered message streams for the fault suite: publishers that publish
 * 0, 1, 2, ... on their own topic and remember every publish() they called,
 * and a ledger on the subscriber that checks what arrived against them.
 *
 * What is checked (MQTT 5 §4.3, §4.6; the same rules hold for 3.1.1):
 * - every message whose publish() was called arrives: QoS 1 at least once
 *   ([MQTT-4.3.2]), QoS 2 exactly once ([MQTT-4.3.3]) at the application;
 * - order per publisher (one topic, one QoS: the broker forwards in the order
 *   it received, [MQTT-4.6.0-6], and the client resends in the order it first
 *   sent, [MQTT-4.6.0-1]). A cut makes the publisher resend what was
 *   unacknowledged and the broker resend what the subscriber had not
 *   acknowledged, so QoS 1 may bring back older messages as duplicates. The
 *   order rule is therefore stated on first deliveries: each message seen
 *   for the first time is numbered higher than every message seen before it.
 *   With QoS 2's exactly once and nothing missing, that makes the deliveries
 *   exactly 0, 1, 2, ... in order.
 * - every publish() promise settles, and resolves.
 *
 * Two things a client cannot help are told apart with a wire tap on the
 * subscriber's connection (lib/wire-tap.ts), counted, and not failed: a QoS 2
 * message the broker sent again after its PUBREL, and a message the broker
 * sent after a higher-numbered one of the same stream.
 */

import type { MqttClient, ReceivedMessage } from '../../../src/node.js';

export interface StreamSpec {
  /** Names the publisher; its messages go to `<prefix>/<name>`. */
  name: string;
  qos: 1 | 2;
  count: number;
  /** At most this many publish() promises unsettled at once (the rest are published as these settle). */
  window: number;
  /** Payload size in bytes (the number, padded). Default 24. */
  payloadBytes?: number;
}

let utf8: TextEncoder | undefined;

function payloadOf(seq: number, size: number): Uint8Array {
  utf8 ??= new TextEncoder();
  const digits = utf8.encode(`${seq} `);
  if (digits.length >= size) return digits;
  const out = new Uint8Array(size).fill(0x2e);
  out.set(digits);
  return out;
}

/** The sequence number a payload carries (-1 if none). */
export function seqOf(payload: Uint8Array): number {
  let n = 0;
  let i = 0;
  for (; i < payload.length && payload[i] !== 0x20; i++) n = n * 10 + (payload[i] - 0x30);
  return i === 0 ? -1 : n;
}

/** Publishes a numbered stream and keeps account of every publish() it called. */
export class NumberedPublisher {
  called = 0;
  resolved = 0;
  /** Rejected publishes: the error's code and message, and the reason code the broker sent, if it sent one. */
  readonly rejected: { seq: number; error: string; reasonCode?: number }[] = [];
  private readonly unsettled = new Set<number>();
  private wake: (() => void) | undefined;
  private finished = false;
  private allSettled: (() => void) | undefined;

  constructor(
    readonly client: MqttClient,
    readonly topic: string,
    readonly spec: StreamSpec,
  ) {}

  get settled(): number {
    return this.resolved + this.rejected.length;
  }

  /** Sequence numbers whose publish() has not settled yet. */
  pending(): number[] {
    return [...this.unsettled].sort((a, b) => a - b);
  }

  /** Resolves once every publish() called so far has settled and run() has finished. */
  whenSettled(): Promise<void> {
    if (this.finished && this.unsettled.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.allSettled = resolve;
    });
  }

  /** Publishes the whole stream (resolves once every publish() was called, not settled). */
  async run(): Promise<void> {
    const { count, window, qos } = this.spec;
    const size = this.spec.payloadBytes ?? 24;
    while (this.called < count) {
      if (this.unsettled.size >= window) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const seq = this.called++;
      this.unsettled.add(seq);
      this.client.publish(this.topic, payloadOf(seq, size), { qos }).then(
        () => this.settle(seq),
        (err: Error & { code?: string; reasonCode?: number }) => this.settle(seq, err),
      );
    }
    this.finished = true;
  }

  private settle(seq: number, error?: Error & { code?: string; reasonCode?: number }): void {
    this.unsettled.delete(seq);
    if (error === undefined) this.resolved++;
    else this.rejected.push({ seq, error: `${error.code ?? error.name}: ${error.message}`, reasonCode: error.reasonCode });
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    if (this.finished && this.unsettled.size === 0) this.allSettled?.();
  }
}

export interface StreamResult {
  name: string;
  qos: 1 | 2;
  /** publish() calls made. */
  published: number;
  resolved: number;
  rejected: number;
  /** publish() promises still unsettled when checked. */
  pending: number;
  /** Deliveries to the application, and distinct messages among them. */
  deliveries: number;
  distinct: number;
  /** Deliveries beyond the first of a message. */
  duplicates: number;
  /**
   * QoS 2 only: duplicates the wire tap proves the broker caused by sending the
   * message again after its PUBREL ([MQTT-4.3.3-6]); a client cannot tell those from new messages.
   */
  brokerDuplicates: number;
  /** First deliveries out of order that the broker sent out of order ([MQTT-4.6.0-6]); not counted in `orderViolations`. */
  brokerReordered: number;
  /** Published, never delivered (first few listed in `missingSample`). */
  missing: number;
  missingSample: number[];
  /** First deliveries that broke the order rule (see the module comment). */
  orderViolations: number;
  orderSample: string[];
  /** Deliveries with a QoS other than the stream's, or with a number never published. */
  strays: number;
}

interface Track {
  /** Deliveries per sequence number. */
  seen: Map<number, number>;
  maxFirst: number;
  deliveries: number;
  orderViolations: number;
  orderSample: string[];
  strays: number;
  /** QoS 2 duplicates the broker caused (see StreamResult.brokerDuplicates). */
  brokerDuplicates: number;
  /** First deliveries out of order because the broker sent them so (see StreamResult.brokerReordered). */
  brokerReordered: number;
}

/** Says which anomalies the broker caused, from what it sent (a wire tap). */
export interface BrokerExcuses {
  /** The broker sent this QoS 2 message again after its PUBREL. */
  duplicate(topic: string, seq: number): boolean;
  /** The broker first sent this message after a higher-numbered one of the same stream. */
  reordered(topic: string, seq: number): boolean;
}

/** Records what a subscriber's application receives, per publisher topic. */
export class DeliveryLedger {
  private readonly tracks = new Map<string, Track>();
  private waiter: { test: () => boolean; resolve: () => void } | undefined;
  total = 0;

  constructor(
    private readonly prefix: string,
    private readonly streams: readonly StreamSpec[],
  ) {
    for (const s of streams)
      this.tracks.set(`${prefix}/${s.name}`, {
        seen: new Map(),
        maxFirst: -1,
        deliveries: 0,
        orderViolations: 0,
        orderSample: [],
        strays: 0,
        brokerDuplicates: 0,
        brokerReordered: 0,
      });
  }

  /** Records what `client` receives from now on (attach before it connects: a kept session delivers right after CONNACK). */
  attach(client: MqttClient): this {
    client.on('message', (m) => this.record(m));
    return this;
  }

  /** Whether message `seq` of stream `name` was delivered. */
  has(name: string, seq: number): boolean {
    return this.deliveries(name, seq) > 0;
  }

  /** How many times message `seq` of stream `name` was delivered. */
  deliveries(name: string, seq: number): number {
    return this.tracks.get(`${this.prefix}/${name}`)?.seen.get(seq) ?? 0;
  }

  /** Which anomalies the broker caused (none known without a wire tap). */
  excuses: BrokerExcuses = { duplicate: () => false, reordered: () => false };

  /** Every delivery, when `keepLog` is set (to explain a failure with a wire tap's timeline). */
  readonly log: { at: number; topic: string; seq: number; dup: boolean }[] = [];
  keepLog = false;

  private record(m: ReceivedMessage): void {
    const track = this.tracks.get(m.topic);
    if (track === undefined) return;
    if (this.keepLog) this.log.push({ at: performance.now(), topic: m.topic, seq: seqOf(m.payload), dup: m.dup });
    this.total++;
    track.deliveries++;
    const spec = this.streams.find((s) => `${this.prefix}/${s.name}` === m.topic);
    const seq = seqOf(m.payload);
    if (seq < 0 || m.qos !== spec?.qos) track.strays++;
    const before = track.seen.get(seq) ?? 0;
    track.seen.set(seq, before + 1);
    if (before > 0 && spec?.qos === 2 && this.excuses.duplicate(m.topic, seq)) track.brokerDuplicates++;
    if (before === 0 && seq < track.maxFirst) {
      if (this.excuses.reordered(m.topic, seq)) track.brokerReordered++;
      else {
        track.orderViolations++;
        if (track.orderSample.length < 5) track.orderSample.push(`${seq} after ${track.maxFirst}`);
      }
    }
    if (before === 0 && seq > track.maxFirst) track.maxFirst = seq;
    this.wakeWaiter();
  }

  private wakeWaiter(): void {
    if (this.waiter?.test()) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }

  /** Distinct messages received from `name`. */
  distinct(name: string): number {
    return this.tracks.get(`${this.prefix}/${name}`)?.seen.size ?? 0;
  }

  /** Resolves once every publisher's first `counts[name]` messages have all arrived (or rejects after `ms`). */
  waitFor(counts: Record<string, number>, ms: number): Promise<void> {
    return this.waitUntil(
      () => Object.entries(counts).every(([name, n]) => this.distinct(name) >= n),
      ms,
      () => this.progress(counts),
    );
  }

  /** Resolves once `test()` holds, checked after every delivery (or rejects after `ms`, saying `progress()`). */
  async waitUntil(test: () => boolean, ms: number, progress: () => string): Promise<void> {
    if (test()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out after ${ms} ms waiting for deliveries: ${progress()}`));
      }, ms);
      this.waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  progress(counts: Record<string, number>): string {
    return Object.entries(counts)
      .map(([name, n]) => `${name} ${this.distinct(name)}/${n}`)
      .join(', ');
  }

  /** The verdict for one publisher. */
  result(publisher: NumberedPublisher): StreamResult {
    const spec = publisher.spec;
    const track = this.tracks.get(`${this.prefix}/${spec.name}`);
    if (track === undefined) throw new Error(`no stream named ${spec.name}`);
    const missingSample: number[] = [];
    let missing = 0;
    for (let seq = 0; seq < publisher.called; seq++) {
      if (track.seen.has(seq)) continue;
      missing++;
      if (missingSample.length < 10) missingSample.push(seq);
    }
    let strays = track.strays;
    for (const seq of track.seen.keys()) if (seq >= publisher.called) strays++;
    return {
      name: spec.name,
      qos: spec.qos,
      published: publisher.called,
      resolved: publisher.resolved,
      rejected: publisher.rejected.length,
      pending: publisher.called - publisher.settled,
      deliveries: track.deliveries,
      distinct: track.seen.size,
      duplicates: track.deliveries - track.seen.size,
      brokerDuplicates: track.brokerDuplicates,
      brokerReordered: track.brokerReordered,
      missing,
      missingSample,
      orderViolations: track.orderViolations,
      orderSample: track.orderSample,
      strays,
    };
  }
}

/** One line per stream for the test output. */
export function formatResult(r: StreamResult): string {
  return (
    `[fault]   ${r.name} QoS ${r.qos}: published ${r.published}, resolved ${r.resolved}, rejected ${r.rejected}, pending ${r.pending}; ` +
    `delivered ${r.deliveries} (${r.distinct} distinct, ${r.duplicates} duplicates` +
    `${r.qos === 2 ? `, ${r.brokerDuplicates} of them re-sent by the broker after PUBREL` : ''}), missing ${r.missing}` +
    `${r.missing > 0 ? ` e.g. ${r.missingSample.join(',')}` : ''}, order violations ${r.orderViolations}` +
    `${r.brokerReordered > 0 ? ` (and ${r.brokerReordered} first sent out of order by the broker)` : ''}` +
    `${r.orderViolations > 0 ? ` e.g. ${r.orderSample.join('; ')}` : ''}, strays ${r.strays}`
  );
}

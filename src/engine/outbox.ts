/**
 * Everything the client sends that needs an answer: QoS 1/2 publishes
 * (MQTT 5 §4.3), SUBSCRIBE and UNSUBSCRIBE, plus the queue in front of them.
 *
 * Design: one FIFO (the store's offline queue) holds publishes that cannot be
 * sent yet: no connection, the broker's Receive Maximum reached
 * ([MQTT-4.9.0-2]), or all 65,535 packet ids in flight. Publishes leave it in
 * order, so a QoS 0 never overtakes a QoS 1 queued before it. SUBSCRIBE and
 * UNSUBSCRIBE have their own small queue and go first after a (re)connect.
 * Packet ids are allocated when a packet is sent, never while queued, and
 * released only when its exchange completes.
 *
 * Restored state: a store opened from disk (FileStore) already holds entries
 * when the Outbox is built. Their ids are claimed at once, so no new publish
 * reuses one; they are resent (session present) or published again (session
 * lost) after CONNACK, ahead of the queue, exactly like entries of an earlier
 * connection. Their publish() promises died with the old process: such
 * caller-less publishes complete silently, a failure (a reason code >= 0x80,
 * or a broker that cannot take them any more) is reported as an 'error'
 * event, and a closing client keeps them in the store rather than dropping
 * them (nobody was told they failed).
 */
import { encode, encodedSize } from '../codec/encode.js';
import { isSharedFilter } from '../codec/topics.js';
import type {
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  SubackPacket,
  SubscribePacket,
  SubscribeProperties,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
} from '../codec/types.js';
import { InvalidArgumentError, type MqttkitError, StateError } from '../errors.js';
import { LazyMap } from '../store/lazy.js';
import { Ring } from '../store/ring.js';
import type { Store } from '../store/types.js';
import type { Link } from './link.js';
import { PacketIds } from './packet-ids.js';
import { reasonError } from './reasons.js';
import { type OutboundAlias, OutboundAliases } from './topic-aliases.js';
import type { OpId } from './types.js';

interface PendingControl {
  op: OpId | undefined;
  packet: SubscribePacket | UnsubscribePacket;
}

export interface OutboxLimits {
  maxQueuedMessages: number;
  maxQueuedBytes: number;
}

export class Outbox {
  readonly ids = new PacketIds();
  private readonly opOfId = new LazyMap<number, OpId>();
  private readonly opOfQueued = new LazyMap<PublishPacket, OpId>();
  private queuedBytes = 0;
  private readonly controlQueue: PendingControl[] = [];
  private readonly controlInFlight = new LazyMap<number, PendingControl>();
  /** Stored publishes to resend on this connection once the broker's Receive Maximum allows. */
  private readonly resend = new Ring<number>();
  /** A QoS 2 publish's PUBREC reason (e.g. 0x10 no matching subscribers), reported when PUBCOMP completes it. */
  private readonly pubrecCodes = new LazyMap<number, number>();
  /** Filters granted by the broker, to re-subscribe when a session was lost. */
  readonly subscriptions = new LazyMap<string, { subscription: Subscription; properties?: SubscribeProperties }>();
  readonly aliases = new OutboundAliases();

  constructor(
    private readonly link: Link,
    readonly store: Store,
    private readonly limits: OutboxLimits,
  ) {
    for (const entry of store.outgoing()) this.ids.claim(entry.packetId);
    for (let i = 0, n = store.queuedCount; i < n; i++) {
      const p = store.dequeue() as PublishPacket;
      this.queuedBytes += p.payload.length;
      store.enqueue(p);
    }
  }

  get queuedCount(): number {
    return this.store.queuedCount;
  }

  get inFlightCount(): number {
    return this.store.outgoingCount;
  }

  /** Nothing waits for an answer and nothing is queued: a graceful end may proceed. */
  get idle(): boolean {
    return (
      this.store.outgoingCount === 0 && this.store.queuedCount === 0 && this.controlInFlight.size === 0 && this.controlQueue.length === 0
    );
  }

  /** Validates a publish and either sends it now or queues it. */
  publish(packet: PublishPacket, op: OpId): void {
    const qos: unknown = packet.qos;
    if (qos !== 0 && qos !== 1 && qos !== 2) {
      this.link.fail(op, new InvalidArgumentError(`qos: must be 0, 1 or 2, got ${String(qos)}`, 'qos'));
      return;
    }
    if (this.store.queuedCount === 0 && this.canSend(packet.qos)) {
      this.send(packet, op);
      return;
    }
    try {
      // Validate now (with a stand-in id) so a bad publish fails at once, not when dequeued.
      encodedSize(packet.qos > 0 ? { ...packet, packetId: 1 } : packet, this.link.version);
    } catch (err) {
      this.link.fail(op, err as MqttkitError);
      return;
    }
    if (this.store.queuedCount >= this.limits.maxQueuedMessages || this.queuedBytes + packet.payload.length > this.limits.maxQueuedBytes) {
      this.link.fail(
        op,
        new StateError(
          `publish: offline queue full (${this.store.queuedCount} messages, ${this.queuedBytes} bytes; limits maxQueuedMessages=${this.limits.maxQueuedMessages}, maxQueuedBytes=${this.limits.maxQueuedBytes})`,
          'MQTTKIT_ERR_QUEUE_FULL',
          { retryable: true },
        ),
      );
      return;
    }
    this.store.enqueue(packet);
    this.queuedBytes += packet.payload.length;
    this.opOfQueued.set(packet, op);
  }

  subscribe(packet: SubscribePacket | UnsubscribePacket, op: OpId | undefined): void {
    try {
      encodedSize({ ...packet, packetId: 1 }, this.link.version);
    } catch (err) {
      this.link.fail(op, err as MqttkitError);
      return;
    }
    this.controlQueue.push({ op, packet });
    this.drain();
  }

  /** Gives up on a queued or in-flight operation (already failed by the caller). Returns true if found. */
  cancel(op: OpId): boolean {
    for (const [packet, queuedOp] of this.opOfQueued) {
      if (queuedOp !== op) continue;
      this.opOfQueued.delete(packet);
      this.store.removeQueued(packet);
      this.queuedBytes -= packet.payload.length;
      return true;
    }
    // A sent publish cannot be taken back; it completes without a caller.
    for (const [id, sentOp] of this.opOfId) {
      if (sentOp === op) {
        this.opOfId.delete(id);
        return true;
      }
    }
    const i = this.controlQueue.findIndex((c) => c.op === op);
    if (i !== -1) {
      this.controlQueue.splice(i, 1);
      return true;
    }
    for (const pending of this.controlInFlight.values()) {
      if (pending.op === op) {
        pending.op = undefined;
        return true;
      }
    }
    return false;
  }

  private canSend(qos: number): boolean {
    if (!this.link.connected || !this.link.writable) return false;
    if (qos === 0) return true;
    return this.resend.size === 0 && this.store.outgoingCount < this.link.broker.receiveMaximum && this.ids.inUse < 65_535;
  }

  /** Sends what the queues hold, as far as the connection and the broker's quota allow. */
  drain(): void {
    if (!this.link.connected) return;
    // Resends first, within the quota left by what is on the wire ([MQTT-4.9.0-2]).
    while (this.resend.size > 0 && this.store.outgoingCount - this.resend.size < this.link.broker.receiveMaximum) {
      const entry = this.store.getOutgoing(this.resend.shift() as number);
      if (entry?.phase === 'publish') this.link.send({ ...entry.packet, dup: true });
    }
    while (this.controlQueue.length > 0 && this.ids.inUse < 65_535) {
      this.sendControl(this.controlQueue.shift() as PendingControl);
    }
    for (let p = this.store.peekQueue(); p !== undefined && this.canSend(p.qos); p = this.store.peekQueue()) {
      this.store.dequeue();
      this.queuedBytes -= p.payload.length;
      const op = this.opOfQueued.get(p);
      this.opOfQueued.delete(p);
      this.send(p, op);
    }
  }

  /** Why the broker (per CONNACK) would refuse this publish, or undefined. */
  private brokerProblem(p: PublishPacket): MqttkitError | undefined {
    const broker = this.link.broker;
    // [MQTT-3.2.2-11] never above the broker's Maximum QoS; [MQTT-3.2.2-14] no retain where unsupported.
    if (p.qos > broker.maximumQoS)
      return notSupported(`publish: the broker's Maximum QoS is ${broker.maximumQoS}; qos ${p.qos} refused`, 0x9b);
    if (p.retain && !broker.retainAvailable)
      return notSupported('publish: the broker does not support retained messages (retain: true refused)', 0x9a);
    // [MQTT-3.3.2-9] an alias of the caller's own must be within the broker's Topic Alias Maximum.
    const alias = p.properties?.topicAlias;
    if (alias !== undefined && alias > broker.topicAliasMaximum) {
      return new InvalidArgumentError(
        `properties.topicAlias: ${alias} exceeds the broker's Topic Alias Maximum of ${broker.topicAliasMaximum}`,
        'properties.topicAlias',
        0x94,
      );
    }
    return undefined;
  }

  private send(p: PublishPacket, op: OpId | undefined): void {
    const problem = this.brokerProblem(p);
    if (problem !== undefined) {
      this.failPublish(op, problem);
      return;
    }
    let id = 0;
    if (p.qos > 0) {
      id = this.ids.allocate();
      p.packetId = id;
    }
    const alias = this.link.version === 5 && p.properties?.topicAlias === undefined ? this.aliases.lookup(p.topic) : undefined;
    let bytes: Uint8Array;
    try {
      bytes = encode(alias === undefined ? p : withAlias(p, alias), this.link.version);
    } catch (err) {
      if (id !== 0) this.ids.release(id);
      this.failPublish(op, err as MqttkitError);
      return;
    }
    // [MQTT-3.2.2-15] nothing larger than the broker's Maximum Packet Size.
    if (bytes.length > this.link.broker.maximumPacketSize) {
      if (id !== 0) this.ids.release(id);
      this.failPublish(
        op,
        new InvalidArgumentError(
          `payload: the packet would be ${bytes.length} bytes; the broker accepts at most ${this.link.broker.maximumPacketSize}`,
          'payload',
          0x95,
        ),
      );
      return;
    }
    if (alias !== undefined) this.aliases.commit(p.topic, alias);
    if (id !== 0) {
      this.store.putOutgoing({ packetId: id, phase: 'publish', packet: p });
      if (op !== undefined) this.opOfId.set(id, op);
    }
    this.link.sendBytes(bytes);
    if (id === 0) this.link.settle(op, { kind: 'publish' });
  }

  private sendControl(pending: PendingControl): void {
    const packet = pending.packet;
    if (packet.type === 'subscribe') {
      const problem = this.subscribeProblem(packet);
      if (problem !== undefined) {
        this.link.fail(pending.op, problem);
        return;
      }
    }
    packet.packetId = this.ids.allocate();
    this.controlInFlight.set(packet.packetId, pending);
    this.link.send(packet);
  }

  private subscribeProblem(packet: SubscribePacket): MqttkitError | undefined {
    const broker = this.link.broker;
    if (!broker.subscriptionIdentifiersAvailable && packet.properties?.subscriptionIdentifier !== undefined) {
      return notSupported('subscribe: the broker does not support subscription identifiers', 0xa1);
    }
    for (const s of packet.subscriptions) {
      if (!broker.sharedSubscriptionAvailable && isSharedFilter(s.topicFilter)) {
        return notSupported(`subscribe: the broker does not support shared subscriptions ("${s.topicFilter}")`, 0x9e);
      }
      if (!broker.wildcardSubscriptionAvailable && /[+#]/.test(s.topicFilter)) {
        return notSupported(`subscribe: the broker does not support wildcard subscriptions ("${s.topicFilter}")`, 0xa2);
      }
    }
    return undefined;
  }

  onPuback(p: PubackPacket): void {
    const entry = this.store.getOutgoing(p.packetId);
    if (entry === undefined || entry.phase !== 'publish' || entry.packet.qos !== 1) return; // a late duplicate
    this.complete(p.packetId, p.reasonCode, p.properties, 'puback');
  }

  onPubrec(p: PubrecPacket): void {
    const entry = this.store.getOutgoing(p.packetId);
    if (entry === undefined || entry.packet.qos !== 2) {
      // [MQTT-4.3.3-?] answer an unknown PUBREC so the broker can finish; 0x92 on MQTT 5.
      this.link.send({ type: 'pubrel', packetId: p.packetId, reasonCode: this.link.version === 5 ? 0x92 : undefined });
      return;
    }
    if ((p.reasonCode ?? 0) >= 0x80) {
      // A failed PUBREC ends the exchange: no PUBREL follows (MQTT 5 §4.3.3).
      this.complete(p.packetId, p.reasonCode, p.properties, 'pubrec');
      return;
    }
    if (p.reasonCode) this.pubrecCodes.set(p.packetId, p.reasonCode);
    this.store.putOutgoing({ packetId: p.packetId, phase: 'pubrel', packet: entry.packet });
    this.link.send({ type: 'pubrel', packetId: p.packetId }); // [MQTT-4.3.3-9]
  }

  onPubcomp(p: PubcompPacket): void {
    const entry = this.store.getOutgoing(p.packetId);
    if (entry === undefined || entry.phase !== 'pubrel') return;
    this.complete(p.packetId, p.reasonCode, p.properties, 'pubcomp');
  }

  private complete(id: number, reasonCode: number | undefined, properties: { reasonString?: string } | undefined, packet: string): void {
    this.store.deleteOutgoing(id);
    this.ids.release(id);
    const pubrecCode = this.pubrecCodes.get(id);
    if (pubrecCode !== undefined) {
      this.pubrecCodes.delete(id);
      if (!reasonCode) reasonCode = pubrecCode;
    }
    const op = this.opOfId.get(id);
    this.opOfId.delete(id);
    if (reasonCode !== undefined && reasonCode >= 0x80) {
      this.failPublish(op, reasonError(packet, reasonCode, properties?.reasonString));
    } else {
      this.link.settle(op, { kind: 'publish', reasonCode, properties });
    }
    this.drain();
  }

  /** Rejects a publish's promise; one nobody waits for (restored from a store, or aborted after it was sent) is reported as an event. */
  private failPublish(op: OpId | undefined, error: MqttkitError): void {
    if (op === undefined) this.link.emit({ type: 'error', error });
    else this.link.fail(op, error);
  }

  onSuback(p: SubackPacket | UnsubackPacket): void {
    const pending = this.controlInFlight.get(p.packetId);
    if (pending === undefined) return;
    this.controlInFlight.delete(p.packetId);
    this.ids.release(p.packetId);
    const request = pending.packet;
    const codes = p.reasonCodes ?? (request.type === 'unsubscribe' ? request.topicFilters.map(() => 0) : []);
    if (request.type === 'subscribe') {
      request.subscriptions.forEach((s, i) => {
        if ((codes[i] ?? 0x80) < 0x80) this.subscriptions.set(s.topicFilter, { subscription: s, properties: request.properties });
      });
    } else {
      for (const f of request.topicFilters) this.subscriptions.delete(f);
    }
    const failed = codes.filter((c) => c >= 0x80);
    if (codes.length > 0 && failed.length === codes.length) {
      this.link.fail(pending.op, reasonError(p.type, failed[0], p.properties?.reasonString));
    } else {
      this.link.settle(pending.op, { kind: request.type, reasonCodes: codes });
    }
    this.drain();
  }

  /**
   * After CONNACK. With the session kept, resend what was in flight, in order,
   * PUBLISH with DUP ([MQTT-4.4.0-1], [MQTT-3.3.1-1]). With it lost, PUBLISHes
   * not yet acknowledged go back to the front of the queue as new messages and
   * those past PUBREC count as delivered; subscriptions are made again.
   */
  resume(sessionPresent: boolean, resubscribe: boolean): void {
    const inFlightControl = [...this.controlInFlight.values()];
    for (const id of this.controlInFlight.keys()) this.ids.release(id);
    this.controlInFlight.clear();
    this.controlQueue.unshift(...inFlightControl);

    this.resend.clear();
    if (sessionPresent) {
      // In the original order, no more PUBLISHes on the wire than the broker's Receive Maximum; the rest follow acks.
      let onWire = 0;
      for (const entry of this.store.outgoing()) {
        if (entry.phase === 'pubrel') this.link.send({ type: 'pubrel', packetId: entry.packetId });
        else if (onWire < this.link.broker.receiveMaximum) this.link.send({ ...entry.packet, dup: true });
        else this.resend.push(entry.packetId);
        onWire++;
      }
    } else {
      const unsent: PublishPacket[] = [];
      for (const entry of this.store.outgoing()) {
        this.ids.release(entry.packetId);
        const op = this.opOfId.get(entry.packetId);
        this.opOfId.delete(entry.packetId);
        if (entry.phase === 'pubrel') {
          this.link.settle(op, { kind: 'publish' });
        } else {
          const { packetId: _, ...fresh } = entry.packet;
          const p: PublishPacket = { ...fresh, dup: false };
          unsent.push(p);
          if (op !== undefined) this.opOfQueued.set(p, op);
        }
      }
      this.store.clearSession();
      this.pubrecCodes.clear();
      for (let i = unsent.length - 1; i >= 0; i--) {
        this.store.requeue(unsent[i]);
        this.queuedBytes += unsent[i].payload.length;
      }
      if (resubscribe && this.subscriptions.size > 0) {
        const again = [...this.subscriptions.values()].map(
          (s): PendingControl => ({
            op: undefined,
            packet: { type: 'subscribe', packetId: 0, subscriptions: [s.subscription], properties: s.properties },
          }),
        );
        this.controlQueue.unshift(...again);
      }
    }
    this.drain();
  }

  /** Fails every operation still waiting (the client is closing for good). */
  failAll(error: MqttkitError): void {
    for (const op of this.opOfQueued.values()) this.link.fail(op, error);
    for (const op of this.opOfId.values()) this.link.fail(op, error);
    for (const c of this.controlQueue) this.link.fail(c.op, error);
    for (const c of this.controlInFlight.values()) this.link.fail(c.op, error);
    this.opOfId.clear();
    // A rejected publish must never go out later: take it out of the queue (in-flight ones stay; they may already be
    // delivered). Queued publishes nobody waits for (restored from a store) were never failed to anyone: they stay.
    for (let i = 0, n = this.opOfQueued.size > 0 ? this.store.queuedCount : 0; i < n; i++) {
      const p = this.store.dequeue() as PublishPacket;
      if (this.opOfQueued.has(p)) this.queuedBytes -= p.payload.length;
      else this.store.enqueue(p);
    }
    this.opOfQueued.clear();
    this.controlQueue.length = 0;
    for (const id of this.controlInFlight.keys()) this.ids.release(id);
    this.controlInFlight.clear();
  }
}

/** The packet as sent with a Topic Alias (the stored packet keeps its topic for a later connection). */
function withAlias(p: PublishPacket, alias: OutboundAlias): PublishPacket {
  return { ...p, topic: alias.announce ? p.topic : '', properties: { ...p.properties, topicAlias: alias.alias } };
}

function notSupported(message: string, reasonCode: number): StateError {
  return new StateError(message, 'MQTTKIT_ERR_NOT_SUPPORTED', { reasonCode, retryable: false });
}

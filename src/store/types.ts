/**
 * What the engine must not forget to keep a QoS 1/2 promise (MQTT 5 §4.1):
 * outgoing publishes not yet acknowledged (and those awaiting PUBCOMP),
 * incoming QoS 2 packet ids awaiting PUBREL, and the offline queue.
 *
 * Design: the engine calls these methods synchronously as its state changes;
 * a persistent store records each change (writing behind, with its own
 * durability policy) and holds the state it loaded when it was opened, so an
 * engine built on it starts where the last process stopped (the Outbox reads
 * it in its constructor). All backends behave alike because they replay the
 * same plain operations.
 *
 * Write-ahead: a persistent store must have written its records before the
 * packets they justify reach the network, or a crash could leave the broker
 * ahead of the store (a QoS 2 PUBLISH sent again under a new id after its
 * PUBREL left). The client calls `commit()` before every network write.
 */
import type { PublishPacket } from '../codec/types.js';

/** An outgoing QoS 1/2 publish the store keeps until the broker has fully acknowledged it. */
export interface OutgoingEntry {
  /** The packet identifier it was sent under. */
  packetId: number;
  /** `publish`: PUBLISH sent, awaiting PUBACK/PUBREC; `pubrel`: PUBREL sent, awaiting PUBCOMP. */
  phase: 'publish' | 'pubrel';
  /** The PUBLISH as sent, for resending it (with DUP) after a reconnection. */
  packet: PublishPacket;
}

/**
 * Where the client keeps what it must not forget to keep its QoS 1/2 promises: outgoing publishes not yet
 * acknowledged, incoming QoS 2 packet ids awaiting PUBREL, and the offline queue. The default
 * {@link MemoryStore} loses them with the process; a persistent store (`FileStore` on Node) keeps them across
 * restarts. Pass one as `ClientOptions.store`, one store per client.
 *
 * The engine calls these methods synchronously as its state changes. To write your own, keep the same semantics
 * as {@link MemoryStore}: order matters (resends follow it), and a persistent store's `commit()` must have handed
 * everything recorded so far to the operating system when it returns (it then survives the process being killed).
 *
 * @example
 * ```ts
 * const client = await connect('mqtt://localhost:1883', { clientId: 'dev-1', clean: false, store: new MemoryStore() });
 * ```
 */
export interface Store {
  /** Records an outgoing entry; a changed phase moves it to the end (PUBRELs resend in PUBREC order). */
  putOutgoing(entry: OutgoingEntry): void;
  /** The outgoing entry under `packetId`, if any. */
  getOutgoing(packetId: number): OutgoingEntry | undefined;
  /** Forgets an outgoing entry (its flow completed or failed). */
  deleteOutgoing(packetId: number): void;
  /** Outgoing entries in the order they must be resent ([MQTT-4.6.0-1], [MQTT-4.6.0-4]). */
  outgoing(): Iterable<OutgoingEntry>;
  /** How many outgoing entries there are. */
  readonly outgoingCount: number;

  /** Records an incoming QoS 2 packet id (before PUBREC leaves), so a resend of it is not delivered twice. */
  addIncoming(packetId: number): void;
  /** Whether an incoming QoS 2 packet id awaits PUBREL. */
  hasIncoming(packetId: number): boolean;
  /** Forgets an incoming QoS 2 packet id (PUBREL arrived). */
  deleteIncoming(packetId: number): void;
  /** How many incoming QoS 2 packet ids await PUBREL. */
  readonly incomingCount: number;

  /** Appends a publish (without packet id) to the offline queue. */
  enqueue(packet: PublishPacket): void;
  /** Puts a publish back at the front of the queue. */
  requeue(packet: PublishPacket): void;
  /** Takes the publish at the front of the queue. */
  dequeue(): PublishPacket | undefined;
  /** The publish at the front of the queue, left in place. */
  peekQueue(): PublishPacket | undefined;
  /** Removes a queued publish (when its operation is cancelled). */
  removeQueued(packet: PublishPacket): boolean;
  /** How many publishes the offline queue holds. */
  readonly queuedCount: number;

  /** Forgets the session: outgoing and incoming state (the queue is kept). */
  clearSession(): void;

  /**
   * Persistent stores: makes every change recorded so far durable before the
   * bytes they justify reach the network (write-ahead). The client calls it
   * before each network write. A store that can do it synchronously (the file
   * store hands the records to the operating system) returns nothing; one
   * that cannot (IndexedDB) returns a promise, and the client holds that
   * write until it settles. The promise must never reject.
   */
  commit?(): void | Promise<void>;
  /** Persistent stores: writes what is pending, makes it durable and releases the store (the opener calls it). */
  close?(): Promise<void>;
}

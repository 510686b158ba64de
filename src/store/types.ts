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

export interface OutgoingEntry {
  packetId: number;
  /** `publish`: PUBLISH sent, awaiting PUBACK/PUBREC; `pubrel`: PUBREL sent, awaiting PUBCOMP. */
  phase: 'publish' | 'pubrel';
  packet: PublishPacket;
}

export interface Store {
  /** Records an outgoing entry; a changed phase moves it to the end (PUBRELs resend in PUBREC order). */
  putOutgoing(entry: OutgoingEntry): void;
  getOutgoing(packetId: number): OutgoingEntry | undefined;
  deleteOutgoing(packetId: number): void;
  /** Outgoing entries in the order they must be resent ([MQTT-4.6.0-1], [MQTT-4.6.0-4]). */
  outgoing(): Iterable<OutgoingEntry>;
  readonly outgoingCount: number;

  addIncoming(packetId: number): void;
  hasIncoming(packetId: number): boolean;
  deleteIncoming(packetId: number): void;
  readonly incomingCount: number;

  /** Appends a publish (without packet id) to the offline queue. */
  enqueue(packet: PublishPacket): void;
  /** Puts a publish back at the front of the queue. */
  requeue(packet: PublishPacket): void;
  dequeue(): PublishPacket | undefined;
  peekQueue(): PublishPacket | undefined;
  /** Removes a queued publish (when its operation is cancelled). */
  removeQueued(packet: PublishPacket): boolean;
  readonly queuedCount: number;

  /** Forgets the session: outgoing and incoming state (the queue is kept). */
  clearSession(): void;

  /**
   * Persistent stores: hands every change recorded so far to the operating
   * system now (synchronously), so it survives the process being killed.
   * Hosts call it before writing the engine's bytes to the network.
   */
  commit?(): void;
  /** Persistent stores: writes what is pending, makes it durable and releases the store (the opener calls it). */
  close?(): Promise<void>;
}

/**
 * A wire tap for the fault proxy: decodes what went through each connection,
 * in forwarding order, so a test can tell what the broker had acknowledged
 * when it died, or whose fault a duplicate was. Decoding stops at a
 * connection's last whole packet (a cut mid-packet leaves a fragment that is
 * ignored).
 */

import { Decoder } from '../../../src/codec/decoder.js';
import type { Packet, ProtocolVersion } from '../../../src/codec/types.js';
import type { Direction } from '../../helpers/fault-proxy.js';
import { type BrokerExcuses, seqOf } from './stream.js';

export interface TappedPacket {
  /** performance.now() when the proxy forwarded the chunk that completed it. */
  at: number;
  connection: number;
  direction: Direction;
  packet: Packet;
}

export class WireTap {
  /** Every packet, when `keep` was asked for. */
  readonly packets: TappedPacket[] = [];
  private readonly decoders = new Map<string, Decoder>();
  private readonly listeners: ((t: TappedPacket) => void)[] = [];

  constructor(
    private readonly version: ProtocolVersion,
    private readonly keep = false,
  ) {}

  /** Whether the bytes forwarded so far on this connection and direction end inside a packet. */
  partial(connection: number, direction: Direction): boolean {
    return (this.decoders.get(`${connection}/${direction}`)?.bufferedBytes ?? 0) > 0;
  }

  onPacket(listener: (t: TappedPacket) => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** Pass as the proxy's `onChunk`. */
  readonly onChunk = (connection: number, direction: Direction, chunk: Uint8Array): void => {
    const key = `${connection}/${direction}`;
    let decoder = this.decoders.get(key);
    if (decoder === undefined) {
      decoder = new Decoder({ protocolVersion: this.version });
      this.decoders.set(key, decoder);
    }
    // Node hands every socket read a buffer of its own, so keeping views of it (payloads) is safe.
    decoder.feed(chunk);
    const at = performance.now();
    try {
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
        const tapped = { at, connection, direction, packet: p };
        if (this.keep) this.packets.push(tapped);
        for (const listener of this.listeners) listener(tapped);
      }
    } catch {
      // A stream the tap cannot parse is for the client or the broker to report, not the tap.
      this.decoders.set(key, new Decoder({ protocolVersion: this.version }));
    }
  };
}

/**
 * Finds PUBLISH packets sent out of order in one direction: on one
 * connection, a message numbered lower than one sent before it on that
 * connection, same topic; and, `acrossConnections`, a message sent for the
 * first time after a higher-numbered one had been (on any connection).
 * Neither side ever needs to: resends come first on a new connection, in
 * their original order ([MQTT-4.6.0-1]), and a broker forwards one client's
 * messages on a topic in the order it received them ([MQTT-4.6.0-6]).
 */
export class OrderAudit {
  /** `<topic> <seq>` of every message sent after a higher-numbered one. */
  readonly outOfOrder = new Set<string>();
  private readonly highestOnConnection = new Map<string, number>();
  private readonly highestFirstSent = new Map<string, number>();
  private readonly sent = new Set<string>();

  constructor(tap: WireTap, direction: Direction, acrossConnections: boolean) {
    tap.onPacket((t) => {
      const p = t.packet;
      if (t.direction !== direction || p.type !== 'publish') return;
      const seq = seqOf(p.payload);
      const message = `${p.topic} ${seq}`;
      const connection = `${t.connection} ${p.topic}`;
      const highest = this.highestOnConnection.get(connection) ?? -1;
      if (seq < highest) this.outOfOrder.add(message);
      else this.highestOnConnection.set(connection, seq);
      if (!acrossConnections || this.sent.has(message)) return;
      this.sent.add(message);
      const highestFirst = this.highestFirstSent.get(p.topic) ?? -1;
      if (seq < highestFirst) this.outOfOrder.add(message);
      else this.highestFirstSent.set(p.topic, seq);
    });
  }
}

/**
 * What the broker did that a client cannot help, seen on a subscriber's
 * connection: QoS 2 messages it sent again after their PUBREL, and messages
 * it sent out of order.
 *
 * A resend after PUBREL breaks [MQTT-4.3.3-6], and a receiver cannot tell it
 * from a new message (the PUBREL released its packet id), so it delivers it
 * twice. Mosquitto 2.0.x does this when a connection dies before a PUBREL it
 * was resending had been written: db__message_reconnect_reset_outgoing()
 * turns the message's state `mosq_ms_resend_pubrel` into
 * `mosq_ms_publish_qos2` on the next reconnect. Out of order: Mosquitto
 * 2.0.11 after a restart sends messages that arrive into free in-flight
 * slots ahead of older ones still in the client's queue, and catches up on
 * those over the following connections.
 */
export class BrokerAudit implements BrokerExcuses {
  /** `<topic> <seq>` of every QoS 2 message re-sent after its PUBREL. */
  readonly resentAfterPubrel = new Set<string>();
  private readonly order: OrderAudit;
  private readonly byId = new Map<number, { key: string; released: boolean }>();

  constructor(tap: WireTap) {
    this.order = new OrderAudit(tap, 'down', true);
    tap.onPacket((t) => this.see(t));
  }

  private see(t: TappedPacket): void {
    if (t.direction !== 'down') return;
    const p = t.packet;
    if (p.type === 'pubrel') {
      const entry = this.byId.get(p.packetId);
      if (entry !== undefined) entry.released = true;
      return;
    }
    if (p.type !== 'publish' || p.qos !== 2 || p.packetId === undefined) return;
    const key = `${p.topic} ${seqOf(p.payload)}`;
    const entry = this.byId.get(p.packetId);
    if (entry !== undefined && entry.key === key) {
      if (entry.released) this.resentAfterPubrel.add(key);
      return;
    }
    // A new message under this id (the old one completed).
    this.byId.set(p.packetId, { key, released: false });
  }

  duplicate(topic: string, seq: number): boolean {
    return this.resentAfterPubrel.has(`${topic} ${seq}`);
  }

  reordered(topic: string, seq: number): boolean {
    return this.order.outOfOrder.has(`${topic} ${seq}`);
  }
}

/**
 * Which publishes the broker acknowledged (PUBACK, or PUBREC under 0x80), on
 * which connection: watches client-to-broker PUBLISH and broker-to-client
 * acks on each connection, in forwarding order. A message is its topic and
 * sequence number.
 */
export class AckTracker {
  /** `<topic> <seq>` -> the connection its first acknowledgement came on. */
  readonly ackedOn = new Map<string, number>();
  private readonly sent = new Map<string, string>();

  constructor(tap: WireTap) {
    tap.onPacket((t) => this.see(t));
  }

  private see(t: TappedPacket): void {
    const p = t.packet;
    if (t.direction === 'up') {
      if (p.type === 'publish' && p.packetId !== undefined)
        this.sent.set(`${t.connection}/${p.packetId}`, `${p.topic} ${seqOf(p.payload)}`);
      return;
    }
    if (p.type !== 'puback' && p.type !== 'pubrec') return;
    if ((p.reasonCode ?? 0) >= 0x80) return;
    // The PUBLISH an ack answers went out on the same connection (a resend after a reconnect goes out again).
    const key = this.sent.get(`${t.connection}/${p.packetId}`);
    if (key !== undefined && !this.ackedOn.has(key)) this.ackedOn.set(key, t.connection);
  }

  /** Whether the broker had acknowledged the message on a connection numbered `connection` or lower. */
  ackedBy(key: string, connection: number): boolean {
    const on = this.ackedOn.get(key);
    return on !== undefined && on <= connection;
  }
}

/** A short description of a tapped packet, for logs. */
export function describePacket(t: TappedPacket): string {
  const p = t.packet;
  const base = `#${t.connection} ${t.direction === 'up' ? 'client->broker' : 'broker->client'} ${p.type}`;
  if (p.type === 'publish') return `${base} id=${p.packetId ?? '-'} qos=${p.qos} dup=${p.dup} seq=${seqOf(p.payload)} ${p.topic}`;
  if ('packetId' in p) return `${base} id=${p.packetId}${'reasonCode' in p && p.reasonCode ? ` rc=0x${p.reasonCode.toString(16)}` : ''}`;
  if (p.type === 'connack') return `${base} sessionPresent=${p.sessionPresent} rc=${p.reasonCode}`;
  return base;
}

/**
 * Messages from the broker (MQTT 5 §4.3): QoS 0 delivered, QoS 1 delivered
 * and acknowledged, QoS 2 delivered exactly once.
 *
 * Design: exactly-once inbound follows the specification's Method A: deliver
 * on the first PUBLISH with a packet id, remember the id until PUBREL
 * ([MQTT-4.3.3-10]), and answer repeats with PUBREC without delivering again.
 * Problems are returned as errors for the engine to close the connection with.
 */
import type { PublishPacket, PubrelPacket } from '../codec/types.js';
import { MalformedPacketError } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Link } from './link.js';
import { InboundAliases } from './topic-aliases.js';
import type { Message } from './types.js';

export class Inbox {
  readonly aliases = new InboundAliases();

  constructor(
    private readonly link: Link,
    private readonly store: Store,
    /** Our Topic Alias Maximum and Receive Maximum, as sent in CONNECT. */
    private readonly topicAliasMaximum: number,
    private readonly receiveMaximum: number,
  ) {}

  /** Handles an incoming PUBLISH; returns an error when the broker broke a rule. */
  onPublish(p: PublishPacket): MalformedPacketError | undefined {
    let topic = p.topic;
    const alias = p.properties?.topicAlias;
    if (alias !== undefined) {
      // [MQTT-3.3.2-10] an alias above our maximum is a protocol error.
      if (alias > this.topicAliasMaximum) {
        return new MalformedPacketError(
          `topicAlias: ${alias} exceeds our Topic Alias Maximum of ${this.topicAliasMaximum}`,
          'properties.topicAlias',
          0x94,
        );
      }
      if (topic.length > 0) this.aliases.set(alias, topic);
      else {
        const known = this.aliases.get(alias);
        if (known === undefined)
          return new MalformedPacketError(`topicAlias: ${alias} was never mapped to a topic`, 'properties.topicAlias', 0x82);
        topic = known;
      }
    }
    const message: Message = { topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup };
    if (p.properties !== undefined) message.properties = p.properties;
    const id = p.packetId as number;
    switch (p.qos) {
      case 0:
        this.link.push({ type: 'deliver', message });
        return undefined;
      case 1:
        if (this.store.hasIncoming(id)) return this.idInUse(id);
        this.link.push({ type: 'deliver', message });
        this.link.send({ type: 'puback', packetId: id });
        return undefined;
      case 2:
        if (!this.store.hasIncoming(id)) {
          // [MQTT-3.3.4-9] the broker may not have more QoS 2 awaiting PUBREL than our Receive Maximum.
          if (this.store.incomingCount >= this.receiveMaximum) {
            return new MalformedPacketError(`publish: more than ${this.receiveMaximum} QoS 2 messages in flight`, 'packetId', 0x93);
          }
          this.store.addIncoming(id);
          this.link.push({ type: 'deliver', message });
        }
        this.link.send({ type: 'pubrec', packetId: id });
        return undefined;
    }
  }

  /**
   * A QoS 1 PUBLISH under an id whose QoS 2 exchange still awaits PUBREL: the broker reused an id in
   * use ([MQTT-2.2.1-4]), so our session states disagree. MQTT 5 has an answer for exactly this,
   * PUBACK 0x91 (Packet Identifier in use), which ends that message without delivering it and keeps
   * the connection; MQTT 3.1.1 can only close it ([MQTT-4.8.0-1]).
   */
  private idInUse(id: number): MalformedPacketError | undefined {
    const error = new MalformedPacketError(`publish: packet id ${id} is still in use by a QoS 2 message awaiting PUBREL`, 'packetId', 0x82);
    if (this.link.version !== 5) return error;
    this.link.emit({ type: 'error', error });
    this.link.send({ type: 'puback', packetId: id, reasonCode: 0x91 });
    return undefined;
  }

  onPubrel(p: PubrelPacket): void {
    const known = this.store.hasIncoming(p.packetId);
    if (known) this.store.deleteIncoming(p.packetId);
    // [MQTT-4.3.3-11] always answer PUBREL with PUBCOMP; 0x92 on MQTT 5 for an unknown id.
    this.link.send({ type: 'pubcomp', packetId: p.packetId, reasonCode: !known && this.link.version === 5 ? 0x92 : undefined });
  }
}

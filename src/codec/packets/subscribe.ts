/** SUBSCRIBE (MQTT 5 §3.8, MQTT 3.1.1 §3.8). */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import { isSharedFilter } from '../topics.js';
import type { ProtocolVersion, QoS, RetainHandling, SubscribePacket, SubscribeProperties, Subscription } from '../types.js';
import { checkPacketId, invalid, type Reader, writeString, writeU16 } from '../wire.js';
import { checkQoS, expectFlags, readTopicFilter, refuseProperties, topicFilterSize, writeHeader } from './common.js';

const NO_LOCAL = 0x04;
const RETAIN_AS_PUBLISHED = 0x08;

let propsSize = 0;

function checkOptions(s: Subscription, v: ProtocolVersion, field: string): void {
  checkQoS(s.qos, `${field}.qos`);
  const { noLocal, retainAsPublished, retainHandling } = s;
  if (v !== 5) {
    if (noLocal || retainAsPublished || retainHandling) {
      invalid(field, `noLocal, retainAsPublished and retainHandling are MQTT 5 only; this connection speaks protocol level ${v}`);
    }
    return;
  }
  if (noLocal !== undefined && typeof noLocal !== 'boolean') invalid(`${field}.noLocal`, 'must be a boolean');
  if (retainAsPublished !== undefined && typeof retainAsPublished !== 'boolean') {
    invalid(`${field}.retainAsPublished`, 'must be a boolean');
  }
  if (retainHandling !== undefined && retainHandling !== 0 && retainHandling !== 1 && retainHandling !== 2) {
    invalid(`${field}.retainHandling`, `must be 0, 1 or 2, got ${String(retainHandling)}`);
  }
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
  if (noLocal && isSharedFilter(s.topicFilter)) invalid(`${field}.noLocal`, 'is not allowed on a shared subscription');
}

export function measureSubscribe(p: SubscribePacket, v: ProtocolVersion): number {
  checkPacketId(p.packetId);
  const subs = p.subscriptions;
  // [MQTT-3.8.3-3] at least one subscription.
  if (!Array.isArray(subs) || subs.length === 0) invalid('subscriptions', 'must hold at least one subscription');
  let size = 2;
  for (let i = 0; i < subs.length; i++) {
    const field = `subscriptions[${i}]`;
    if (typeof subs[i] !== 'object' || subs[i] === null) invalid(field, 'must be an object');
    size += topicFilterSize(subs[i].topicFilter, `${field}.topicFilter`, v) + 1;
    checkOptions(subs[i], v, field);
  }
  refuseProperties(p.properties, v, 'properties');
  if (v === 5) {
    propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, 'subscribe', 'properties');
    size += propertiesFieldSize(propsSize);
  }
  return size;
}

export function writeSubscribe(p: SubscribePacket, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, 0x82, remaining);
  pos = writeU16(buf, pos, p.packetId);
  if (v === 5) pos = writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
  for (const s of p.subscriptions) {
    pos = writeString(buf, pos, s.topicFilter);
    let options: number = s.qos;
    if (v === 5) {
      if (s.noLocal) options |= NO_LOCAL;
      if (s.retainAsPublished) options |= RETAIN_AS_PUBLISHED;
      options |= (s.retainHandling ?? 0) << 4;
    }
    buf[pos++] = options;
  }
  return pos;
}

export function decodeSubscribe(r: Reader, flags: number, v: ProtocolVersion): SubscribePacket {
  expectFlags(r, flags, 2, 'SUBSCRIBE'); // [MQTT-3.8.1-1]
  const packetId = r.u16('packetId');
  if (packetId === 0) r.fail('packetId', 'must not be 0'); // [MQTT-2.2.1-3]
  const packet: SubscribePacket = { type: 'subscribe', packetId, subscriptions: [] };
  if (v === 5) {
    const props = readProperties(r, 'subscribe') as SubscribeProperties | undefined;
    if (props !== undefined) packet.properties = props;
  }
  while (r.remaining() > 0) {
    const field = `subscriptions[${packet.subscriptions.length}]`;
    const topicFilter = readTopicFilter(r, `${field}.topicFilter`, v);
    const options = r.u8(`${field}.options`);
    const qos = options & 3;
    // 3.1.1 calls it malformed; MQTT 5 §3.8.3.1 a protocol error.
    if (qos === 3) r.fail(`${field}.qos`, 'QoS 3 is not a QoS', v === 5 ? 0x82 : 0x81);
    if (v !== 5) {
      if (options & 0xfc) r.fail(`${field}.options`, 'bits 7..2 are reserved and must be 0'); // 3.1.1 [MQTT-3-8.3-4]
      packet.subscriptions.push({ topicFilter, qos: qos as QoS });
      continue;
    }
    if (options & 0xc0) r.fail(`${field}.options`, 'bits 7..6 are reserved and must be 0'); // [MQTT-3.8.3-5]
    const retainHandling = (options >> 4) & 3;
    if (retainHandling === 3) r.fail(`${field}.retainHandling`, '3 is not a Retain Handling value', 0x82);
    const noLocal = (options & NO_LOCAL) !== 0;
    if (noLocal && isSharedFilter(topicFilter)) r.fail(`${field}.noLocal`, 'not allowed on a shared subscription', 0x82); // [MQTT-3.8.3-4]
    packet.subscriptions.push({
      topicFilter,
      qos: qos as QoS,
      noLocal,
      retainAsPublished: (options & RETAIN_AS_PUBLISHED) !== 0,
      retainHandling: retainHandling as RetainHandling,
    });
  }
  if (packet.subscriptions.length === 0) r.fail('subscriptions', 'SUBSCRIBE needs at least one subscription', 0x82); // [MQTT-3.8.3-3]
  return packet;
}

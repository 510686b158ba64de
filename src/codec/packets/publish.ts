/** PUBLISH (MQTT 5 §3.3, MQTT 3.1.1 §3.3): the hot path of the codec. */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import type { ProtocolVersion, PublishPacket, PublishProperties, QoS } from '../types.js';
import { writeUtf8 } from '../utf8.js';
import { checkPacketId, invalid, type Reader, writeString, writeU16 } from '../wire.js';
import { checkBoolean, checkQoS, readTopicName, refuseProperties, topicNameSize, writeHeader } from './common.js';

let propsSize = 0;
/** UTF-8 of the topic being encoded, when it came from the cache. */
let topicBytes: Uint8Array | undefined;

/**
 * Valid topic names seen recently, as UTF-8: telemetry publishes to the same
 * topics again and again, and a lookup beats scanning and encoding each time.
 */
const topicCache = new Map<string, Uint8Array>();
const MAX_CACHED_TOPICS = 1024;
const MAX_CACHED_TOPIC_LENGTH = 128;

function measureTopic(topic: string, allowEmpty: boolean): number {
  const cached = topicCache.get(topic);
  if (cached !== undefined) {
    topicBytes = cached;
    return cached.length + 2;
  }
  const size = topicNameSize(topic, 'topic', allowEmpty);
  topicBytes = undefined;
  if (size > 2 && size <= MAX_CACHED_TOPIC_LENGTH) {
    if (topicCache.size >= MAX_CACHED_TOPICS) topicCache.clear();
    const bytes = new Uint8Array(size - 2);
    writeUtf8(bytes, 0, topic);
    topicCache.set(topic, bytes);
    topicBytes = bytes;
  }
  return size;
}

export function measurePublish(p: PublishPacket, v: ProtocolVersion): number {
  const qos = checkQoS(p.qos, 'qos');
  checkBoolean(p.retain, 'retain');
  // [MQTT-3.3.1-2] DUP is 0 for every QoS 0 message.
  if (checkBoolean(p.dup, 'dup') && qos === 0) invalid('dup', 'must be false for QoS 0');
  if (!(p.payload instanceof Uint8Array)) invalid('payload', 'must be a Uint8Array');
  const props = p.properties;
  // An empty topic is how MQTT 5 says "the topic is the one this alias stands for".
  let size = measureTopic(p.topic, v === 5 && props?.topicAlias !== undefined) + p.payload.length;
  if (qos > 0) {
    checkPacketId(p.packetId);
    size += 2;
  }
  if (v === 5) {
    propsSize = props === undefined ? 0 : propertiesSize(props as Record<string, unknown>, 'publish', 'properties');
    size += propertiesFieldSize(propsSize);
  } else {
    refuseProperties(props, v, 'properties');
  }
  return size;
}

export function writePublish(p: PublishPacket, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  const byte0 = 0x30 | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0);
  pos = writeHeader(buf, pos, byte0, remaining);
  const topic = topicBytes;
  if (topic === undefined) pos = writeString(buf, pos, p.topic);
  else {
    pos = writeU16(buf, pos, topic.length);
    for (let i = 0; i < topic.length; i++) buf[pos++] = topic[i];
  }
  if (p.qos > 0) pos = writeU16(buf, pos, p.packetId as number);
  if (v === 5) pos = writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
  buf.set(p.payload, pos);
  return pos + p.payload.length;
}

export function decodePublish(r: Reader, flags: number, v: ProtocolVersion): PublishPacket {
  const qos = (flags >> 1) & 3;
  const dup = (flags & 8) !== 0;
  if (qos === 3) r.fail('qos', 'QoS 3 is not a QoS'); // [MQTT-3.3.1-4]
  if (dup && qos === 0) r.fail('dup', 'DUP must be 0 for QoS 0'); // [MQTT-3.3.1-2]
  const topic = readTopicName(r, 'topic', v === 5);
  const packet: PublishPacket = { type: 'publish', topic, payload: r.buf, qos: qos as QoS, retain: (flags & 1) !== 0, dup };
  if (qos > 0) {
    const id = r.u16('packetId');
    if (id === 0) r.fail('packetId', 'must not be 0 for QoS > 0'); // [MQTT-2.2.1-3]
    packet.packetId = id;
  }
  if (v === 5) {
    const props = readProperties(r, 'publish') as PublishProperties | undefined;
    if (props !== undefined) packet.properties = props;
    if (topic.length === 0 && props?.topicAlias === undefined) {
      r.fail('topic', 'an empty topic needs a Topic Alias', 0x82); // [MQTT-3.3.2-1] [MQTT-3.3.4-...]
    }
  }
  packet.payload = r.rest();
  return packet;
}

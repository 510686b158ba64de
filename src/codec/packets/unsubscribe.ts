/** UNSUBSCRIBE (MQTT 5 §3.10, MQTT 3.1.1 §3.10). */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import type { ProtocolVersion, UnsubscribePacket } from '../types.js';
import { checkPacketId, invalid, type Reader, writeString, writeU16 } from '../wire.js';
import { expectFlags, readTopicFilter, refuseProperties, topicFilterSize, writeHeader } from './common.js';

let propsSize = 0;

export function measureUnsubscribe(p: UnsubscribePacket, v: ProtocolVersion): number {
  checkPacketId(p.packetId);
  const filters = p.topicFilters;
  // [MQTT-3.10.3-2] at least one topic filter.
  if (!Array.isArray(filters) || filters.length === 0) invalid('topicFilters', 'must hold at least one topic filter');
  let size = 2;
  for (let i = 0; i < filters.length; i++) size += topicFilterSize(filters[i], `topicFilters[${i}]`, v);
  refuseProperties(p.properties, v, 'properties');
  if (v === 5) {
    propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, 'unsubscribe', 'properties');
    size += propertiesFieldSize(propsSize);
  }
  return size;
}

export function writeUnsubscribe(p: UnsubscribePacket, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, 0xa2, remaining);
  pos = writeU16(buf, pos, p.packetId);
  if (v === 5) pos = writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
  for (const f of p.topicFilters) pos = writeString(buf, pos, f);
  return pos;
}

export function decodeUnsubscribe(r: Reader, flags: number, v: ProtocolVersion): UnsubscribePacket {
  expectFlags(r, flags, 2, 'UNSUBSCRIBE'); // [MQTT-3.10.1-1]
  const packetId = r.u16('packetId');
  if (packetId === 0) r.fail('packetId', 'must not be 0'); // [MQTT-2.2.1-3]
  const packet: UnsubscribePacket = { type: 'unsubscribe', packetId, topicFilters: [] };
  if (v === 5) {
    const props = readProperties(r, 'unsubscribe');
    if (props !== undefined) packet.properties = props;
  }
  while (r.remaining() > 0) packet.topicFilters.push(readTopicFilter(r, `topicFilters[${packet.topicFilters.length}]`, v));
  if (packet.topicFilters.length === 0) r.fail('topicFilters', 'UNSUBSCRIBE needs at least one topic filter', 0x82); // [MQTT-3.10.3-2]
  return packet;
}

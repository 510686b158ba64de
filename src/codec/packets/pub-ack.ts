/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 5 §3.4-3.7): four packets of one
 * shape, a packet identifier and, on MQTT 5, a reason code and properties.
 */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import { isValidReasonCode } from '../reason-codes.js';
import type { AckProperties, ProtocolVersion, PubackPacket, PubcompPacket, PubrecPacket, PubrelPacket } from '../types.js';
import { checkPacketId, invalid, type Reader, writeU16 } from '../wire.js';
import { expectFlags, refuseProperties, refuseReasonCode, writeHeader } from './common.js';

export type PubAckPacket = PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket;
export type PubAckType = PubAckPacket['type'];

const BYTE0: Readonly<Record<PubAckType, number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

let propsSize = 0;

export function measurePubAck(p: PubAckPacket, v: ProtocolVersion): number {
  checkPacketId(p.packetId);
  refuseReasonCode(p.reasonCode, v);
  refuseProperties(p.properties, v, 'properties');
  if (v !== 5) return 2;
  const code = p.reasonCode ?? 0;
  if (!isValidReasonCode(p.type, code)) invalid('reasonCode', `0x${code.toString(16)} is not a ${p.type.toUpperCase()} reason code`);
  propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, 'ack', 'properties');
  // §3.4.2.1: success with no properties is just the packet identifier.
  if (propsSize === 0) return code === 0 ? 2 : 3;
  return 3 + propertiesFieldSize(propsSize);
}

export function writePubAck(p: PubAckPacket, _v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, BYTE0[p.type], remaining);
  pos = writeU16(buf, pos, p.packetId);
  if (remaining === 2) return pos;
  buf[pos++] = p.reasonCode ?? 0;
  if (remaining === 3) return pos;
  return writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
}

export function decodePubAck(r: Reader, type: PubAckType, flags: number, v: ProtocolVersion): PubAckPacket {
  expectFlags(r, flags, BYTE0[type] & 0x0f, type);
  const packetId = r.u16('packetId');
  if (packetId === 0) r.fail('packetId', 'must not be 0'); // [MQTT-2.2.1-3]
  if (v !== 5) {
    r.done(type);
    return { type, packetId };
  }
  const packet: PubAckPacket = { type, packetId, reasonCode: 0 };
  if (r.remaining() > 0) {
    const code = r.u8('reasonCode');
    if (!isValidReasonCode(type, code)) r.fail('reasonCode', `0x${code.toString(16)} is not a ${type.toUpperCase()} reason code`, 0x82);
    packet.reasonCode = code;
    if (r.remaining() > 0) {
      const props = readProperties(r, 'ack') as AckProperties | undefined;
      if (props !== undefined) packet.properties = props;
    }
  }
  r.done(type);
  return packet;
}

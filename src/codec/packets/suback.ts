/** SUBACK and UNSUBACK (MQTT 5 §3.9, §3.11): a packet identifier and one reason code per filter. */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import { isByte, isValidReasonCode } from '../reason-codes.js';
import type { AckProperties, ProtocolVersion, SubackPacket, UnsubackPacket } from '../types.js';
import { checkPacketId, invalid, type Reader, writeU16 } from '../wire.js';
import { expectFlags, refuseProperties, writeHeader } from './common.js';

type Ack = SubackPacket | UnsubackPacket;

/** MQTT 3.1/3.1.1 SUBACK return codes: the granted QoS, or 0x80 for failure. */
function isV3SubackCode(code: number): boolean {
  return isByte(code) && (code <= 2 || code === 0x80);
}

function codeProblem(type: Ack['type'], code: unknown, v: ProtocolVersion): string | undefined {
  if (typeof code !== 'number') return 'must be a number';
  const ok = v === 5 ? isValidReasonCode(type, code) : type === 'suback' && isV3SubackCode(code);
  return ok ? undefined : `0x${code.toString(16)} is not a ${type.toUpperCase()} ${v === 5 ? 'reason' : 'return'} code`;
}

let propsSize = 0;

export function measureSuback(p: Ack, v: ProtocolVersion): number {
  checkPacketId(p.packetId);
  const codes = p.reasonCodes;
  const hasCodes = p.type === 'suback' || v === 5;
  let size = 2;
  if (hasCodes) {
    if (!Array.isArray(codes) || codes.length === 0) invalid('reasonCodes', 'must hold one code per topic filter');
    for (let i = 0; i < codes.length; i++) {
      const problem = codeProblem(p.type, codes[i], v);
      if (problem !== undefined) invalid(`reasonCodes[${i}]`, problem);
    }
    size += codes.length;
  } else if (codes !== undefined && (!Array.isArray(codes) || codes.some((c) => c !== 0))) {
    invalid('reasonCodes', `MQTT 5 only; this connection speaks protocol level ${v}`);
  }
  refuseProperties(p.properties, v, 'properties');
  if (v === 5) {
    propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, 'ack', 'properties');
    size += propertiesFieldSize(propsSize);
  }
  return size;
}

export function writeSuback(p: Ack, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, p.type === 'suback' ? 0x90 : 0xb0, remaining);
  pos = writeU16(buf, pos, p.packetId);
  if (v === 5) pos = writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
  if (p.type === 'suback' || v === 5) {
    const codes = p.reasonCodes as number[];
    buf.set(codes, pos);
    pos += codes.length;
  }
  return pos;
}

export function decodeSuback(r: Reader, type: Ack['type'], flags: number, v: ProtocolVersion): Ack {
  const name = type.toUpperCase();
  expectFlags(r, flags, 0, name);
  const packetId = r.u16('packetId');
  if (packetId === 0) r.fail('packetId', 'must not be 0'); // [MQTT-2.2.1-3]
  let properties: AckProperties | undefined;
  if (v === 5) properties = readProperties(r, 'ack') as AckProperties | undefined;
  if (type === 'unsuback' && v !== 5) {
    r.done(name);
    return { type, packetId };
  }
  const codes = Array.from(r.rest());
  if (codes.length === 0) r.fail('reasonCodes', `${name} needs at least one code`);
  for (let i = 0; i < codes.length; i++) {
    const problem = codeProblem(type, codes[i], v);
    if (problem !== undefined) r.fail(`reasonCodes[${i}]`, problem, 0x82);
  }
  const packet: Ack = { type, packetId, reasonCodes: codes };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

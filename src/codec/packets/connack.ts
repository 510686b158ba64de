/** CONNACK (MQTT 5 §3.2, MQTT 3.1.1 §3.2). */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import { connackReturnCodeToReasonCode, isByte, isValidReasonCode } from '../reason-codes.js';
import type { ConnackPacket, ConnackProperties, ProtocolVersion } from '../types.js';
import { invalid, type Reader } from '../wire.js';
import { checkBoolean, expectFlags, refuseProperties, writeHeader } from './common.js';

/** Highest 3.1/3.1.1 return code (5: not authorized); 6..255 are reserved. */
const MAX_V3_RETURN_CODE = 5;

let propsSize = 0;

function reasonCodeProblem(code: number, v: ProtocolVersion): string | undefined {
  if (v === 5) return isValidReasonCode('connack', code) ? undefined : `0x${code.toString(16)} is not a CONNACK reason code`;
  return isByte(code) && code <= MAX_V3_RETURN_CODE ? undefined : `${code} is not a CONNACK return code (0..5)`;
}

export function measureConnack(p: ConnackPacket, v: ProtocolVersion): number {
  checkBoolean(p.sessionPresent, 'sessionPresent');
  if (p.sessionPresent && v === 3) invalid('sessionPresent', 'MQTT 3.1 has no Session Present flag');
  if (typeof p.reasonCode !== 'number') invalid('reasonCode', 'must be a number');
  const problem = reasonCodeProblem(p.reasonCode, v);
  if (problem !== undefined) invalid('reasonCode', problem);
  // [MQTT-3.2.2-4] [MQTT-3.2.2-6] a refusal never reports a kept session.
  if (p.sessionPresent && p.reasonCode !== 0) invalid('sessionPresent', 'must be false when the reason code is not 0');
  refuseProperties(p.properties, v, 'properties');
  if (v !== 5) return 2;
  propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, 'connack', 'properties');
  return 2 + propertiesFieldSize(propsSize);
}

export function writeConnack(p: ConnackPacket, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, 0x20, remaining);
  buf[pos++] = p.sessionPresent ? 1 : 0;
  buf[pos++] = p.reasonCode;
  if (v === 5) pos = writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
  return pos;
}

export function decodeConnack(r: Reader, flags: number, v: ProtocolVersion): ConnackPacket {
  expectFlags(r, flags, 0, 'CONNACK');
  const ackFlags = r.u8('acknowledgeFlags');
  // MQTT 3.1 leaves the whole byte reserved and unused; 3.1.1 and 5 use bit 0 only [MQTT-3.2.2-1].
  if (v !== 3 && ackFlags > 1) r.fail('acknowledgeFlags', 'bits 7..1 are reserved and must be 0');
  const sessionPresent = v !== 3 && ackFlags === 1;
  let reasonCode = r.u8('reasonCode');
  // A broker that only speaks 3.1.1 answers an MQTT 5 CONNECT with a 3.1.1 CONNACK (two bytes, no
  // properties; return code 1 = unacceptable version). Read it as its MQTT 5 equivalent (0x84 ...).
  if (v === 5 && r.remaining() === 0 && reasonCode >= 1 && reasonCode <= MAX_V3_RETURN_CODE) {
    reasonCode = connackReturnCodeToReasonCode(reasonCode);
    return { type: 'connack', sessionPresent: false, reasonCode };
  }
  const problem = reasonCodeProblem(reasonCode, v);
  if (problem !== undefined) r.fail('reasonCode', problem, 0x82);
  if (sessionPresent && reasonCode !== 0) r.fail('sessionPresent', 'must be 0 with a non-zero reason code', 0x82);
  const packet: ConnackPacket = { type: 'connack', sessionPresent, reasonCode };
  if (v === 5) {
    const props = readProperties(r, 'connack');
    if (props !== undefined) packet.properties = props as ConnackProperties;
  }
  r.done('CONNACK');
  return packet;
}

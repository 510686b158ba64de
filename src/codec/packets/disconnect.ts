/**
 * DISCONNECT and AUTH (MQTT 5 §3.14, §3.15): an optional reason code and
 * properties, both omitted on the wire for success without properties.
 * Before MQTT 5, DISCONNECT is empty and AUTH does not exist.
 */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import { isValidReasonCode } from '../reason-codes.js';
import type { AuthPacket, AuthProperties, DisconnectPacket, DisconnectProperties, ProtocolVersion } from '../types.js';
import { invalid, type Reader } from '../wire.js';
import { expectFlags, refuseProperties, refuseReasonCode, writeHeader } from './common.js';

type ReasonOnly = DisconnectPacket | AuthPacket;

let propsSize = 0;

export function measureReasonOnly(p: ReasonOnly, v: ProtocolVersion): number {
  if (p.type === 'auth' && v !== 5) invalid('type', `AUTH is MQTT 5 only; this connection speaks protocol level ${v}`);
  refuseReasonCode(p.reasonCode, v);
  refuseProperties(p.properties, v, 'properties');
  if (v !== 5) return 0;
  const code = p.reasonCode ?? 0;
  if (typeof code !== 'number' || !isValidReasonCode(p.type, code)) {
    invalid('reasonCode', `${String(code)} is not a ${p.type.toUpperCase()} reason code`);
  }
  propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, p.type, 'properties');
  if (propsSize === 0) return code === 0 ? 0 : 1;
  return 1 + propertiesFieldSize(propsSize);
}

export function writeReasonOnly(p: ReasonOnly, _v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, p.type === 'disconnect' ? 0xe0 : 0xf0, remaining);
  if (remaining === 0) return pos;
  buf[pos++] = p.reasonCode ?? 0;
  if (remaining === 1) return pos;
  return writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
}

export function decodeReasonOnly(r: Reader, type: ReasonOnly['type'], flags: number, v: ProtocolVersion): ReasonOnly {
  const name = type.toUpperCase();
  expectFlags(r, flags, 0, name);
  if (v !== 5) {
    r.done(name);
    return { type: 'disconnect' };
  }
  const packet: ReasonOnly = { type, reasonCode: 0 };
  if (r.remaining() > 0) {
    const code = r.u8('reasonCode');
    if (!isValidReasonCode(type, code)) r.fail('reasonCode', `0x${code.toString(16)} is not a ${name} reason code`, 0x82);
    packet.reasonCode = code;
    if (r.remaining() > 0) {
      const props = readProperties(r, type);
      if (props !== undefined) packet.properties = props as DisconnectProperties & AuthProperties;
    }
  }
  r.done(name);
  return packet;
}

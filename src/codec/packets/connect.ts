/** CONNECT (MQTT 5 §3.1, MQTT 3.1.1 §3.1, MQTT 3.1 §3.1). */

import { propertiesFieldSize, propertiesSize, readProperties, writeProperties } from '../properties.js';
import type { ConnectPacket, ConnectProperties, ProtocolVersion, QoS, Will, WillProperties } from '../types.js';
import { binarySize, checkU16, invalid, type Reader, stringSize, writeBinary, writeString, writeU16 } from '../wire.js';
import { checkBoolean, checkQoS, expectFlags, readTopicName, refuseProperties, topicNameSize, writeHeader } from './common.js';

const USERNAME = 0x80;
const PASSWORD = 0x40;
const WILL_RETAIN = 0x20;
const WILL_QOS = 0x18;
const WILL = 0x04;
const CLEAN = 0x02;
const RESERVED = 0x01;

/** MQTT 3.1 §3.1: "between 1 and 23 characters long". */
const V31_MAX_CLIENT_ID = 23;

let propsSize = 0;
let willPropsSize = 0;

export function measureConnect(p: ConnectPacket, v: ProtocolVersion): number {
  const clientIdSize = stringSize(p.clientId, 'clientId');
  if (v === 3 && (clientIdSize === 2 || clientIdSize - 2 > V31_MAX_CLIENT_ID)) {
    invalid('clientId', `MQTT 3.1 needs 1 to ${V31_MAX_CLIENT_ID} bytes, got ${clientIdSize - 2}`, 0x85);
  }
  checkBoolean(p.clean, 'clean');
  // [MQTT-3.1.3-7] a zero-byte client id needs a clean session on 3.1.1.
  if (v === 4 && clientIdSize === 2 && !p.clean) invalid('clientId', 'an empty client id needs clean: true on MQTT 3.1.1', 0x85);
  checkU16(p.keepAlive, 'keepAlive');
  // Protocol name ("MQIsdp" for 3.1, "MQTT" after), level, flags, keep alive.
  let size = (v === 3 ? 8 : 6) + 4 + clientIdSize;
  refuseProperties(p.properties, v, 'properties');
  if (v === 5) {
    propsSize = propertiesSize(p.properties as Record<string, unknown> | undefined, 'connect', 'properties');
    size += propertiesFieldSize(propsSize);
  }
  const will = p.will;
  if (will !== undefined) {
    if (typeof will !== 'object' || will === null) invalid('will', 'must be an object');
    checkQoS(will.qos, 'will.qos');
    checkBoolean(will.retain, 'will.retain');
    size += topicNameSize(will.topic, 'will.topic', false) + binarySize(will.payload, 'will.payload');
    refuseProperties(will.properties, v, 'will.properties');
    if (v === 5) {
      willPropsSize = propertiesSize(will.properties as Record<string, unknown> | undefined, 'will', 'will.properties');
      size += propertiesFieldSize(willPropsSize);
    }
  }
  if (p.username !== undefined) size += stringSize(p.username, 'username');
  if (p.password !== undefined) {
    // [MQTT-3.1.2-22] before MQTT 5 a password needs a user name.
    if (p.username === undefined && v !== 5) invalid('password', 'needs a username before MQTT 5');
    size += binarySize(p.password, 'password');
  }
  return size;
}

export function writeConnect(p: ConnectPacket, v: ProtocolVersion, buf: Uint8Array, pos: number, remaining: number): number {
  pos = writeHeader(buf, pos, 0x10, remaining);
  pos = writeString(buf, pos, v === 3 ? 'MQIsdp' : 'MQTT');
  buf[pos++] = v;
  const will = p.will;
  let flags = p.clean ? CLEAN : 0;
  if (will !== undefined) flags |= WILL | (will.qos << 3) | (will.retain ? WILL_RETAIN : 0);
  if (p.username !== undefined) flags |= USERNAME;
  if (p.password !== undefined) flags |= PASSWORD;
  buf[pos++] = flags;
  pos = writeU16(buf, pos, p.keepAlive);
  if (v === 5) pos = writeProperties(buf, pos, p.properties as Record<string, unknown> | undefined, propsSize);
  pos = writeString(buf, pos, p.clientId);
  if (will !== undefined) {
    if (v === 5) pos = writeProperties(buf, pos, will.properties as Record<string, unknown> | undefined, willPropsSize);
    pos = writeString(buf, pos, will.topic);
    pos = writeBinary(buf, pos, will.payload);
  }
  if (p.username !== undefined) pos = writeString(buf, pos, p.username);
  if (p.password !== undefined) pos = writeBinary(buf, pos, p.password);
  return pos;
}

function readVersion(r: Reader): ProtocolVersion {
  const name = r.string('protocolName');
  const level = r.u8('protocolVersion');
  if (name === 'MQIsdp' && level === 3) return 3;
  if (name === 'MQTT' && (level === 4 || level === 5)) return level;
  if (name === 'MQTT' || name === 'MQIsdp') r.fail('protocolVersion', `protocol level ${level} is not supported`, 0x84);
  return r.fail('protocolName', `"${name}" is not an MQTT protocol name`);
}

export function decodeConnect(r: Reader, flags: number): ConnectPacket {
  expectFlags(r, flags, 0, 'CONNECT');
  const v = readVersion(r);
  const connectFlags = r.u8('connectFlags');
  if (connectFlags & RESERVED) r.fail('connectFlags', 'reserved bit 0 must be 0'); // [MQTT-3.1.2-3]
  const willQoS = (connectFlags & WILL_QOS) >> 3;
  const hasWill = (connectFlags & WILL) !== 0;
  if (willQoS === 3) r.fail('will.qos', 'QoS 3 is not a QoS'); // [MQTT-3.1.2-14]
  if (!hasWill && (willQoS !== 0 || connectFlags & WILL_RETAIN)) {
    r.fail('connectFlags', 'Will QoS and Will Retain must be 0 without a will'); // [MQTT-3.1.2-11] [MQTT-3.1.2-13]
  }
  if (v !== 5 && connectFlags & PASSWORD && !(connectFlags & USERNAME)) {
    r.fail('connectFlags', 'a password needs a username before MQTT 5'); // [MQTT-3.1.2-22]
  }
  const packet: ConnectPacket = {
    type: 'connect',
    protocolVersion: v,
    clientId: '',
    clean: (connectFlags & CLEAN) !== 0,
    keepAlive: r.u16('keepAlive'),
  };
  if (v === 5) {
    const props = readProperties(r, 'connect');
    if (props !== undefined) packet.properties = props as ConnectProperties;
  }
  const clientIdStart = r.pos;
  packet.clientId = r.string('clientId');
  const clientIdBytes = r.pos - clientIdStart - 2;
  // [MQTT-3.1.3-7] on 3.1.1 an empty client id needs a clean session.
  if (v === 4 && packet.clientId.length === 0 && !packet.clean) r.fail('clientId', 'an empty client id needs Clean Session', 0x85);
  if (v === 3 && (clientIdBytes === 0 || clientIdBytes > V31_MAX_CLIENT_ID)) {
    r.fail('clientId', `MQTT 3.1 allows 1 to ${V31_MAX_CLIENT_ID} bytes`, 0x85);
  }
  if (hasWill) {
    let willProps: WillProperties | undefined;
    if (v === 5) willProps = readProperties(r, 'will', 'will.properties') as WillProperties | undefined;
    const will: Will = {
      topic: readTopicName(r, 'will.topic', false),
      payload: r.binary('will.payload'),
      qos: willQoS as QoS,
      retain: (connectFlags & WILL_RETAIN) !== 0,
    };
    if (willProps !== undefined) will.properties = willProps;
    packet.will = will;
  }
  if (connectFlags & USERNAME) packet.username = r.string('username');
  if (connectFlags & PASSWORD) packet.password = r.binary('password');
  r.done('CONNECT');
  return packet;
}

/**
 * What every packet file shares: the fixed header (§2.1), the MQTT 5-only
 * guard, and the argument checks that packets repeat.
 */

import { topicFilterProblem, topicNameProblem } from '../topics.js';
import type { ProtocolVersion, QoS } from '../types.js';
import { HAS_WILDCARD, scanFlags } from '../utf8.js';
import { invalid, type Reader, stringSize, varintSize, writeVarint } from '../wire.js';

/** Control packet type numbers (§2.1.2). */
export const PacketTypeCode = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;

/** Fixed header plus body: the whole packet's length for a body of `remaining` bytes. */
export function packetSize(remaining: number): number {
  return 1 + varintSize(remaining) + remaining;
}

export function writeHeader(buf: Uint8Array, pos: number, byte0: number, remaining: number): number {
  buf[pos] = byte0;
  return writeVarint(buf, pos + 1, remaining);
}

/** Refuses MQTT 5 properties on an older protocol, where the wire has no room for them. */
export function refuseProperties(props: object | undefined, version: ProtocolVersion, field: string): void {
  if (props === undefined || version === 5) return;
  for (const key in props) {
    if ((props as Record<string, unknown>)[key] !== undefined) {
      invalid(`${field}.${key}`, `MQTT 5 only; this connection speaks protocol level ${version}`);
    }
  }
}

/** Refuses a non-success reason code on an older protocol, which cannot carry one. */
export function refuseReasonCode(code: number | undefined, version: ProtocolVersion, field = 'reasonCode'): void {
  if (code !== undefined && code !== 0 && version !== 5) {
    invalid(field, `MQTT 5 only; this connection speaks protocol level ${version}`);
  }
}

export function checkQoS(qos: unknown, field: string): QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) invalid(field, `must be 0, 1 or 2, got ${String(qos)}`);
  return qos;
}

export function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') invalid(field, `must be a boolean, got ${typeof value}`);
  return value;
}

/** Size of a topic name field; refuses wildcards and (unless allowed) an empty name. */
export function topicNameSize(topic: unknown, field: string, allowEmpty: boolean): number {
  const size = stringSize(topic, field);
  if (scanFlags & HAS_WILDCARD) invalid(field, `must not contain wildcards (+ or #): "${topic as string}"`, 0x90);
  if (size === 2 && !allowEmpty) invalid(field, 'must not be empty', 0x90);
  return size;
}

export function topicFilterSize(filter: unknown, field: string, version: ProtocolVersion): number {
  const size = stringSize(filter, field);
  const problem = topicFilterProblem(filter as string, version === 5);
  if (problem !== undefined) invalid(field, problem, 0x8f);
  return size;
}

export function readTopicName(r: Reader, field: string, allowEmpty: boolean): string {
  const topic = r.string(field);
  if (topic.length === 0 && allowEmpty) return topic;
  const problem = topicNameProblem(topic);
  if (problem !== undefined) r.fail(field, problem, 0x90);
  return topic;
}

export function readTopicFilter(r: Reader, field: string, version: ProtocolVersion): string {
  const filter = r.string(field);
  const problem = topicFilterProblem(filter, version === 5);
  if (problem !== undefined) r.fail(field, problem, 0x8f);
  return filter;
}

/** [MQTT-2.1.3-1] reserved flag bits must hold exactly the value the specification gives. */
export function expectFlags(r: Reader, flags: number, expected: number, packet: string): void {
  if (flags !== expected) {
    r.fail(
      'flags',
      `${packet.toUpperCase()} fixed header flags must be 0b${expected.toString(2).padStart(4, '0')}, got 0b${flags.toString(2).padStart(4, '0')}`,
    );
  }
}

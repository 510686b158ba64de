/**
 * `protocolVersion: 'auto'`: offer MQTT 5.0 first; when the broker refuses
 * the version (CONNACK 0x84 on MQTT 5, return code 1 on 3.1.1, or a close
 * with no CONNACK right after our CONNECT), offer 3.1.1, then 3.1. The
 * version a broker accepts is kept for every reconnection.
 */
import type { ProtocolVersion } from '../codec/types.js';

/** The version to offer after `version` was refused, or undefined when none is left. */
export function olderVersion(version: ProtocolVersion): ProtocolVersion | undefined {
  return version === 5 ? 4 : version === 4 ? 3 : undefined;
}

/**
 * A client identifier for a protocol level that needs one: MQTT 3.1 always
 * (1 to 23 characters), 3.1.1 when the session is to be kept ([MQTT-3.1.3-7]).
 */
export function generatedClientId(random: () => number): string {
  let id = 'mqttkit-';
  for (let i = 0; i < 12; i++) id += Math.floor(random() * 36).toString(36);
  return id;
}

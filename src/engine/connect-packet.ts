/**
 * The CONNECT the engine offers: its fields from the options, and for
 * `protocolVersion: 'auto'` the fallback. Offer MQTT 5.0 first; when the broker refuses
 * the version (CONNACK 0x84 on MQTT 5, return code 1 on 3.1.1, or a close
 * with no CONNACK right after our CONNECT), offer 3.1.1, then 3.1. The
 * version a broker accepts is kept for every reconnection.
 */
import type { ConnectPacket, ProtocolVersion } from '../codec/types.js';
import type { EngineOptions } from './types.js';

/** Seconds of keep alive when the options name none. */
export const DEFAULT_KEEPALIVE = 60;

/** The CONNECT for `version` from the options (MQTT 5 properties only on MQTT 5). */
export function connectPacket(o: EngineOptions, clientId: string, version: ProtocolVersion): ConnectPacket {
  const connect: ConnectPacket = { type: 'connect', clientId, clean: o.clean ?? true, keepAlive: o.keepAlive ?? DEFAULT_KEEPALIVE };
  if (o.username !== undefined) connect.username = o.username;
  if (o.password !== undefined) connect.password = o.password;
  if (o.will !== undefined) connect.will = o.will;
  if (o.properties !== undefined && version === 5) connect.properties = o.properties;
  return connect;
}

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

/**
 * Messages as JSON: `--json` (one object per line, for programs) and
 * mosquitto's `%j` / `%J` format fields (with a timestamp, for logs).
 */
import type { PublishProperties, QoS } from '../codec/types.js';
import { base64, decodeUtf8 } from './bytes.js';
import { isoLocal } from './time.js';

/** What the output needs of a message (ReceivedMessage has it all). */
export interface MessageView {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties?: PublishProperties | undefined;
}

/** Properties with binary values as base64 and user properties as [name, value] pairs (names may repeat). */
export function propertiesJson(properties: object | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (properties === undefined) return out;
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    out[key] = value instanceof Uint8Array ? base64(value) : value;
  }
  return out;
}

/** The payload as text when it is UTF-8, else base64, and which it is. */
export function payloadJson(payload: Uint8Array): { payload: string; encoding: 'utf8' | 'base64' } {
  const text = decodeUtf8(payload);
  return text === undefined ? { payload: base64(payload), encoding: 'base64' } : { payload: text, encoding: 'utf8' };
}

/** One `--json` line (without the newline). */
export function messageJson(m: MessageView): string {
  const { payload, encoding } = payloadJson(m.payload);
  return JSON.stringify({ topic: m.topic, payload, encoding, qos: m.qos, retain: m.retain, properties: propertiesJson(m.properties) });
}

/**
 * mosquitto_sub's `%j` (payload as a string) and `%J` (payload embedded as
 * JSON; as a string when it does not parse, so the line stays valid JSON).
 */
export function mosquittoJson(m: MessageView, now: Date, embedPayload: boolean): string {
  const out: Record<string, unknown> = { tst: isoLocal(now, true), topic: m.topic, qos: m.qos, retain: m.retain ? 1 : 0 };
  const properties = propertiesJson(m.properties);
  if (Object.keys(properties).length > 0) out.properties = properties;
  const { payload, encoding } = payloadJson(m.payload);
  if (encoding === 'base64') {
    out.encoding = encoding;
    out.payload = payload;
  } else if (embedPayload) {
    try {
      out.payload = JSON.parse(payload);
    } catch {
      out.payload = payload;
    }
  } else {
    out.payload = payload;
  }
  return JSON.stringify(out);
}

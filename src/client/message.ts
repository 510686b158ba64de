/** A message received from the broker. */
import type { PublishProperties, QoS } from '../codec/types.js';
import type { Message } from '../engine/types.js';

let utf8: TextDecoder | undefined;

export class ReceivedMessage {
  readonly topic: string;
  /** The payload bytes (a view into the received data; copy it to keep it past a mutation). */
  readonly payload: Uint8Array;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly dup: boolean;
  /** MQTT 5 properties (user properties, content type, response topic, ...), when present. */
  readonly properties: PublishProperties | undefined;

  constructor(m: Message) {
    this.topic = m.topic;
    this.payload = m.payload;
    this.qos = m.qos;
    this.retain = m.retain;
    this.dup = m.dup;
    this.properties = m.properties;
  }

  /** The payload decoded as UTF-8. */
  text(): string {
    utf8 ??= new TextDecoder();
    return utf8.decode(this.payload);
  }

  /** The payload parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

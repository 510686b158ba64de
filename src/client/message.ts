/** A message received from the broker. */
import type { PublishProperties, QoS } from '../codec/types.js';
import type { Message } from '../engine/types.js';

let utf8: TextDecoder | undefined;

/**
 * A message received from the broker, as the `message` event and subscriptions hand it over. The topic is always
 * the full name (MQTT 5 topic aliases are already resolved).
 *
 * @example
 * ```ts
 * client.on('message', (message) => {
 *   if (message.retain) return; // a stored value from before we subscribed
 *   const reading = message.json<{ celsius: number }>();
 *   console.log(message.topic, reading.celsius, message.properties?.userProperties);
 * });
 * ```
 */
export class ReceivedMessage {
  /** The topic name the message was published to. */
  readonly topic: string;
  /** The payload bytes (a view into the received data; copy it to keep it past a mutation). */
  readonly payload: Uint8Array;
  /** The QoS it was delivered with: the lower of the publisher's and the subscription's. */
  readonly qos: QoS;
  /**
   * True for a retained message the broker sent because of a new subscription (not a live publish); with
   * `retainAsPublished` (MQTT 5) also for live messages their publisher sent with retain.
   */
  readonly retain: boolean;
  /** True when the broker says it may have sent this QoS 1 message before (QoS 2 is deduplicated for you). */
  readonly dup: boolean;
  /** MQTT 5 properties (user properties, content type, response topic, ...), when present. */
  readonly properties: PublishProperties | undefined;

  /** Made by the client for each delivered message; applications receive them rather than build them. */
  constructor(m: Message) {
    this.topic = m.topic;
    this.payload = m.payload;
    this.qos = m.qos;
    this.retain = m.retain;
    this.dup = m.dup;
    this.properties = m.properties;
  }

  /** The payload decoded as UTF-8 (invalid sequences become U+FFFD). */
  text(): string {
    utf8 ??= new TextDecoder();
    return utf8.decode(this.payload);
  }

  /** The payload parsed as JSON; throws a SyntaxError when it is not JSON. `T` is trusted, not checked. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

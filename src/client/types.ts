/**
 * The types of the client's public API: its events and the options and
 * results of its methods (the methods are in client.ts).
 */
import type { ConnackPacket, DisconnectPacket, DisconnectProperties, PublishProperties, QoS, SubscribeProperties } from '../codec/types.js';
import type { MqttkitError } from '../errors.js';
import type { ReceivedMessage } from './message.js';

/**
 * The events of {@link MqttClient} and their arguments: `client.on(name, listener)` is typed from this map.
 * Listeners run synchronously, in the order added; an `error` event with no listener is dropped (it does not
 * throw as Node's EventEmitter would), so listen to it where background failures matter.
 *
 * @example
 * ```ts
 * client.on('connect', ({ sessionPresent }) => console.log('connected, session kept:', sessionPresent));
 * client.on('reconnect', ({ attempt, delay, error }) => console.log(`retry #${attempt} in ${delay} ms`, error?.message));
 * client.on('offline', () => console.log('offline; publishes now queue'));
 * client.on('close', ({ error }) => console.log('stopped for good', error?.code));
 * client.on('error', (err) => console.error(err.code, err.message));
 * ```
 */
export interface ClientEvents {
  /**
   * CONNACK accepted (first connection and every reconnection). `sessionPresent` is false when the broker kept
   * no session (earlier subscriptions are then re-sent unless `resubscribe` is off); `connack` has the broker's
   * MQTT 5 limits in its `properties`.
   */
  connect: [
    {
      /** False when the broker kept no session: subscriptions made before are re-sent unless `resubscribe` is off. */
      sessionPresent: boolean;
      /** The whole CONNACK, with the broker's MQTT 5 limits in `properties`. */
      connack: ConnackPacket;
    },
  ];
  /**
   * Every message received, whatever subscription it matched (also those a persistent session delivers before
   * any `subscribe()` call). Subscriptions iterate over their own matching messages in addition.
   */
  message: [ReceivedMessage];
  /**
   * A reconnect is scheduled in `delay` ms. `attempt` counts from 1 since the last stable connection; `error` is
   * why the last connection or attempt failed.
   */
  reconnect: [
    {
      /** Attempts since the last stable connection, from 1. */
      attempt: number;
      /** Milliseconds until the attempt (random, capped: see `ReconnectOptions`). */
      delay: number;
      /** Why the last connection or attempt failed. */
      error?: Error;
    },
  ];
  /** The connection was lost (a reconnect may follow); `error` says why, absent when `end()` closed it. */
  offline: [
    {
      /** Why; absent when the client itself closed (`end()`). */
      error?: Error;
    },
  ];
  /**
   * The client stopped for good: `end()` or an error retrying cannot fix. `error` is that error (e.g.
   * MQTTKIT_ERR_NOT_AUTHORIZED), absent after `end()`.
   */
  close: [
    {
      /** Absent after `end()`; otherwise the error that stopped the client (e.g. MQTTKIT_ERR_NOT_AUTHORIZED). */
      error?: MqttkitError;
    },
  ];
  /** The broker broke the protocol, or a background operation failed. */
  error: [MqttkitError];
  /** The broker sent DISCONNECT (MQTT 5: with reason code and maybe a Server Reference). */
  disconnect: [DisconnectPacket];
}

/** Options of {@link MqttClient.publish}. */
export interface PublishOptions {
  /** Delivery guarantee (default 0). The promise resolves when it is met; see {@link MqttClient.publish}. */
  qos?: QoS;
  /** Keep the message as the topic's last value for future subscribers (default false). An empty retained payload clears it. */
  retain?: boolean;
  /** MQTT 5 properties (user properties, message expiry, content type, ...); an InvalidArgumentError on 3.1/3.1.1. */
  properties?: PublishProperties;
  /**
   * Aborting rejects the promise with MQTTKIT_ERR_ABORTED. A message still in the offline queue is then never
   * sent; one already sent cannot be taken back, and its QoS flow completes unobserved.
   */
  signal?: AbortSignal;
}

/**
 * What a publish resolves to: empty for QoS 0 and on MQTT 3.1/3.1.1; on MQTT 5 the broker's success code and
 * properties when it sent any (failures reject with a ReasonCodeError instead).
 */
export interface PublishResult {
  /** MQTT 5 reason code from PUBACK/PUBREC (e.g. 0x10 no matching subscribers). */
  reasonCode?: number;
  /** The ack's MQTT 5 properties: user properties, and a Reason String in `reasonString`. */
  properties?: PublishProperties & {
    /** The broker's human-readable note on the ack, for logs. */
    reasonString?: string;
  };
}

/** Options of {@link MqttClient.subscribe}; they apply to every filter of the call. */
export interface SubscribeOptions {
  /** Highest QoS to receive matching messages with (default 0); the broker may grant less (see `reasonCodes`). */
  qos?: QoS;
  /** MQTT 5: do not receive the messages this client publishes itself (default false; not allowed on `$share/`). */
  noLocal?: boolean;
  /** MQTT 5: keep the RETAIN flag of forwarded messages as the publisher set it (default false: cleared). */
  retainAsPublished?: boolean;
  /** MQTT 5: retained messages at subscribe time: 0 always (default), 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
  /** MQTT 5 SUBSCRIBE properties (user properties; a subscription identifier is set for you when the broker allows). */
  properties?: SubscribeProperties;
  /** Aborting rejects with MQTTKIT_ERR_ABORTED; a SUBSCRIBE already sent may still take effect at the broker. */
  signal?: AbortSignal;
}

/** Options of {@link MqttClient.end}. */
export interface EndOptions {
  /** Close now instead of waiting for in-flight messages to be acknowledged (default false). */
  force?: boolean;
  /** MQTT 5 DISCONNECT reason code (default 0, normal; 0x04 has the broker publish the will). */
  reasonCode?: number;
  /** MQTT 5 DISCONNECT properties, e.g. a new `sessionExpiryInterval` in seconds. */
  properties?: DisconnectProperties;
}

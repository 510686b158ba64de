/**
 * The engine's vocabulary: what it is fed (inputs) and what it asks for
 * (actions). Time enters only as `now` (milliseconds, any monotonic origin).
 */
import type {
  AuthProperties,
  ConnackPacket,
  ConnectProperties,
  DisconnectPacket,
  DisconnectProperties,
  ProtocolVersion,
  PublishProperties,
  QoS,
  SubscribeProperties,
  Subscription,
  UserProperty,
  Will,
} from '../codec/types.js';
import type { MqttkitError } from '../errors.js';
import type { Store } from '../store/types.js';

/** Identifies a user operation so its result can be routed back to its promise. */
export type OpId = number;

/**
 * Automatic reconnection: after a lost connection (or a failed attempt) the client waits a random delay in
 * [0, ceiling) and tries again; the ceiling starts at `initialDelay` and grows by `factor` per failure up to
 * `maxDelay`. Random delays keep a fleet that lost the same broker from reconnecting in lockstep.
 *
 * @example
 * ```ts
 * const client = createClient('mqtt://broker.example', { reconnect: { initialDelay: 250, maxDelay: 10_000 } });
 * client.on('reconnect', ({ attempt, delay }) => console.log(`attempt ${attempt} in ${delay} ms`));
 * ```
 */
export interface ReconnectOptions {
  /** First delay ceiling in ms (default 1 000). Delays use full jitter: random(0, ceiling). */
  initialDelay?: number;
  /** Largest delay ceiling in ms (default 30 000). */
  maxDelay?: number;
  /** Growth of the ceiling per failed attempt (default 2). */
  factor?: number;
  /** A connection that stays up this long (ms) resets the backoff (default 10 000). */
  stableAfter?: number;
  /** Keep retrying after errors that retrying cannot fix (bad credentials, not authorized). Default false. */
  retryFatal?: boolean;
}

/**
 * The protocol engine's options: everything about the MQTT session. Users pass them as part of
 * `ClientOptions` (where `password` may also be a string and `will` a {@link WillOptions}); the engine takes
 * them as they are when driven directly.
 */
export interface EngineOptions {
  /**
   * 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0 (default 5). `'auto'` offers 5.0, then 3.1.1,
   * then 3.1 when the broker refuses the version, and keeps what it accepted for reconnections.
   */
  protocolVersion?: ProtocolVersion | 'auto';
  /**
   * The client identifier; it names the session on the broker, so give a stable one with `clean: false`. Default
   * empty: the broker assigns one (MQTT 5 returns it in CONNACK), except where MQTT forbids an empty id (3.1, and
   * 3.1.1 with `clean: false`): there the client makes a random `mqttkit-...` one.
   */
  clientId?: string;
  /** Clean Session / Clean Start (default true). */
  clean?: boolean;
  /** Seconds between control packets (default 60; 0 = off). The broker's Server Keep Alive overrides it. */
  keepAlive?: number;
  /** Milliseconds to wait for PINGRESP (default: half the keep alive). */
  pingTimeout?: number;
  /** Milliseconds from transport open to CONNACK (default 30 000). */
  connectTimeout?: number;
  /** User name for CONNECT; overrides the one in the URL. */
  username?: string;
  /** Password bytes for CONNECT. */
  password?: Uint8Array;
  /** The Last Will, as the CONNECT packet carries it. */
  will?: Will;
  /** MQTT 5 CONNECT properties (receive maximum, session expiry, auth method, ...). */
  properties?: ConnectProperties;
  /** Reconnection backoff (defaults in {@link ReconnectOptions}); `false` turns automatic reconnection off. */
  reconnect?: ReconnectOptions | false;
  /** Re-subscribe when the broker did not keep the session (default true). */
  resubscribe?: boolean;
  /** Messages the offline queue holds at most (default 100 000). */
  maxQueuedMessages?: number;
  /** Payload bytes the offline queue holds at most (default 64 MiB). */
  maxQueuedBytes?: number;
  /**
   * QoS 1/2 publishes in flight at most, besides the broker's Receive Maximum (1 to 65 535).
   * Default: no limit of our own on MQTT 5 (the broker says what it takes); 20 on MQTT 3.1/3.1.1,
   * which have no Receive Maximum: Mosquitto 2.0 acknowledges QoS 2 publishes from a 3.1.1 client
   * beyond its max_inflight_messages (default 20) and then never delivers them.
   */
  maxInFlight?: number;
  /** QoS 0 publishes while offline: `queue` them (default) or `drop` them (the publish rejects). */
  qos0WhenOffline?: 'queue' | 'drop';
  /** Assign outgoing Topic Aliases automatically, up to the broker's maximum (MQTT 5; default false). */
  autoTopicAliases?: boolean;
  /** Where session state lives (default: memory). */
  store?: Store;
  /** Source of randomness for backoff jitter, in [0, 1) (default Math.random). */
  random?: () => number;
}

/** The engine's publish options (the client's `PublishOptions` add `signal`). */
export interface PublishOptions {
  /** Delivery guarantee (default 0). */
  qos?: QoS;
  /** Ask the broker to retain the message (default false). */
  retain?: boolean;
  /** MQTT 5 PUBLISH properties. */
  properties?: PublishProperties;
}

/** A SUBSCRIBE as the engine takes it: the packet without its packet id, which the engine assigns. */
export interface SubscribeRequest {
  /** The filters and their options, in order. */
  subscriptions: Subscription[];
  /** MQTT 5 SUBSCRIBE properties. */
  properties?: SubscribeProperties;
}

/**
 * What the engine is fed, one input per {@link Engine.handle} call. Every input carries `now`, the host's clock in
 * milliseconds (any monotonic origin); operations started by the user carry `op`, an id the host chooses to match
 * the `settle`/`fail` action that ends them.
 */
export type Input =
  /** Start connecting (first call, or after `end`). */
  | { type: 'start'; now: number }
  /** The transport the engine asked for (`open-transport`) is open: the engine sends CONNECT. */
  | { type: 'transport-open'; now: number }
  /** The transport closed (or failed to open), with the platform's `error` when it was not clean. */
  | { type: 'transport-closed'; now: number; error?: Error }
  /** Bytes received, in order and in chunks of any size (`data` is the engine's to keep). */
  | { type: 'bytes'; now: number; data: Uint8Array }
  /** A timer the engine set (`set-timer`) fired. */
  | { type: 'timer'; now: number; name: TimerName }
  /** The transport's send buffer filled up (false) or drained (true): publishes wait in the queue meanwhile. */
  | { type: 'writable'; now: number; writable: boolean }
  /** Publish `payload` to `topic`; settled with an `OpResult` of kind `publish` when the QoS guarantee is met. */
  | { type: 'publish'; now: number; op: OpId; topic: string; payload: Uint8Array; options: PublishOptions }
  /** Subscribe; settled with the SUBACK's reason codes. */
  | { type: 'subscribe'; now: number; op: OpId; request: SubscribeRequest }
  /** Unsubscribe `topicFilters` (MQTT 5: with user properties); settled with the UNSUBACK's reason codes. */
  | { type: 'unsubscribe'; now: number; op: OpId; topicFilters: string[]; properties?: { userProperties?: UserProperty[] } }
  /** Give up on an operation (abort): it is settled with `error` and, if not yet sent, never sent. */
  | { type: 'cancel'; now: number; op: OpId; error: MqttkitError }
  /** Disconnect and stop (see the client's `EndOptions`: `force`, MQTT 5 `reasonCode` and `properties`). */
  | {
      type: 'end';
      now: number;
      op: OpId;
      force?: boolean;
      reasonCode?: number;
      properties?: DisconnectProperties;
    }
  /** The user's answer to an AUTH challenge, or a request to re-authenticate (MQTT 5). */
  | { type: 'auth'; now: number; reasonCode: 0x18 | 0x19; properties: AuthProperties };

/**
 * The timers the engine asks its host to run: keep alive (`keepalive`, `ping-timeout`), opening
 * (`connect-timeout`), the backoff before the next attempt (`reconnect`) and a graceful end's limit
 * (`end-timeout`).
 */
export type TimerName = 'keepalive' | 'ping-timeout' | 'connect-timeout' | 'reconnect' | 'end-timeout';

/** A received application message as the engine delivers it (the client wraps it in a `ReceivedMessage`). */
export interface Message {
  /** The full topic name (topic aliases resolved). */
  topic: string;
  /** The payload bytes (a view into the received data). */
  payload: Uint8Array;
  /** The QoS it was delivered with. */
  qos: QoS;
  /** Whether it is a retained message. */
  retain: boolean;
  /** Whether the broker marked it as a possible resend. */
  dup: boolean;
  /** MQTT 5 PUBLISH properties, when present. */
  properties?: PublishProperties;
}

/** The result a settled operation carries. */
export type OpResult =
  /** A publish met its guarantee: the MQTT 5 ack's success `reasonCode` and `properties`, when there were any. */
  | { kind: 'publish'; reasonCode?: number; properties?: PublishProperties & { reasonString?: string } }
  /** SUBACK: one `reasonCodes` entry per filter (granted QoS, or a failure >= 0x80). */
  | { kind: 'subscribe'; reasonCodes: number[] }
  /** UNSUBACK: MQTT 5 `reasonCodes` per filter (empty before MQTT 5). */
  | { kind: 'unsubscribe'; reasonCodes: number[] }
  /** The client is closed. */
  | { kind: 'end' };

/** Lifecycle news the engine reports in an `event` action; the client turns them into its `ClientEvents`. */
export type EngineEvent =
  /** CONNACK accepted. */
  | { type: 'connect'; connack: ConnackPacket; sessionPresent: boolean }
  /** Attempt number `attempt` is scheduled in `delay` ms, after `error`. */
  | { type: 'reconnecting'; attempt: number; delay: number; error?: Error }
  /** A connection that was up is gone. */
  | { type: 'offline'; error?: Error }
  /** Stopped for good, with the fatal `error` if there was one. */
  | { type: 'close'; error?: MqttkitError }
  /** The broker sent DISCONNECT. */
  | { type: 'disconnect'; packet: DisconnectPacket }
  /** The broker sent AUTH (a challenge, 0x18): answer with an `auth` input. */
  | { type: 'auth'; reasonCode: number; properties?: AuthProperties }
  /** Something failed that no operation waits for (a protocol violation by the broker, a restored publish refused). */
  | { type: 'error'; error: MqttkitError };

/** What the engine asks its host to do, in order. */
export type Action =
  /** Open a new transport to the broker; report it with `transport-open` or `transport-closed`. */
  | { type: 'open-transport' }
  /** Write `bytes` (one or more whole packets) to the transport. */
  | { type: 'send'; bytes: Uint8Array }
  /** Close the transport (after writing what was sent); `error` says why when it is not a clean close. */
  | { type: 'close-transport'; error?: MqttkitError }
  /** (Re)start timer `name` to fire once in `delay` ms; a timer of the same name is replaced. */
  | { type: 'set-timer'; name: TimerName; delay: number }
  /** Cancel timer `name`. */
  | { type: 'clear-timer'; name: TimerName }
  /** Hand `message` to the application. */
  | { type: 'deliver'; message: Message }
  /** Operation `op` succeeded with `result`. */
  | { type: 'settle'; op: OpId; result: OpResult }
  /** Operation `op` failed with `error`. */
  | { type: 'fail'; op: OpId; error: MqttkitError }
  /** Tell the application about `event`. */
  | { type: 'event'; event: EngineEvent };

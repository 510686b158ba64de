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

export interface EngineOptions {
  /**
   * 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0 (default 5). `'auto'` offers 5.0, then 3.1.1,
   * then 3.1 when the broker refuses the version, and keeps what it accepted for reconnections.
   */
  protocolVersion?: ProtocolVersion | 'auto';
  /** Empty lets the broker assign one (MQTT 5 returns it in CONNACK). */
  clientId?: string;
  /** Clean Session / Clean Start (default true). */
  clean?: boolean;
  /** Seconds between control packets (default 60; 0 = off). The broker's Server Keep Alive overrides it. */
  keepAlive?: number;
  /** Milliseconds to wait for PINGRESP (default: half the keep alive). */
  pingTimeout?: number;
  /** Milliseconds from transport open to CONNACK (default 30 000). */
  connectTimeout?: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  /** MQTT 5 CONNECT properties (receive maximum, session expiry, auth method, ...). */
  properties?: ConnectProperties;
  /** `false` turns automatic reconnection off. */
  reconnect?: ReconnectOptions | false;
  /** Re-subscribe when the broker did not keep the session (default true). */
  resubscribe?: boolean;
  /** Messages the offline queue holds at most (default 100 000). */
  maxQueuedMessages?: number;
  /** Payload bytes the offline queue holds at most (default 64 MiB). */
  maxQueuedBytes?: number;
  /** QoS 0 publishes while offline: `queue` them (default) or `drop` them (the publish rejects). */
  qos0WhenOffline?: 'queue' | 'drop';
  /** Assign outgoing Topic Aliases automatically, up to the broker's maximum (MQTT 5; default false). */
  autoTopicAliases?: boolean;
  /** Where session state lives (default: memory). */
  store?: Store;
  /** Source of randomness for backoff jitter, in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: PublishProperties;
}

export interface SubscribeRequest {
  subscriptions: Subscription[];
  properties?: SubscribeProperties;
}

/** What the engine is fed. */
export type Input =
  /** Start connecting (first call, or after `end`). */
  | { type: 'start'; now: number }
  | { type: 'transport-open'; now: number }
  | { type: 'transport-closed'; now: number; error?: Error }
  | { type: 'bytes'; now: number; data: Uint8Array }
  | { type: 'timer'; now: number; name: TimerName }
  /** The transport wrote what it was given (settles QoS 0 publishes). */
  | { type: 'written'; now: number }
  /** The transport's send buffer filled up (false) or drained (true): publishes wait in the queue meanwhile. */
  | { type: 'writable'; now: number; writable: boolean }
  | { type: 'publish'; now: number; op: OpId; topic: string; payload: Uint8Array; options: PublishOptions }
  | { type: 'subscribe'; now: number; op: OpId; request: SubscribeRequest }
  | { type: 'unsubscribe'; now: number; op: OpId; topicFilters: string[]; properties?: { userProperties?: UserProperty[] } }
  /** Give up on an operation (abort): it is settled with `error` and, if not yet sent, never sent. */
  | { type: 'cancel'; now: number; op: OpId; error: MqttkitError }
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

export type TimerName = 'keepalive' | 'ping-timeout' | 'connect-timeout' | 'reconnect' | 'end-timeout';

export interface Message {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  properties?: PublishProperties;
}

/** The result a settled operation carries. */
export type OpResult =
  | { kind: 'publish'; reasonCode?: number; properties?: PublishProperties & { reasonString?: string } }
  | { kind: 'subscribe'; reasonCodes: number[] }
  | { kind: 'unsubscribe'; reasonCodes: number[] }
  | { kind: 'end' };

export type EngineEvent =
  | { type: 'connect'; connack: ConnackPacket; sessionPresent: boolean }
  | { type: 'reconnecting'; attempt: number; delay: number; error?: Error }
  | { type: 'offline'; error?: Error }
  | { type: 'close'; error?: MqttkitError }
  | { type: 'disconnect'; packet: DisconnectPacket }
  | { type: 'auth'; reasonCode: number; properties?: AuthProperties }
  | { type: 'error'; error: MqttkitError };

/** What the engine asks its host to do, in order. */
export type Action =
  | { type: 'open-transport' }
  | { type: 'send'; bytes: Uint8Array }
  | { type: 'close-transport'; error?: MqttkitError }
  | { type: 'set-timer'; name: TimerName; delay: number }
  | { type: 'clear-timer'; name: TimerName }
  | { type: 'deliver'; message: Message }
  | { type: 'settle'; op: OpId; result: OpResult }
  | { type: 'fail'; op: OpId; error: MqttkitError }
  | { type: 'event'; event: EngineEvent };

/**
 * Client options: what users pass, checked once up front so a wrong option
 * fails at `createClient` with an error naming it, and turned into the
 * engine's options.
 */
import type { Will, WillProperties } from '../codec/types.js';
import type { EngineOptions } from '../engine/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { TlsOptions, TransportFactory } from '../transport/types.js';
import type { Scheduler } from './scheduler.js';

/**
 * A message payload as you may pass it: a string is sent as UTF-8; any Uint8Array (Node's binary type included)
 * and an ArrayBuffer are sent as their bytes, without a copy. To send JSON, `JSON.stringify` it first.
 */
export type Payload = string | Uint8Array | ArrayBuffer;

/**
 * The Last Will: a message the broker publishes for this client when the connection is lost without a clean
 * `end()`, typically a retained "offline" status next to a retained "online" published after connecting.
 *
 * @example
 * ```ts
 * const client = await connect('mqtt://localhost:1883', {
 *   clientId: 'pump-7',
 *   will: { topic: 'status/pump-7', payload: 'offline', qos: 1, retain: true, properties: { willDelayInterval: 10 } },
 * });
 * await client.publish('status/pump-7', 'online', { qos: 1, retain: true });
 * ```
 */
export interface WillOptions {
  /** Topic the broker publishes the will to (no wildcards). */
  topic: string;
  /** The will's payload. */
  payload: Payload;
  /** QoS of the will (default 0). */
  qos?: 0 | 1 | 2;
  /** Whether the broker retains the will (default false). */
  retain?: boolean;
  /** MQTT 5 will properties, e.g. `willDelayInterval` in seconds; an InvalidArgumentError on 3.1/3.1.1. */
  properties?: WillProperties;
}

/** What the AUTH handler receives from the broker and answers with (MQTT 5 enhanced authentication). */
export interface AuthChallenge {
  /** The authentication method, as given in `properties.authenticationMethod`. */
  method: string;
  /** The broker's challenge data for this step, if it sent any. */
  data?: Uint8Array;
  /** The AUTH packet's reason code: 0x18 (continue authentication). */
  reasonCode: number;
}

/**
 * Everything the engine takes (protocol version, client id, keep alive,
 * reconnect, queue bounds, store, ...; documented on EngineOptions), with a
 * friendlier password and will, plus what only the client needs.
 * All options are optional; an unknown or ill-typed one throws an InvalidArgumentError naming it when the client
 * is created.
 *
 * @example
 * ```ts
 * const client = await connect('mqtts://broker.example:8883', {
 *   clientId: 'gateway-3',
 *   clean: false,
 *   properties: { sessionExpiryInterval: 3600 },
 *   username: 'gateway-3',
 *   password: process.env.MQTT_PASSWORD,
 *   keepAlive: 30,
 *   reconnect: { initialDelay: 500, maxDelay: 60_000 },
 *   tls: { ca: readFileSync('ca.pem', 'utf8') },
 * });
 * ```
 */
export interface ClientOptions extends Omit<EngineOptions, 'password' | 'will' | 'random'> {
  /** Overrides the password in the URL. A string is sent as UTF-8. */
  password?: string | Uint8Array;
  /** The Last Will the broker publishes if this client disappears (see {@link WillOptions}). */
  will?: WillOptions;
  /** TLS settings for mqtts:, tls:, ssl: URLs, and wss: on Node (certificates are verified by default). */
  tls?: TlsOptions;
  /** Opens connections; defaults to the transport for the URL's scheme. */
  transport?: TransportFactory;
  /** Timers and clock (default: the platform's). */
  scheduler?: Scheduler;
  /** Answers an MQTT 5 AUTH challenge with the next authentication data. */
  onAuth?: (challenge: AuthChallenge) => Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** Messages a subscription buffers for a slow `for await` consumer before failing (default 10 000). */
  highWaterMark?: number;
}

const KNOWN = new Set<string>([
  'protocolVersion',
  'clientId',
  'clean',
  'keepAlive',
  'pingTimeout',
  'connectTimeout',
  'username',
  'password',
  'will',
  'properties',
  'reconnect',
  'resubscribe',
  'maxQueuedMessages',
  'maxQueuedBytes',
  'qos0WhenOffline',
  'autoTopicAliases',
  'maxInFlight',
  'store',
  'tls',
  'transport',
  'scheduler',
  'onAuth',
  'highWaterMark',
]);

let utf8: TextEncoder | undefined;

/** A payload as bytes: strings in UTF-8, ArrayBuffers wrapped (not copied), Uint8Arrays (and Buffers) as they are. */
export function toBytes(payload: unknown, field: string): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') {
    utf8 ??= new TextEncoder();
    return utf8.encode(payload);
  }
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload === undefined || payload === null) return new Uint8Array(0);
  throw new InvalidArgumentError(`${field}: must be a string, Uint8Array or ArrayBuffer, got ${typeof payload}`, field);
}

function nonNegativeInt(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) {
    throw new InvalidArgumentError(`${field}: must be a non-negative integer, got ${String(value)}`, field);
  }
}

export function parseUrl(url: string | URL): URL {
  if (url instanceof URL) return url;
  if (typeof url !== 'string') throw new InvalidArgumentError('url: must be a string or URL', 'url');
  try {
    return new URL(url);
  } catch {
    throw new InvalidArgumentError(`url: "${url}" is not a valid URL (expected e.g. mqtt://host:1883)`, 'url');
  }
}

/** Checks user options and builds the engine's. */
export function engineOptions(url: URL, options: ClientOptions): EngineOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options: must be an object', 'options');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidArgumentError(`options.${key}: unknown option`, `options.${key}`);
  }
  const v = options.protocolVersion ?? 5;
  if (v !== 3 && v !== 4 && v !== 5 && v !== 'auto') {
    throw new InvalidArgumentError(`options.protocolVersion: must be 3, 4, 5 or 'auto', got ${String(v)}`, 'options.protocolVersion');
  }
  for (const key of ['keepAlive', 'pingTimeout', 'connectTimeout', 'maxQueuedMessages', 'maxQueuedBytes', 'highWaterMark'] as const) {
    nonNegativeInt(options[key], `options.${key}`);
  }
  const inFlight = options.maxInFlight;
  if (inFlight !== undefined && (typeof inFlight !== 'number' || !Number.isInteger(inFlight) || inFlight < 1 || inFlight > 65_535)) {
    throw new InvalidArgumentError(
      `options.maxInFlight: must be an integer from 1 to 65535, got ${String(inFlight)}`,
      'options.maxInFlight',
    );
  }
  if (options.keepAlive !== undefined && options.keepAlive > 65_535) {
    throw new InvalidArgumentError('options.keepAlive: at most 65535 seconds', 'options.keepAlive');
  }
  if (options.qos0WhenOffline !== undefined && options.qos0WhenOffline !== 'queue' && options.qos0WhenOffline !== 'drop') {
    throw new InvalidArgumentError('options.qos0WhenOffline: must be "queue" or "drop"', 'options.qos0WhenOffline');
  }
  const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const rawPassword = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  let will: Will | undefined;
  if (options.will !== undefined) {
    const w = options.will;
    will = { topic: w.topic, payload: toBytes(w.payload, 'options.will.payload'), qos: w.qos ?? 0, retain: w.retain ?? false };
    if (w.properties !== undefined) will.properties = w.properties;
  }
  const result: EngineOptions = {
    protocolVersion: v,
    clientId: options.clientId ?? '',
    clean: options.clean ?? true,
    keepAlive: options.keepAlive,
    pingTimeout: options.pingTimeout,
    connectTimeout: options.connectTimeout,
    username,
    password: rawPassword === undefined ? undefined : toBytes(rawPassword, 'options.password'),
    will,
    properties: options.properties,
    reconnect: options.reconnect,
    resubscribe: options.resubscribe,
    maxQueuedMessages: options.maxQueuedMessages,
    maxQueuedBytes: options.maxQueuedBytes,
    qos0WhenOffline: options.qos0WhenOffline,
    autoTopicAliases: options.autoTopicAliases,
    maxInFlight: options.maxInFlight,
    store: options.store,
  };
  // 3.1 needs a client id; 3.1.1 needs one unless the session is clean ([MQTT-3.1.3-7]).
  if (!result.clientId && (v === 3 || (v === 4 && result.clean === false))) result.clientId = randomClientId();
  return result;
}

export function randomClientId(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return `mqttkit-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`.slice(0, 23);
}

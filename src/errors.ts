/**
 * Every error mqttkit throws or rejects with.
 *
 * Design: each error has a stable string `code` (`MQTTKIT_ERR_*`), the MQTT 5
 * `reasonCode` as a separate number where the wire carried one (or where an
 * MQTT 5 reason describes the failure), a `cause` where one exists, and
 * `retryable` telling whether trying again (e.g. reconnecting) can help.
 * Local misuse ({@link InvalidArgumentError}) and remote misbehaviour
 * ({@link MalformedPacketError}) are separate classes.
 *
 * `instanceof` works across two copies of the package (say, one bundled in a
 * library and one in the app) through a `Symbol.for` brand.
 */

const kBrands = Symbol.for('mqttkit.error.brands');

type Branded = { readonly [kBrands]?: readonly string[] };

/** What an {@link MqttkitError} is made with besides its message and code. */
export interface MqttkitErrorOptions {
  /** The MQTT 5 reason code that describes the failure, when there is one. */
  reasonCode?: number;
  /** The underlying error (a platform socket error, a thrown exception), kept as the standard `Error.cause`. */
  cause?: unknown;
  /** Whether trying again can help (default false; ConnectionError defaults to true). */
  retryable?: boolean;
}

/**
 * The base class of every mqttkit error. Test `code` (stable across versions) rather than the message, and
 * `retryable` to decide whether to try again.
 *
 * @example
 * ```ts
 * try {
 *   await connect('mqtt://broker.example:1883', { username: 'dev', password: 'wrong' });
 * } catch (err) {
 *   if (err instanceof MqttkitError) console.error(err.code, err.reasonCode, err.retryable ? 'will retry' : 'fix the config');
 *   else throw err;
 * }
 * ```
 */
export class MqttkitError extends Error {
  /** The name `instanceof` checks against; unique per class across package copies. */
  static readonly brand: string = 'MqttkitError';

  /**
   * Makes `instanceof` work across two copies of mqttkit (say, one bundled in a library and one in the app): it
   * checks a `Symbol.for` brand instead of the prototype chain.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as Branded)[kBrands];
    return Array.isArray(brands) && brands.includes(this.brand);
  }

  /** A stable string identifying the failure, e.g. `MQTTKIT_ERR_NOT_AUTHORIZED`. */
  readonly code: string;
  /** The MQTT 5 reason code that describes this failure, when there is one. */
  readonly reasonCode: number | undefined;
  /** Whether trying again (a new connection, a later attempt) can help. */
  readonly retryable: boolean;

  /** `code` should be `MQTTKIT_ERR_` plus an upper-case name; mqttkit's own codes are listed on each subclass. */
  constructor(message: string, code: string, options: MqttkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reasonCode = options.reasonCode;
    this.retryable = options.retryable ?? false;
    const brands: string[] = [];
    for (let c = new.target as unknown; typeof c === 'function' && 'brand' in c; c = Object.getPrototypeOf(c)) {
      brands.push((c as typeof MqttkitError).brand);
    }
    Object.defineProperty(this, kBrands, { value: brands });
    Object.defineProperty(this, 'name', { value: new.target.name, configurable: true, writable: true });
  }
}

/**
 * The caller passed something mqttkit will not send: an invalid topic, a
 * property the packet does not allow, a wrong option. Nothing was sent or
 * queued. `field` names the offending option or packet field.
 * Code `MQTTKIT_ERR_INVALID_ARGUMENT`; never retryable (the same call fails the same way).
 *
 * @example
 * ```ts
 * try {
 *   await client.publish('sensors/+/temp', '21.5');
 * } catch (err) {
 *   if (err instanceof InvalidArgumentError) console.error(`bad ${err.field}: ${err.message}`); // bad topic: ...
 * }
 * ```
 */
export class InvalidArgumentError extends MqttkitError {
  static override readonly brand: string = 'InvalidArgumentError';
  /** The option or packet field that was wrong, e.g. `topic` or `properties.topicAlias`. */
  readonly field: string;

  /** `reasonCode` is the MQTT 5 reason the broker would have answered with, where one fits (e.g. 0x90 for a topic). */
  constructor(message: string, field: string, reasonCode?: number, cause?: unknown) {
    super(message, 'MQTTKIT_ERR_INVALID_ARGUMENT', { reasonCode, retryable: false, cause });
    this.field = field;
  }
}

/** Names of the reason codes a malformed-packet error can carry. */
const MALFORMED_CODES: Readonly<Record<number, string>> = {
  129: 'MQTTKIT_ERR_MALFORMED_PACKET',
  130: 'MQTTKIT_ERR_PROTOCOL_ERROR',
  132: 'MQTTKIT_ERR_UNSUPPORTED_PROTOCOL_VERSION',
  133: 'MQTTKIT_ERR_CLIENT_IDENTIFIER_NOT_VALID',
  143: 'MQTTKIT_ERR_TOPIC_FILTER_INVALID',
  144: 'MQTTKIT_ERR_TOPIC_NAME_INVALID',
  148: 'MQTTKIT_ERR_TOPIC_ALIAS_INVALID',
  149: 'MQTTKIT_ERR_PACKET_TOO_LARGE',
};

/**
 * The peer sent bytes that are not a valid MQTT packet (or break a protocol
 * rule). `reasonCode` is what an MQTT 5 DISCONNECT should carry: 0x81
 * malformed packet, 0x82 protocol error, 0x95 packet too large, ...
 * Codes: `MQTTKIT_ERR_MALFORMED_PACKET`, `MQTTKIT_ERR_PROTOCOL_ERROR`, `MQTTKIT_ERR_PACKET_TOO_LARGE`,
 * `MQTTKIT_ERR_TOPIC_NAME_INVALID`, ... (after the reason code). Retryable: a new connection may go better. The
 * client reports it as an `error` event and reconnects; you meet it directly when using the {@link Decoder}.
 *
 * @example
 * ```ts
 * try {
 *   decode(bytes, 5);
 * } catch (err) {
 *   if (err instanceof MalformedPacketError) console.error(`bad ${err.field}, reason 0x${err.reasonCode.toString(16)}`);
 * }
 * ```
 */
export class MalformedPacketError extends MqttkitError {
  static override readonly brand: string = 'MalformedPacketError';
  /** The packet field that was wrong, e.g. `topic`, `remainingLength`, `properties`. */
  readonly field: string;
  declare readonly reasonCode: number;

  /** `reasonCode` defaults to 0x81 (malformed packet); the code is derived from it. */
  constructor(message: string, field: string, reasonCode = 0x81) {
    super(message, MALFORMED_CODES[reasonCode] ?? 'MQTTKIT_ERR_MALFORMED_PACKET', {
      reasonCode,
      retryable: true,
    });
    this.field = field;
  }
}

/**
 * The transport could not be opened or broke: refused, DNS failure, TLS
 * handshake or certificate failure, a connection reset, a timeout. `cause` is
 * the platform's error. Certificate failures are not retryable: trying again
 * reaches the same certificate.
 * Codes: `MQTTKIT_ERR_CONNECTION_REFUSED`, `MQTTKIT_ERR_DNS`, `MQTTKIT_ERR_CONNECT_TIMEOUT`,
 * `MQTTKIT_ERR_CONNECTION_RESET`, `MQTTKIT_ERR_TLS_CERTIFICATE`, `MQTTKIT_ERR_TLS_HANDSHAKE`,
 * `MQTTKIT_ERR_WEBSOCKET_UPGRADE` (`cause` is the HTTP response, an {@link UpgradeResponse}),
 * `MQTTKIT_ERR_WEBSOCKET_PROTOCOL`, `MQTTKIT_ERR_ABORTED`, `MQTTKIT_ERR_TRANSPORT`.
 *
 * @example
 * ```ts
 * client.on('reconnect', ({ error }) => {
 *   if (error instanceof ConnectionError && error.code === 'MQTTKIT_ERR_CONNECTION_REFUSED') console.warn('broker down, retrying');
 * });
 * ```
 */
export class ConnectionError extends MqttkitError {
  static override readonly brand: string = 'ConnectionError';

  /** Retryable unless `options.retryable` says otherwise. */
  constructor(message: string, code: string, options: MqttkitErrorOptions = {}) {
    super(message, code, { retryable: true, ...options });
  }
}

/**
 * The broker answered with a failure reason code: a refused CONNECT, a PUBACK,
 * PUBREC, SUBACK or UNSUBACK with a code >= 0x80, or a DISCONNECT it sent.
 * `code` is `MQTTKIT_ERR_` plus the specification's name of the reason
 * (`MQTTKIT_ERR_NOT_AUTHORIZED`), `packet` the packet that carried it.
 * On MQTT 3.1/3.1.1 a refused CONNECT's return code is mapped to the MQTT 5 reason (see
 * {@link connackReturnCodeToReasonCode}).
 *
 * @example
 * ```ts
 * try {
 *   await client.subscribe('admin/#', { qos: 1 });
 * } catch (err) {
 *   if (err instanceof ReasonCodeError && err.reasonCode === ReasonCode.NotAuthorized) console.error(err.packet, err.reasonString);
 * }
 * ```
 */
export class ReasonCodeError extends MqttkitError {
  static override readonly brand: string = 'ReasonCodeError';
  declare readonly reasonCode: number;
  /** The packet that carried the reason code, e.g. `connack`, `puback`, `disconnect`. */
  readonly packet: string;
  /** The broker's Reason String (MQTT 5), when it sent one. */
  readonly reasonString: string | undefined;

  /** `reasonName` is the specification's name (see {@link reasonCodeName}); the code is `MQTTKIT_ERR_` plus it. */
  constructor(packet: string, reasonCode: number, reasonName: string, retryable: boolean, reasonString?: string) {
    super(
      `${packet.toUpperCase()} reason 0x${reasonCode.toString(16).padStart(2, '0')} (${reasonName})${reasonString ? `: ${reasonString}` : ''}`,
      `MQTTKIT_ERR_${reasonName}`,
      { reasonCode, retryable },
    );
    this.packet = packet;
    this.reasonString = reasonString;
  }
}

/**
 * An operation could not complete in the client's current state: the client
 * was closed (`MQTTKIT_ERR_CLIENT_CLOSED`), is offline and told to drop
 * (`MQTTKIT_ERR_NOT_CONNECTED`), its offline queue is full
 * (`MQTTKIT_ERR_QUEUE_FULL`), the broker does not support what was asked
 * (`MQTTKIT_ERR_NOT_SUPPORTED`), no packet identifier was free, or it timed out
 * (`MQTTKIT_ERR_TIMEOUT`) or was aborted (`MQTTKIT_ERR_ABORTED`).
 * Also: `MQTTKIT_ERR_CONNECTION_LOST` (closed without DISCONNECT), `MQTTKIT_ERR_KEEPALIVE_TIMEOUT` (no PINGRESP
 * in time), `MQTTKIT_ERR_SERVER_DISCONNECTED` (the broker sent a normal DISCONNECT), `MQTTKIT_ERR_SLOW_CONSUMER`
 * (a subscription's buffer overflowed), `MQTTKIT_ERR_INVALID_STATE` (a subscription iterated twice),
 * `MQTTKIT_ERR_AUTH` (enhanced authentication failed locally), `MQTTKIT_ERR_STORE_*` (stores).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 2_000);
 * try {
 *   await client.publish('jobs/new', payload, { qos: 1, signal: controller.signal });
 * } catch (err) {
 *   if (err instanceof StateError && err.code === 'MQTTKIT_ERR_ABORTED') console.warn('gave up waiting for PUBACK');
 * }
 * ```
 */
export class StateError extends MqttkitError {
  static override readonly brand: string = 'StateError';
}

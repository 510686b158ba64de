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

export interface MqttkitErrorOptions {
  reasonCode?: number;
  cause?: unknown;
  retryable?: boolean;
}

/** The base class of every mqttkit error. */
export class MqttkitError extends Error {
  /** The name `instanceof` checks against; unique per class across package copies. */
  static readonly brand: string = 'MqttkitError';

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
 */
export class InvalidArgumentError extends MqttkitError {
  static override readonly brand: string = 'InvalidArgumentError';
  /** The option or packet field that was wrong, e.g. `topic` or `properties.topicAlias`. */
  readonly field: string;

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
 */
export class MalformedPacketError extends MqttkitError {
  static override readonly brand: string = 'MalformedPacketError';
  /** The packet field that was wrong, e.g. `topic`, `remainingLength`, `properties`. */
  readonly field: string;
  declare readonly reasonCode: number;

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
 */
export class ConnectionError extends MqttkitError {
  static override readonly brand: string = 'ConnectionError';

  constructor(message: string, code: string, options: MqttkitErrorOptions = {}) {
    super(message, code, { retryable: true, ...options });
  }
}

/**
 * The broker answered with a failure reason code: a refused CONNECT, a PUBACK,
 * PUBREC, SUBACK or UNSUBACK with a code >= 0x80, or a DISCONNECT it sent.
 * `code` is `MQTTKIT_ERR_` plus the specification's name of the reason
 * (`MQTTKIT_ERR_NOT_AUTHORIZED`), `packet` the packet that carried it.
 */
export class ReasonCodeError extends MqttkitError {
  static override readonly brand: string = 'ReasonCodeError';
  declare readonly reasonCode: number;
  /** The packet that carried the reason code, e.g. `connack`, `puback`, `disconnect`. */
  readonly packet: string;
  /** The broker's Reason String (MQTT 5), when it sent one. */
  readonly reasonString: string | undefined;

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
 */
export class StateError extends MqttkitError {
  static override readonly brand: string = 'StateError';
}

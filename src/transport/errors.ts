/**
 * Maps the platform's socket and TLS errors to {@link ConnectionError}s with
 * stable codes, so the client's reconnect logic can decide on `retryable`
 * without knowing Node's error codes.
 *
 * Codes:
 * - `MQTTKIT_ERR_CONNECTION_REFUSED` ECONNREFUSED (retryable)
 * - `MQTTKIT_ERR_DNS` ENOTFOUND, EAI_AGAIN, EAI_FAIL, EAI_NODATA (retryable: DNS comes back)
 * - `MQTTKIT_ERR_CONNECT_TIMEOUT` our own connect timer, or ETIMEDOUT while connecting (retryable)
 * - `MQTTKIT_ERR_CONNECTION_RESET` ECONNRESET, EPIPE, ECONNABORTED, ETIMEDOUT on an open link (retryable)
 * - `MQTTKIT_ERR_TLS_CERTIFICATE` the server's certificate failed verification (self-signed,
 *   untrusted, expired, host name mismatch, ...) or the server rejected ours. Not retryable:
 *   the next attempt meets the same certificate.
 * - `MQTTKIT_ERR_TLS_HANDSHAKE` any other TLS failure while opening (no shared protocol
 *   version or cipher, not a TLS server, ...). Not retryable: these are configuration mismatches.
 * - `MQTTKIT_ERR_ABORTED` the caller's AbortSignal fired (not retryable: the caller said stop)
 * - `MQTTKIT_ERR_WEBSOCKET_UPGRADE` the server answered the WebSocket upgrade with an HTTP
 *   status instead of 101 (`cause` is an {@link UpgradeResponse}). Retryable only for 408,
 *   429 and 5xx (a proxy whose broker is restarting); 401, 403, 404 and the rest need a
 *   change on one side or the other.
 * - `MQTTKIT_ERR_WEBSOCKET_PROTOCOL` the server upgraded without agreeing to the MQTT
 *   subprotocol (`mqtt`, or `mqttv3.1` for MQTT 3.1). Not retryable: it is not an MQTT endpoint.
 * - `MQTTKIT_ERR_TRANSPORT` anything else (retryable), including a browser WebSocket that
 *   failed to open: browsers hide why (refused, DNS, TLS and HTTP errors all look alike).
 */

import { ConnectionError } from '../errors.js';

/** What the transport was doing when the error happened. */
export type TransportPhase = 'connecting' | 'open';

/** The shape of the errors Node's net and tls modules emit. */
interface PlatformError {
  code?: unknown;
  message?: unknown;
  reason?: unknown;
}

/** OpenSSL's X.509 verification results (as Node names them) and Node's own host name check. */
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** TLS alerts by which the server says it does not accept our (missing) client certificate. */
const CLIENT_CERTIFICATE_ALERTS: ReadonlySet<string> = new Set([
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
]);

const DNS_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as PlatformError).code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const message = (err as PlatformError).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return String(err);
}

/** OpenSSL errors carry a short `reason` ('wrong version number'); prefer it over the long message. */
function reasonOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const reason = (err as PlatformError).reason;
    if (typeof reason === 'string' && reason !== '') return reason;
  }
  return messageOf(err);
}

function withCode(text: string, code: string | undefined): string {
  return code === undefined || text.includes(code) ? text : `${text} (${code})`;
}

/**
 * Turns an error from a Node socket into a {@link ConnectionError}. `target`
 * is `host:port`, used in messages. An error that already is a
 * ConnectionError is returned as is.
 */
export function toConnectionError(err: unknown, target: string, phase: TransportPhase): ConnectionError {
  if (err instanceof ConnectionError) return err;
  const code = codeOf(err);
  const cause = err;

  if (code === 'ECONNREFUSED') {
    return new ConnectionError(`connection to ${target} refused (ECONNREFUSED)`, 'MQTTKIT_ERR_CONNECTION_REFUSED', { cause });
  }
  if (code !== undefined && DNS_CODES.has(code)) {
    const host = target.slice(0, target.lastIndexOf(':'));
    return new ConnectionError(`could not resolve host ${host} (${code})`, 'MQTTKIT_ERR_DNS', { cause });
  }
  if (code !== undefined && CERTIFICATE_CODES.has(code)) {
    return new ConnectionError(`TLS certificate of ${target} rejected: ${withCode(messageOf(err), code)}`, 'MQTTKIT_ERR_TLS_CERTIFICATE', {
      cause,
      retryable: false,
    });
  }
  if (code !== undefined && CLIENT_CERTIFICATE_ALERTS.has(code)) {
    return new ConnectionError(
      `${target} rejected the client certificate: ${withCode(reasonOf(err), code)}`,
      'MQTTKIT_ERR_TLS_CERTIFICATE',
      { cause, retryable: false },
    );
  }
  if (code === 'ETIMEDOUT') {
    return phase === 'connecting'
      ? new ConnectionError(`connecting to ${target} timed out (ETIMEDOUT)`, 'MQTTKIT_ERR_CONNECT_TIMEOUT', { cause })
      : new ConnectionError(`connection to ${target} timed out (ETIMEDOUT)`, 'MQTTKIT_ERR_CONNECTION_RESET', { cause });
  }
  if (code !== undefined && RESET_CODES.has(code)) {
    const text = phase === 'connecting' ? `connection to ${target} closed while opening` : `connection to ${target} was reset`;
    return new ConnectionError(`${text} (${code})`, 'MQTTKIT_ERR_CONNECTION_RESET', { cause });
  }
  if (code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO')) {
    return phase === 'connecting'
      ? new ConnectionError(`TLS handshake with ${target} failed: ${withCode(reasonOf(err), code)}`, 'MQTTKIT_ERR_TLS_HANDSHAKE', {
          cause,
          retryable: false,
        })
      : new ConnectionError(`TLS error on the connection to ${target}: ${withCode(reasonOf(err), code)}`, 'MQTTKIT_ERR_TRANSPORT', {
          cause,
        });
  }
  return new ConnectionError(`transport to ${target} failed: ${withCode(messageOf(err), code)}`, 'MQTTKIT_ERR_TRANSPORT', { cause });
}

/** The attempt was cancelled through the caller's AbortSignal; `cause` is the signal's reason. */
export function abortedError(target: string, reason: unknown): ConnectionError {
  return new ConnectionError(`connecting to ${target} was aborted`, 'MQTTKIT_ERR_ABORTED', { cause: reason, retryable: false });
}

/** Our own timer ran out before the transport opened. */
export function connectTimeoutError(target: string, ms: number, what: string): ConnectionError {
  return new ConnectionError(`${what} ${target} did not complete within ${ms} ms`, 'MQTTKIT_ERR_CONNECT_TIMEOUT');
}

/** The HTTP response that refused a WebSocket upgrade: the `cause` of MQTTKIT_ERR_WEBSOCKET_UPGRADE. */
export interface UpgradeResponse {
  /** The HTTP status, e.g. 401, 403, 404 or 502. */
  status: number;
  /** The status line's text, e.g. `Unauthorized`. */
  statusText: string;
  /** The response headers, lower-case names (e.g. `www-authenticate`). */
  headers: Record<string, string | string[] | undefined>;
}

/** The server answered the upgrade request with `response.status` instead of 101 Switching Protocols. */
export function upgradeRefusedError(target: string, response: UpgradeResponse): ConnectionError {
  const { status, statusText } = response;
  const retryable = status === 408 || status === 429 || status >= 500;
  const text = `${status}${statusText === '' ? '' : ` ${statusText}`}`;
  return new ConnectionError(`WebSocket upgrade to ${target} refused with HTTP ${text}`, 'MQTTKIT_ERR_WEBSOCKET_UPGRADE', {
    cause: response,
    retryable,
  });
}

/** The server's answer named no subprotocol, or one we did not offer. */
export function subprotocolError(target: string, offered: string, chosen: string | undefined): ConnectionError {
  const got = chosen === undefined || chosen === '' ? 'none' : `"${chosen}"`;
  return new ConnectionError(
    `WebSocket server ${target} did not accept the MQTT subprotocol "${offered}" (it chose ${got}): is this an MQTT endpoint?`,
    'MQTTKIT_ERR_WEBSOCKET_PROTOCOL',
    { retryable: false },
  );
}

/** A WebSocket that failed to open without saying why (what browsers report, by design). */
export function webSocketFailedError(target: string, cause: unknown): ConnectionError {
  return new ConnectionError(
    `WebSocket connection to ${target} failed (the server is unreachable, refused the upgrade, or its TLS certificate is not trusted)`,
    'MQTTKIT_ERR_TRANSPORT',
    { cause },
  );
}

/** An open WebSocket closed with a code other than a normal closure. */
export function webSocketClosedError(target: string, code: number, reason: string): ConnectionError {
  const why = reason === '' ? '' : `: ${reason}`;
  return code === 1006
    ? new ConnectionError(`WebSocket connection to ${target} was lost (close code 1006)`, 'MQTTKIT_ERR_CONNECTION_RESET')
    : new ConnectionError(`WebSocket connection to ${target} closed with code ${code}${why}`, 'MQTTKIT_ERR_TRANSPORT');
}

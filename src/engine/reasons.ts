/**
 * Turns reason codes from the broker into errors, and decides which failures
 * retrying can fix. Reconnecting after "bad user name or password" or "not
 * authorized" only hammers the broker, so those stop reconnection by default.
 */
import { reasonCodeName } from '../codec/reason-codes.js';
import { MqttkitError, ReasonCodeError, StateError } from '../errors.js';

/** Reasons a new connection attempt will meet again (MQTT 5 codes; 3.1.1 return codes are mapped first). */
const FATAL = new Set([
  0x81, // malformed packet: we would send the same CONNECT
  0x82, // protocol error
  0x84, // unsupported protocol version
  0x85, // client identifier not valid
  0x86, // bad user name or password
  0x87, // not authorized
  0x8a, // banned
  0x8c, // bad authentication method
  0x8e, // session taken over: reconnecting would fight the other client for the id
  0x90, // will topic name invalid
  0x95, // packet too large (the CONNECT)
  0x99, // payload format invalid (will)
  0x9a, // retain not supported (will)
  0x9b, // QoS not supported (will)
]);

export function isRetryableReason(code: number): boolean {
  return !FATAL.has(code);
}

export function reasonError(packet: string, code: number, reasonString?: string): ReasonCodeError {
  return new ReasonCodeError(packet, code, reasonCodeName(code), isRetryableReason(code), reasonString);
}

/** A transport's failure as the error the engine reports (a lost connection, retryable). */
export function asMqttkitError(err: Error): MqttkitError {
  if (err instanceof MqttkitError) return err;
  return new StateError(`connection lost: ${err.message}`, 'MQTTKIT_ERR_CONNECTION_LOST', { retryable: true, cause: err });
}

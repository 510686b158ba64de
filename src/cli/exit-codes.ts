/**
 * Exit statuses, so scripts can tell a typo from a dead broker from a wrong
 * password without reading stderr. `--help` prints {@link EXIT_CODES}.
 */
import { ConnectionError, InvalidArgumentError, MalformedPacketError, MqttkitError, ReasonCodeError } from '../errors.js';

export const ExitCode = {
  ok: 0,
  usage: 1,
  connection: 2,
  notAuthorized: 3,
  timeout: 4,
  failed: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [ExitCode.ok, 'success; also after Ctrl-C or SIGTERM, once the client has disconnected cleanly'],
  [ExitCode.usage, 'usage error: unknown flag, missing or bad value, unreadable file (the message names the flag)'],
  [ExitCode.connection, 'could not connect or lost the connection: refused, host unreachable or unknown, TLS failure'],
  [ExitCode.notAuthorized, 'not authorized: bad user name or password, or the broker refused the client or operation'],
  [ExitCode.timeout, 'timed out: -W seconds passed before the command finished'],
  [ExitCode.failed, 'the broker refused something else (a CONNACK, PUBACK or SUBACK failure reason), or another error'],
];

/** MQTT 5 reasons that mean "who you are is not allowed": bad user name or password, not authorized, banned, bad auth method. */
const AUTH_REASONS: ReadonlySet<number> = new Set([0x86, 0x87, 0x8a, 0x8c]);

/** The error `-W` ends a command with. */
export class CliTimeoutError extends MqttkitError {
  static override readonly brand: string = 'CliTimeoutError';

  constructor(readonly ms: number) {
    super(`timed out after ${ms / 1000} s (-W)`, 'MQTTKIT_ERR_TIMEOUT');
  }
}

/** The one line printed for a failure: the error's message, with what it means for a CONNACK refusal. */
export function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof ReasonCodeError) || err.packet !== 'connack') return message;
  const hint = AUTH_REASONS.has(err.reasonCode) ? ' (check -u and -P)' : '';
  return `the broker refused the connection: ${message}${hint}`;
}

export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof InvalidArgumentError) return ExitCode.usage;
  if (err instanceof CliTimeoutError) return ExitCode.timeout;
  if (err instanceof MalformedPacketError) return ExitCode.failed;
  if (err instanceof ConnectionError) return ExitCode.connection;
  if (err instanceof MqttkitError) {
    if (err.reasonCode !== undefined && AUTH_REASONS.has(err.reasonCode)) return ExitCode.notAuthorized;
    if (err.code === 'MQTTKIT_ERR_CONNECTION_LOST' || err.code === 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT') return ExitCode.connection;
  }
  return ExitCode.failed;
}

/**
 * MQTT 5 enhanced authentication for the client (§4.12): the AUTH the client
 * sends to re-authenticate, and its answers to the broker's challenges,
 * computed by the application's `onAuth`.
 */
import type { Input } from '../engine/types.js';
import { InvalidArgumentError, type MqttkitError, StateError } from '../errors.js';
import type { ClientOptions } from './options.js';

/** The engine input that re-authenticates with `data`; throws when that cannot work (not MQTT 5, no method). */
export function reauthentication(version: 3 | 4 | 5, options: ClientOptions, data: Uint8Array | undefined, now: number): Input {
  if (version !== 5) throw new InvalidArgumentError('reauthenticate: enhanced authentication needs MQTT 5', 'protocolVersion');
  const method = options.properties?.authenticationMethod;
  if (method === undefined) {
    throw new InvalidArgumentError('reauthenticate: needs options.properties.authenticationMethod', 'properties.authenticationMethod');
  }
  return { type: 'auth', now, reasonCode: 0x19, properties: { authenticationMethod: method, authenticationData: data } };
}

/**
 * Answers the broker's AUTH (0x18, continue authentication) through
 * `options.onAuth`: `send` gets the answer's input, `fail` what went wrong.
 */
export async function answerChallenge(
  options: ClientOptions,
  reasonCode: number,
  data: Uint8Array | undefined,
  send: (answer: Input) => void,
  fail: (error: MqttkitError) => void,
  now: () => number,
): Promise<void> {
  const method = options.properties?.authenticationMethod;
  if (reasonCode !== 0x18 || method === undefined) return;
  const handler = options.onAuth;
  if (handler === undefined) {
    fail(new StateError('auth: the broker sent an AUTH challenge and options.onAuth is not set', 'MQTTKIT_ERR_AUTH'));
    return;
  }
  try {
    const answer = await handler({ method, data, reasonCode });
    send({ type: 'auth', now: now(), reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: answer } });
  } catch (err) {
    fail(new StateError(`auth: onAuth failed: ${String(err)}`, 'MQTTKIT_ERR_AUTH', { cause: err }));
  }
}

/** `connect()`'s promise: the first CONNACK, or the first failure. */
import { StateError } from '../errors.js';
import { abortError } from './abort.js';
import type { MqttClient } from './client.js';
import type { ClientOptions } from './options.js';

/**
 * Connects and resolves once the broker accepted (CONNACK success). Rejects
 * with a typed error carrying the reason code when the first attempt fails;
 * the client then stops.
 */
export function connectWith(client: MqttClient, signal?: AbortSignal): Promise<MqttClient> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      client.off('connect', onConnect);
      client.off('reconnect', onFailure);
      client.off('close', onFailure);
      signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const onFailure = (e: { error?: Error }) => {
      cleanup();
      void client.end({ force: true });
      reject(e.error ?? new StateError('connect: the connection closed before CONNACK', 'MQTTKIT_ERR_CONNECTION_LOST'));
    };
    const onAbort = () => onFailure({ error: abortError(signal as AbortSignal) });
    client.on('connect', onConnect);
    client.on('reconnect', onFailure);
    client.on('close', onFailure);
    signal?.addEventListener('abort', onAbort, { once: true });
    client.start();
  });
}

/**
 * An entry point's `connect(url, options)`: a client made by `create` (the
 * entry's `createClient`), connected; a bad URL or option rejects.
 */
export function connectNew(
  create: (url: string | URL, options: ClientOptions) => MqttClient,
  url: string | URL,
  options: ClientOptions & { signal?: AbortSignal },
): Promise<MqttClient> {
  const { signal, ...clientOptions } = options;
  let client: MqttClient;
  try {
    client = create(url, clientOptions);
  } catch (err) {
    return Promise.reject(err);
  }
  return connectWith(client, signal);
}

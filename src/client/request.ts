/**
 * MQTT 5 request/response (§4.10): publish with a Response Topic and
 * Correlation Data, resolve with the response that carries the same data.
 *
 * Design: one response subscription per client, made on first use and shared
 * by every request. A request that times out, is aborted, or fails to publish
 * removes its correlation entry at once, so nothing leaks.
 */
import { InvalidArgumentError, type MqttkitError, StateError } from '../errors.js';
import { LazyMap } from '../store/lazy.js';
import type { PublishOptions } from './client.js';
import type { ReceivedMessage } from './message.js';
import type { Payload } from './options.js';
import type { Scheduler } from './scheduler.js';

/**
 * Options of {@link MqttClient.request}: those of a publish, plus how long to wait. `properties.responseTopic` and
 * `properties.correlationData` are set by the client (yours are replaced).
 */
export interface RequestOptions extends PublishOptions {
  /** Milliseconds to wait for the response (default 30 000). */
  timeout?: number;
}

interface Waiter {
  resolve: (m: ReceivedMessage) => void;
  reject: (e: unknown) => void;
  timer: unknown;
  cleanup: () => void;
}

/** What the requester needs from its client. */
export interface RequesterHost {
  readonly protocolVersion: 3 | 4 | 5;
  readonly clientId: string;
  publish(topic: string, payload: Payload, options: PublishOptions): Promise<unknown>;
  subscribe(filter: string, options: { qos: 1 }): Promise<unknown>;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export class Requester {
  private readonly waiters = new LazyMap<string, Waiter>();
  private responseTopic: string | undefined;
  private subscribed: Promise<unknown> | undefined;

  constructor(
    private readonly host: RequesterHost,
    private readonly scheduler: Scheduler,
  ) {}

  /** Requests waiting for a response (for tests and metrics). */
  get pending(): number {
    return this.waiters.size;
  }

  async request(topic: string, payload: Payload, options: RequestOptions): Promise<ReceivedMessage> {
    if (this.host.protocolVersion !== 5) {
      throw new StateError('request: needs MQTT 5 (Response Topic and Correlation Data)', 'MQTTKIT_ERR_NOT_SUPPORTED');
    }
    const { timeout = 30_000, signal, properties, ...publishOptions } = options;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidArgumentError('timeout: must be a positive number of ms', 'timeout');
    if (signal?.aborted) throw new StateError('the operation was aborted', 'MQTTKIT_ERR_ABORTED', { cause: signal.reason });
    if (this.responseTopic === undefined) {
      const id = new Uint8Array(6);
      globalThis.crypto.getRandomValues(id);
      this.responseTopic = `mqttkit/responses/${hex(id)}`;
    }
    const responseTopic = this.responseTopic;
    this.subscribed ??= this.host.subscribe(responseTopic, { qos: 1 }).catch((err) => {
      this.subscribed = undefined;
      throw err;
    });
    await this.subscribed;
    const correlationData = new Uint8Array(16);
    globalThis.crypto.getRandomValues(correlationData);
    const key = hex(correlationData);
    const response = new Promise<ReceivedMessage>((resolve, reject) => {
      const onAbort = () =>
        this.finish(key, undefined, new StateError('the operation was aborted', 'MQTTKIT_ERR_ABORTED', { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = this.scheduler.setTimeout(
        () =>
          this.finish(
            key,
            undefined,
            new StateError(`request: no response on ${topic} within ${timeout} ms`, 'MQTTKIT_ERR_TIMEOUT', { retryable: true }),
          ),
        timeout,
      );
      this.waiters.set(key, { resolve, reject, timer, cleanup: () => signal?.removeEventListener('abort', onAbort) });
    });
    this.host
      .publish(topic, payload, { ...publishOptions, signal, properties: { ...properties, responseTopic, correlationData } })
      .catch((err) => this.finish(key, undefined, err));
    return response;
  }

  /** Routes a received message to its waiting request, if it is a response. */
  onMessage(m: ReceivedMessage): void {
    if (this.waiters.size === 0 || m.topic !== this.responseTopic) return;
    const data = m.properties?.correlationData;
    if (data !== undefined) this.finish(hex(data), m, undefined);
  }

  /** Fails every waiting request (the client closed). */
  close(error?: MqttkitError): void {
    for (const key of [...this.waiters.keys()]) {
      this.finish(
        key,
        undefined,
        error ?? new StateError('the client was closed before the response arrived', 'MQTTKIT_ERR_CLIENT_CLOSED'),
      );
    }
    this.subscribed = undefined;
  }

  private finish(key: string, message: ReceivedMessage | undefined, error: unknown): void {
    const w = this.waiters.get(key);
    if (w === undefined) return;
    this.waiters.delete(key);
    this.scheduler.clearTimeout(w.timer);
    w.cleanup();
    if (message !== undefined) w.resolve(message);
    else w.reject(error);
  }
}

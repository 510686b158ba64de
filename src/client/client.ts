/**
 * MqttClient: the engine wired to a transport, timers and promises.
 *
 * Design: a thin loop. User calls and I/O events become engine inputs; the
 * engine's actions become socket writes, timers, settled promises and events.
 * Writes made in one tick are coalesced into one transport write. Every
 * connection attempt gets a generation number, so a late event from an old
 * transport can never reach the engine.
 */
import type { UserProperty } from '../codec/types.js';
import { Engine, type EngineState } from '../engine/engine.js';
import type { Action, EngineEvent, Input, OpId, OpResult } from '../engine/types.js';
import { InvalidArgumentError, type MqttkitError } from '../errors.js';
import { LazyMap } from '../store/lazy.js';
import type { TransportFactory } from '../transport/types.js';
import { abortError } from './abort.js';
import { answerChallenge, reauthentication } from './auth.js';
import { connectWith } from './connect.js';
import { Connection } from './connection.js';
import { TypedEmitter } from './events.js';
import { ReceivedMessage } from './message.js';
import { type ClientOptions, engineOptions, type Payload, parseUrl, toBytes } from './options.js';
import { Requester, type RequestOptions } from './request.js';
import { platformScheduler, type Scheduler } from './scheduler.js';
import type { Subscription } from './subscription.js';
import { Subscriptions } from './subscriptions.js';
import type { ClientEvents, EndOptions, PublishOptions, PublishResult, SubscribeOptions } from './types.js';

export type { ClientEvents, EndOptions, PublishOptions, PublishResult, SubscribeOptions } from './types.js';

type SyncDecision = Action & { type: 'settle' | 'fail' };
type Pending = { resolve: (r: unknown) => void; reject: (e: MqttkitError) => void; cleanup?: () => void };

/**
 * An MQTT client: one logical connection to one broker that reconnects by itself, with promises that always
 * settle, typed events ({@link ClientEvents}) and subscriptions you can `for await`. Get one from `connect()`
 * (connected) or `createClient()` (not yet).
 *
 * While offline, publishes wait in a bounded queue and are sent on reconnection; QoS 1/2 messages in flight are
 * resent as MQTT requires. Every method either does what it says or rejects with a typed error
 * ({@link MqttkitError} and its subclasses, with a stable `code`).
 *
 * @example
 * ```ts
 * import { connect } from 'mqttkit';
 *
 * const client = await connect('mqtt://localhost:1883', { clientId: 'sensor-42', will: { topic: 'status/sensor-42', payload: 'offline', retain: true } });
 * await client.publish('status/sensor-42', 'online', { retain: true });
 * const sub = await client.subscribe('commands/sensor-42/#', { qos: 1 });
 * for await (const message of sub) {
 *   console.log(message.topic, message.text());
 *   if (message.text() === 'stop') break; // leaving the loop unsubscribes
 * }
 * await client.end();
 * ```
 */
export class MqttClient extends TypedEmitter<ClientEvents> {
  /** The broker URL, parsed (credentials in it are used for CONNECT unless `username`/`password` are given). */
  readonly url: URL;
  private readonly engine: Engine;
  private readonly scheduler: Scheduler;
  private readonly options: ClientOptions;
  private readonly connection: Connection;
  private nextOp = 1;
  private readonly pending = new LazyMap<OpId, Pending>();
  private readonly timers = new LazyMap<string, unknown>();
  /** Settlements to run after the batch they follow is written (QoS 0 resolves once written). */
  private afterFlush: Action[] = [];
  private readonly subscriptions = new Subscriptions();
  private readonly requester: Requester;
  /** The operation being fed to the engine right now, and its result if the engine decided it at once. */
  private syncOp: OpId = 0;
  private syncAction: SyncDecision | undefined;
  /** One promise for all QoS 0 publishes in the batch being written. */
  private batchWritten: Promise<PublishResult> | undefined;
  private resolveBatchWritten: ((r: PublishResult) => void) | undefined;

  /**
   * Prefer `createClient()` or `connect()`, which pass the platform's transports. `defaultTransport` picks the
   * transport for the URL when `options.transport` is not given. Throws InvalidArgumentError for a bad URL or
   * option, naming it.
   */
  constructor(url: string | URL, options: ClientOptions, defaultTransport: (url: URL) => TransportFactory) {
    super();
    this.url = parseUrl(url);
    this.options = options;
    const engine = new Engine(engineOptions(this.url, options));
    this.engine = engine;
    this.scheduler = options.scheduler ?? platformScheduler;
    this.connection = new Connection(
      options.transport ?? defaultTransport(this.url),
      {
        url: this.url,
        tls: options.tls,
        connectTimeout: options.connectTimeout,
        // Read at each connection attempt: with protocolVersion 'auto' it changes while negotiating.
        get protocolVersion() {
          return engine.protocolVersion;
        },
      },
      {
        onOpen: () => this.input({ type: 'transport-open', now: this.scheduler.now() }),
        onData: (data) => this.input({ type: 'bytes', now: this.scheduler.now(), data }),
        onClose: (error) => this.input({ type: 'transport-closed', now: this.scheduler.now(), error }),
        onFlushed: () => this.settleWritten(),
        onWritable: (writable) => this.input({ type: 'writable', now: this.scheduler.now(), writable }),
        beforeWrite: () => options.store?.commit?.(),
      },
    );
    this.requester = new Requester(this, this.scheduler);
  }

  /** `idle`, `opening`, `connecting`, `connected`, `ending`, `waiting` (to reconnect) or `closed`. */
  get state(): EngineState {
    return this.engine.state;
  }

  /** Whether a connection is up and accepted right now (state `connected`). */
  get connected(): boolean {
    return this.engine.state === 'connected';
  }

  /**
   * The protocol level in use: 3 (MQTT 3.1), 4 (3.1.1) or 5. With `protocolVersion: 'auto'` it is 5 until a
   * broker accepted an older version, and then stays what was negotiated.
   */
  get protocolVersion(): 3 | 4 | 5 {
    return this.engine.protocolVersion;
  }

  /** The client identifier in use (the one the broker assigned, if it did). */
  get clientId(): string {
    return this.engine.assignedClientId;
  }

  /** Publishes waiting to be sent (offline, or over the broker's Receive Maximum). */
  get queuedCount(): number {
    return this.engine.queuedCount;
  }

  /** QoS 1/2 publishes sent and not yet fully acknowledged. */
  get inFlightCount(): number {
    return this.engine.inFlightCount;
  }

  /** Starts connecting (and reconnecting); `connect()` does this for you. */
  start(): void {
    this.input({ type: 'start', now: this.scheduler.now() });
  }

  /**
   * Starts connecting and resolves on the first CONNACK success (rejects, and
   * stops, when the first attempt fails). For a client from `createClient`:
   * listeners attached before this call see every message, also those a
   * persistent session delivers right after CONNACK.
   *
   * @example
   * const client = createClient('mqtt://localhost:1883', { clientId: 'dev-42', clean: false });
   * client.on('message', (m) => console.log(m.topic, m.text()));
   * await client.connect();
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<this> {
    return connectWith(this, options.signal) as Promise<this>;
  }

  /**
   * Publishes a message. Resolves when the delivery guarantee is met: QoS 0
   * once written to the transport, QoS 1 on PUBACK, QoS 2 on PUBCOMP.
   * While offline the message waits in the queue (QoS 0 too, unless `qos0WhenOffline: 'drop'`). Rejects with
   * InvalidArgumentError for a bad topic or payload (nothing is queued), StateError MQTTKIT_ERR_QUEUE_FULL when
   * the offline queue is full, ReasonCodeError when the broker refuses it (MQTT 5, code >= 0x80), and
   * MQTTKIT_ERR_CLIENT_CLOSED when the client ends first.
   *
   * @example
   * ```ts
   * await client.publish('sensors/42/temp', JSON.stringify({ celsius: 21.5 }), {
   *   qos: 1,
   *   properties: { contentType: 'application/json', userProperties: [['unit', 'C']] },
   * });
   * ```
   */
  publish(topic: string, payload: Payload, options: PublishOptions = {}): Promise<PublishResult> {
    let bytes: Uint8Array;
    try {
      if (typeof topic !== 'string') throw new InvalidArgumentError(`topic: must be a string, got ${typeof topic}`, 'topic');
      bytes = toBytes(payload, 'payload');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op<PublishResult>(options.signal, {
      type: 'publish',
      now: this.scheduler.now(),
      op: this.nextOp++,
      topic,
      payload: bytes,
      options,
    });
  }

  /**
   * Subscribes to one or more topic filters. Resolves (after SUBACK) to a
   * Subscription: its `reasonCodes` hold the granted QoS per filter, and it is
   * an async iterable of the matching messages. Rejects if every filter was refused.
   * Messages are buffered from the moment SUBSCRIBE is sent, so retained messages that arrive before the
   * SUBACK are not lost. The subscription is renewed after a reconnection that lost the session.
   *
   * @example
   * ```ts
   * const sub = await client.subscribe(['sensors/+/temp', 'sensors/+/humidity'], { qos: 1 });
   * if (sub.reasonCodes.some((code) => code >= 0x80)) console.warn('some filters were refused', sub.reasonCodes);
   * for await (const message of sub) console.log(message.topic, message.json());
   * ```
   */
  async subscribe(filters: string | string[], options: SubscribeOptions = {}): Promise<Subscription> {
    const list = typeof filters === 'string' ? [filters] : filters;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('filters: give at least one topic filter', 'filters');
    const { sub, request } = this.subscriptions.open(list, options, this.options.highWaterMark ?? 10_000, (s) =>
      this.unsubscribeFilters(s),
    );
    try {
      const result = await this.op<OpResult>(options.signal, { type: 'subscribe', now: this.scheduler.now(), op: this.nextOp++, request });
      sub.reasonCodes = result.kind === 'subscribe' ? result.reasonCodes : [];
      return sub;
    } catch (err) {
      this.subscriptions.close(sub, err as Error);
      throw err;
    }
  }

  /**
   * Unsubscribes from topic filters; resolves with the reason codes (MQTT 5) after UNSUBACK.
   * On MQTT 3.1/3.1.1 it resolves with an empty array. Subscriptions whose filters are all removed end their
   * iteration. Prefer {@link Subscription.unsubscribe}, which keeps a filter that another live subscription still
   * uses.
   *
   * @example
   * ```ts
   * const codes = await client.unsubscribe('sensors/+/temp'); // [0] on MQTT 5, [] before
   * ```
   */
  async unsubscribe(
    filters: string | string[],
    options: { properties?: { userProperties?: UserProperty[] }; signal?: AbortSignal } = {},
  ): Promise<number[]> {
    const list = typeof filters === 'string' ? [filters] : filters;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('filters: give at least one topic filter', 'filters');
    // Only the subscriptions this UNSUBSCRIBE covers: one made while it is in flight comes after it on the wire and stays.
    const covered = this.subscriptions.coveredBy(list);
    const result = await this.op<OpResult>(options.signal, {
      type: 'unsubscribe',
      now: this.scheduler.now(),
      op: this.nextOp++,
      topicFilters: list,
      properties: options.properties,
    });
    for (const sub of covered) this.subscriptions.close(sub);
    return result.kind === 'unsubscribe' ? result.reasonCodes : [];
  }

  private async unsubscribeFilters(sub: Subscription): Promise<void> {
    const drop = this.subscriptions.release(sub);
    if (drop.length > 0 && this.engine.state !== 'closed') await this.unsubscribe(drop);
  }

  /**
   * MQTT 5 request/response: publishes with a Response Topic and Correlation
   * Data and resolves with the matching response message.
   * The client subscribes once to a private response topic (`mqttkit/responses/<random>`) on first use. Rejects
   * with StateError MQTTKIT_ERR_NOT_SUPPORTED on MQTT 3.1/3.1.1, MQTTKIT_ERR_TIMEOUT when no response came within
   * `timeout` (default 30 s), MQTTKIT_ERR_ABORTED when `signal` aborts.
   *
   * @example
   * ```ts
   * // Requester
   * const reply = await client.request('devices/42/commands', JSON.stringify({ reboot: true }), { qos: 1, timeout: 5_000 });
   * console.log(reply.json());
   *
   * // Responder (another client)
   * for await (const req of await device.subscribe('devices/42/commands', { qos: 1 })) {
   *   const { responseTopic, correlationData } = req.properties ?? {};
   *   if (responseTopic) await device.publish(responseTopic, '{"ok":true}', { properties: { correlationData } });
   * }
   * ```
   */
  request(topic: string, payload: Payload, options: RequestOptions = {}): Promise<ReceivedMessage> {
    return this.requester.request(topic, payload, options);
  }

  /**
   * Re-authenticates (MQTT 5 enhanced authentication) with the method given at connect.
   * Sends AUTH (0x19) with `data`; the broker's challenges go to `options.onAuth`, failures to the `error` event
   * or a DISCONNECT. Throws (synchronously) InvalidArgumentError when not on MQTT 5 or no
   * `properties.authenticationMethod` was given.
   *
   * @example
   * ```ts
   * client.reauthenticate(new TextEncoder().encode(freshToken));
   * ```
   */
  reauthenticate(data?: Uint8Array): void {
    this.input(reauthentication(this.protocolVersion, this.options, data, this.scheduler.now()));
  }

  /**
   * Disconnects and stops reconnecting. By default waits for in-flight
   * messages to be acknowledged; `force` closes at once. Pending operations
   * then reject with MQTTKIT_ERR_CLIENT_CLOSED.
   * The wait is bounded by `connectTimeout` (default 30 s). While offline it closes at once, and publishes still
   * queued reject too. Resolves once the client is closed (after the `close` event, for a started client).
   *
   * @example
   * ```ts
   * await client.end(); // in-flight QoS 1/2 messages acknowledged, then DISCONNECT
   * // or, to leave at once (what is in flight stays in the session, or the store):
   * await client.end({ force: true });
   * ```
   */
  async end(options: EndOptions = {}): Promise<void> {
    this.connection.abortOpening();
    await this.op(undefined, { type: 'end', now: this.scheduler.now(), op: this.nextOp++, ...options });
  }

  /** Runs one engine operation and returns its promise. */
  private op<T>(signal: AbortSignal | undefined, input: Input & { op: OpId }): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const op = input.op;
    if (signal === undefined) {
      // Many operations are decided within the engine call (a QoS 0 publish is sent or refused at once):
      // those skip the pending-operation bookkeeping, and QoS 0 publishes share one promise per write.
      const outerOp = this.syncOp;
      const outerAction = this.syncAction;
      this.syncOp = op;
      this.syncAction = undefined;
      this.input(input);
      // Set by perform() during input(); TypeScript cannot see that assignment.
      const decided = this.syncAction as SyncDecision | undefined;
      // Restored, in case a listener called in there started an operation of its own.
      this.syncOp = outerOp;
      this.syncAction = outerAction;
      if (decided?.type === 'fail') return Promise.reject(decided.error);
      if (decided?.type === 'settle') {
        if (decided.result.kind === 'publish') return this.whenWritten() as Promise<T>;
        return Promise.resolve(decided.result as T);
      }
      return new Promise<T>((resolve, reject) => {
        this.pending.set(op, { resolve: resolve as (r: unknown) => void, reject });
      });
    }
    const promise = new Promise<T>((resolve, reject) => {
      const entry: Pending = { resolve: resolve as (r: unknown) => void, reject };
      if (signal !== undefined) {
        const onAbort = () => this.input({ type: 'cancel', now: this.scheduler.now(), op, error: abortError(signal) });
        signal.addEventListener('abort', onAbort, { once: true });
        entry.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.set(op, entry);
    });
    this.input(input);
    return promise;
  }

  /** Feeds the engine and carries out what it asks. */
  private input(input: Input): void {
    const actions = this.engine.handle(input);
    for (let i = 0; i < actions.length; i++) this.perform(actions[i]);
  }

  private perform(a: Action): void {
    switch (a.type) {
      case 'send':
        this.connection.write(a.bytes);
        return;
      case 'settle':
      case 'fail':
        if (a.op === this.syncOp) this.syncAction = a;
        else if (this.connection.pendingWrites > 0) this.afterFlush.push(a);
        else this.settle(a);
        return;
      case 'deliver':
        this.deliver(new ReceivedMessage(a.message));
        return;
      case 'set-timer': {
        const old = this.timers.get(a.name);
        if (old !== undefined) this.scheduler.clearTimeout(old);
        const name = a.name;
        this.timers.set(
          name,
          this.scheduler.setTimeout(() => {
            this.timers.delete(name);
            this.input({ type: 'timer', now: this.scheduler.now(), name });
          }, a.delay),
        );
        return;
      }
      case 'clear-timer': {
        const handle = this.timers.get(a.name);
        if (handle !== undefined) {
          this.scheduler.clearTimeout(handle);
          this.timers.delete(a.name);
        }
        return;
      }
      case 'open-transport':
        this.connection.open();
        return;
      case 'close-transport':
        this.connection.close(a.error);
        return;
      case 'event':
        this.onEngineEvent(a.event);
        return;
    }
  }

  private settle(a: Action): void {
    if (a.type !== 'settle' && a.type !== 'fail') return;
    const entry = this.pending.get(a.op);
    if (entry === undefined) return;
    this.pending.delete(a.op);
    entry.cleanup?.();
    if (a.type === 'settle') entry.resolve(a.result.kind === 'publish' ? publishResult(a.result) : a.result);
    else entry.reject(a.error);
  }

  /** Resolves once what is batched now has been handed to the transport. */
  private whenWritten(): Promise<PublishResult> {
    if (this.connection.pendingWrites === 0) return ALREADY_WRITTEN;
    this.batchWritten ??= new Promise<PublishResult>((resolve) => {
      this.resolveBatchWritten = resolve;
    });
    return this.batchWritten;
  }

  private settleWritten(): void {
    const resolve = this.resolveBatchWritten;
    if (resolve !== undefined) {
      this.batchWritten = this.resolveBatchWritten = undefined;
      resolve(NOTHING_TO_REPORT);
    }
    if (this.afterFlush.length === 0) return;
    const settled = this.afterFlush;
    this.afterFlush = [];
    for (const a of settled) this.settle(a);
  }

  private deliver(message: ReceivedMessage): void {
    this.emit('message', message);
    this.subscriptions.route(message);
    this.requester.onMessage(message);
  }

  private onEngineEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'connect':
        this.subscriptions.onConnack(this.protocolVersion === 5, e.connack.properties?.subscriptionIdentifiersAvailable);
        this.emit('connect', { sessionPresent: e.sessionPresent, connack: e.connack });
        return;
      case 'reconnecting':
        this.emit('reconnect', { attempt: e.attempt, delay: e.delay, error: e.error });
        return;
      case 'offline':
        this.emit('offline', { error: e.error });
        return;
      case 'close':
        this.subscriptions.endAll(e.error);
        this.requester.close(e.error);
        this.emit('close', { error: e.error });
        return;
      case 'disconnect':
        this.emit('disconnect', e.packet);
        return;
      case 'error':
        this.emit('error', e.error);
        return;
      case 'auth':
        void answerChallenge(
          this.options,
          e.reasonCode,
          e.properties?.authenticationData,
          (answer) => this.input(answer),
          (error) => this.emit('error', error),
          () => this.scheduler.now(),
        );
        return;
    }
  }
}

/** What a QoS 0 publish (or a QoS 1/2 one without reason or properties) resolves to. */
const NOTHING_TO_REPORT: PublishResult = Object.freeze({});
const ALREADY_WRITTEN = Promise.resolve(NOTHING_TO_REPORT);

function publishResult(r: OpResult & { kind: 'publish' }): PublishResult {
  if (r.reasonCode === undefined && r.properties === undefined) return NOTHING_TO_REPORT;
  const out: PublishResult = {};
  if (r.reasonCode !== undefined) out.reasonCode = r.reasonCode;
  if (r.properties !== undefined) out.properties = r.properties;
  return out;
}

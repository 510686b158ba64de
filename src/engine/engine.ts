/**
 * The protocol engine: a pure state machine (sans-IO).
 *
 * Design: `handle(input)` returns the actions the host must perform, in order.
 * The engine never touches a socket, a timer or a clock: time arrives as
 * `input.now`, timers leave as set/clear actions, bytes leave as send actions.
 * This file owns the connection's life (CONNECT/CONNACK, reconnect with
 * backoff, graceful end); KeepAlive decides when to ping and when the link is
 * dead, the Outbox owns what we send that needs answers, the Inbox what the
 * broker sends us. The session state they
 * keep (in the Store) outlives every connection.
 *
 * States: idle -> opening -> connecting -> connected -> (ending) -> closed,
 * with `waiting` (a reconnect timer) after a lost connection.
 */
import { Decoder } from '../codec/decoder.js';
import { encodedSize } from '../codec/encode.js';
import { connackReturnCodeToReasonCode } from '../codec/reason-codes.js';
import type { ConnackPacket, DisconnectPacket, Packet, ProtocolVersion, PublishPacket } from '../codec/types.js';
import { InvalidArgumentError, MalformedPacketError, type MqttkitError, StateError } from '../errors.js';
import { MemoryStore } from '../store/memory.js';
import { type BackoffPolicy, backoff, backoffPolicy } from './backoff.js';
import { connectPacket, DEFAULT_KEEPALIVE, generatedClientId, olderVersion } from './connect-packet.js';
import { Inbox } from './inbox.js';
import { KeepAlive } from './keepalive.js';
import { brokerLimits, DEFAULT_IN_FLIGHT_BEFORE_V5, Link } from './link.js';
import { Outbox } from './outbox.js';
import { asMqttkitError, reasonError } from './reasons.js';
import type { Action, EngineOptions, Input, OpId, TimerName } from './types.js';

/**
 * Where the engine is in a connection's life: `idle` (not started), `opening` (transport being opened),
 * `connecting` (CONNECT sent, awaiting CONNACK), `connected`, `ending` (graceful end waiting for acks),
 * `waiting` (for the reconnect timer), `closed` (for good).
 */
export type EngineState = 'idle' | 'opening' | 'connecting' | 'connected' | 'ending' | 'waiting' | 'closed';

const DEFAULT_CONNECT_TIMEOUT = 30_000;
const DEFAULT_STABLE_AFTER = 10_000;

/**
 * The MQTT protocol engine, sans-IO: feed it {@link Input}s with {@link Engine.handle} and carry out the {@link
 * Action}s it returns, in order. It owns CONNECT/CONNACK, packet ids, the QoS 1/2 flows both ways, resends, keep
 * alive, flow control, topic aliases, the offline queue and reconnect backoff, but no socket, timer or clock:
 * time comes in as `input.now`, so every rule can be tested with a virtual clock. The {@link MqttClient} is such
 * a host; write your own to run MQTT over an unusual transport or event loop.
 *
 * @example
 * ```ts
 * const engine = new Engine({ protocolVersion: 4, clientId: 'sim-1', keepAlive: 30 });
 * const run = (input: Input) => {
 *   for (const action of engine.handle(input)) {
 *     if (action.type === 'open-transport') queueMicrotask(() => run({ type: 'transport-open', now: clock.now() }));
 *     else if (action.type === 'send') wire.write(action.bytes);
 *     else if (action.type === 'deliver') console.log(action.message.topic);
 *   }
 * };
 * run({ type: 'start', now: clock.now() });
 * wire.onData((data) => run({ type: 'bytes', now: clock.now(), data }));
 * ```
 */
export class Engine {
  private stateValue: EngineState = 'idle';
  private readonly link: Link;
  private readonly outbox: Outbox;
  private readonly inbox: Inbox;
  private decoder: Decoder;
  private readonly options: EngineOptions;
  private readonly policy: BackoffPolicy | undefined;
  private readonly random: () => number;
  private clientId: string;
  private readonly keepAlive: KeepAlive;
  private attempt = 0;
  /** protocolVersion 'auto' until a broker accepted a version. */
  private negotiating: boolean;
  private connectedAt = -1;
  private endOps: OpId[] = [];
  private endPacket: DisconnectPacket | undefined;

  /**
   * Checks the connect options at once (client id, will, properties): a bad one throws InvalidArgumentError here
   * rather than at the first connection. Nothing happens until a `start` input.
   */
  constructor(options: EngineOptions = {}) {
    this.options = options;
    const version: ProtocolVersion = options.protocolVersion === 'auto' ? 5 : (options.protocolVersion ?? 5);
    this.negotiating = options.protocolVersion === 'auto';
    this.link = new Link(version);
    this.keepAlive = new KeepAlive(this.link, options.pingTimeout, (error) => this.drop(error, false));
    this.clientId = options.clientId ?? '';
    const store = options.store ?? new MemoryStore();
    this.outbox = new Outbox(this.link, store, {
      maxQueuedMessages: options.maxQueuedMessages ?? 100_000,
      maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
    });
    const props = version === 5 ? options.properties : undefined;
    this.inbox = new Inbox(this.link, store, props?.topicAliasMaximum ?? 0, props?.receiveMaximum ?? 65_535);
    this.decoder = this.newDecoder();
    this.policy = options.reconnect === false ? undefined : backoffPolicy(options.reconnect);
    this.random = options.random ?? Math.random;
    // Refuse bad connect options now (client id, will, properties), not at the first connection.
    encodedSize(connectPacket(options, this.clientId, version), version);
  }

  /** The current {@link EngineState}. */
  get state(): EngineState {
    return this.stateValue;
  }

  /** The protocol level in use; with `'auto'` it changes while negotiating, then stays. */
  get protocolVersion(): ProtocolVersion {
    return this.link.version;
  }

  /** The client identifier in use (the broker's assigned one after an empty CONNECT id on MQTT 5). */
  get assignedClientId(): string {
    return this.clientId;
  }

  /** Publishes waiting to be sent (offline, or beyond the broker's Receive Maximum). */
  get queuedCount(): number {
    return this.outbox.queuedCount;
  }

  /** QoS 1/2 publishes sent and not yet fully acknowledged. */
  get inFlightCount(): number {
    return this.outbox.inFlightCount;
  }

  /**
   * Feeds one input; returns what the host must do now, in order (possibly nothing). Never throws for bad bytes
   * from the broker: those become a `close-transport` action and an `error` event.
   */
  handle(input: Input): Action[] {
    const link = this.link;
    const out: Action[] = [];
    link.out = out;
    link.now = input.now;
    switch (input.type) {
      case 'bytes':
        this.onBytes(input.data);
        break;
      case 'publish':
        this.onPublishCommand(input.op, input.topic, input.payload, input.options);
        break;
      case 'start':
        this.start();
        break;
      case 'transport-open':
        this.onTransportOpen();
        break;
      case 'transport-closed':
        // A broker that does not know the version may just close after our CONNECT.
        if (this.stateValue === 'connecting' && this.offerOlderVersion()) break;
        if (this.isLive()) this.lost(input.error === undefined ? this.cleanCloseError() : asMqttkitError(input.error));
        break;
      case 'timer':
        this.onTimer(input.name);
        break;
      case 'writable':
        link.writable = input.writable;
        if (input.writable) this.outbox.drain();
        break;
      case 'subscribe':
        if (this.refuseIfClosed(input.op)) break;
        this.outbox.subscribe({ type: 'subscribe', packetId: 0, ...input.request }, input.op);
        break;
      case 'unsubscribe':
        if (this.refuseIfClosed(input.op)) break;
        this.outbox.subscribe(
          { type: 'unsubscribe', packetId: 0, topicFilters: input.topicFilters, properties: input.properties },
          input.op,
        );
        break;
      case 'cancel':
        if (this.outbox.cancel(input.op)) link.fail(input.op, input.error);
        break;
      case 'end':
        this.onEnd(input.op, input.force === true, input.reasonCode, input.properties);
        break;
      case 'auth':
        if (link.version !== 5) {
          link.emit({ type: 'error', error: new InvalidArgumentError('auth: enhanced authentication needs MQTT 5', 'protocolVersion') });
        } else if (this.stateValue === 'connected' || this.stateValue === 'connecting') {
          link.send({ type: 'auth', reasonCode: input.reasonCode, properties: input.properties });
        }
        break;
    }
    if (this.stateValue === 'ending' && this.outbox.idle) this.finishEnd();
    return out;
  }

  /** A close with no error from the transport still has a cause the user can read (and a code to test). */
  private cleanCloseError(): StateError {
    const what = this.stateValue === 'connecting' ? 'before CONNACK' : 'without DISCONNECT';
    return new StateError(`connection lost: the broker closed the connection ${what}`, 'MQTTKIT_ERR_CONNECTION_LOST', { retryable: true });
  }

  private isLive(): boolean {
    const s = this.stateValue;
    return s === 'opening' || s === 'connecting' || s === 'connected' || s === 'ending';
  }

  private newDecoder(): Decoder {
    const max = this.link.version === 5 ? this.options.properties?.maximumPacketSize : undefined;
    return new Decoder({ protocolVersion: this.link.version, maximumPacketSize: max });
  }

  private setTimer(name: TimerName, delay: number): void {
    this.link.push({ type: 'set-timer', name, delay });
  }

  private clearTimer(name: TimerName): void {
    this.link.push({ type: 'clear-timer', name });
  }

  private start(): void {
    const s = this.stateValue;
    if (s === 'waiting') this.clearTimer('reconnect');
    if (s === 'idle' || s === 'closed' || s === 'waiting') {
      this.stateValue = 'opening';
      this.link.push({ type: 'open-transport' });
    }
  }

  private onTransportOpen(): void {
    if (this.stateValue !== 'opening') return;
    this.stateValue = 'connecting';
    this.link.writable = true;
    this.decoder = this.newDecoder();
    this.inbox.aliases.reset();
    this.link.send(connectPacket(this.options, this.clientId, this.link.version));
    this.setTimer('connect-timeout', this.options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT);
  }

  private onBytes(data: Uint8Array): void {
    if (!this.isLive() || this.stateValue === 'opening') return;
    this.link.lastReceived = this.link.now;
    try {
      this.decoder.feed(data);
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next()) {
        this.onPacket(p);
        if (!this.isLive()) return;
      }
    } catch (err) {
      if (!(err instanceof MalformedPacketError)) throw err;
      this.protocolViolation(err);
    }
  }

  private onPacket(p: Packet): void {
    this.keepAlive.packetReceived();
    if (this.stateValue === 'connecting' && p.type !== 'connack' && p.type !== 'auth' && p.type !== 'disconnect') {
      // [MQTT-3.2.0-1] the broker's first packet is CONNACK (or AUTH).
      this.protocolViolation(new MalformedPacketError(`${p.type}: received before CONNACK`, 'type', 0x82));
      return;
    }
    switch (p.type) {
      case 'publish': {
        const problem = this.inbox.onPublish(p);
        if (problem !== undefined) this.protocolViolation(problem);
        return;
      }
      case 'puback':
        this.outbox.onPuback(p);
        return;
      case 'pubrec':
        this.outbox.onPubrec(p);
        return;
      case 'pubrel':
        this.inbox.onPubrel(p);
        return;
      case 'pubcomp':
        this.outbox.onPubcomp(p);
        return;
      case 'suback':
      case 'unsuback':
        this.outbox.onSuback(p);
        return;
      case 'pingresp':
        return; // keepAlive.packetReceived() above
      case 'connack':
        this.onConnack(p);
        return;
      case 'disconnect':
        this.onServerDisconnect(p);
        return;
      case 'auth':
        this.link.emit({ type: 'auth', reasonCode: p.reasonCode ?? 0, properties: p.properties });
        return;
      default:
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ only travel client to server.
        this.protocolViolation(new MalformedPacketError(`${p.type}: a server must not send this packet`, 'type', 0x82));
    }
  }

  private onConnack(p: ConnackPacket): void {
    if (this.stateValue !== 'connecting') {
      this.protocolViolation(new MalformedPacketError('connack: a second CONNACK on one connection', 'type', 0x82));
      return;
    }
    this.clearTimer('connect-timeout');
    const v = this.link.version;
    const code = v === 5 ? p.reasonCode : connackReturnCodeToReasonCode(p.reasonCode);
    if (code === 0x84 && this.offerOlderVersion()) return;
    if (code !== 0) {
      const error = reasonError('connack', code, p.properties?.reasonString);
      if (code === 0x84 && this.options.protocolVersion !== 'auto') {
        error.message += ` (the broker does not take MQTT ${v === 5 ? '5.0' : v === 4 ? '3.1.1' : '3.1'}; protocolVersion 'auto' falls back to older versions)`;
      }
      this.drop(error, false);
      return;
    }
    this.negotiating = false;
    // [MQTT-3.2.2-4] a session we asked to start clean cannot be present.
    if (p.sessionPresent && (this.options.clean ?? true)) {
      this.protocolViolation(new MalformedPacketError('connack: Session Present after a Clean Start', 'sessionPresent', 0x82));
      return;
    }
    const props = p.properties;
    if (props?.assignedClientIdentifier !== undefined) this.clientId = props.assignedClientIdentifier;
    this.link.broker = brokerLimits(props, this.options.maxInFlight ?? (v === 5 ? undefined : DEFAULT_IN_FLIGHT_BEFORE_V5));
    this.link.connected = true;
    this.stateValue = 'connected';
    this.connectedAt = this.link.now;
    // [MQTT-3.2.2-21] the broker's Server Keep Alive replaces ours.
    // Counted from the CONNECT we sent, not from the CONNACK ([MQTT-3.1.2-20]).
    this.keepAlive.start((props?.serverKeepAlive ?? this.options.keepAlive ?? DEFAULT_KEEPALIVE) * 1000);
    this.outbox.aliases.reset(this.options.autoTopicAliases ? this.link.broker.topicAliasMaximum : 0);
    this.link.emit({ type: 'connect', connack: p, sessionPresent: p.sessionPresent });
    this.outbox.resume(p.sessionPresent, this.options.resubscribe ?? true);
  }

  private onServerDisconnect(p: DisconnectPacket): void {
    this.link.emit({ type: 'disconnect', packet: p });
    const code = p.reasonCode ?? 0;
    const error =
      code === 0
        ? new StateError('the broker closed the connection (DISCONNECT, normal disconnection)', 'MQTTKIT_ERR_SERVER_DISCONNECTED', {
            reasonCode: 0,
            retryable: true,
          })
        : reasonError('disconnect', code, p.properties?.reasonString);
    this.drop(error, false);
  }

  private onTimer(name: TimerName): void {
    switch (name) {
      case 'keepalive':
        if (this.stateValue === 'connected' || this.stateValue === 'ending') this.keepAlive.onTimer();
        return;
      case 'ping-timeout':
        if (this.isLive()) this.keepAlive.onPingTimeout();
        return;
      case 'connect-timeout':
        if (this.stateValue === 'connecting') {
          this.drop(new StateError('connect: no CONNACK in time (connectTimeout)', 'MQTTKIT_ERR_TIMEOUT', { retryable: true }), false);
        }
        return;
      case 'reconnect':
        if (this.stateValue === 'waiting') {
          this.stateValue = 'opening';
          this.link.push({ type: 'open-transport' });
        }
        return;
      case 'end-timeout':
        if (this.stateValue === 'ending') this.finishEnd();
        return;
    }
  }

  private onPublishCommand(
    op: OpId,
    topic: string,
    payload: Uint8Array,
    options: { qos?: 0 | 1 | 2; retain?: boolean; properties?: PublishPacket['properties'] },
  ): void {
    if (this.refuseIfClosed(op)) return;
    const packet: PublishPacket = { type: 'publish', topic, payload, qos: options.qos ?? 0, retain: options.retain ?? false, dup: false };
    if (options.properties !== undefined) packet.properties = options.properties;
    if (packet.qos === 0 && !this.link.connected && this.options.qos0WhenOffline === 'drop') {
      this.link.fail(
        op,
        new StateError('publish: not connected, and qos0WhenOffline is "drop"', 'MQTTKIT_ERR_NOT_CONNECTED', { retryable: true }),
      );
      return;
    }
    this.outbox.publish(packet, op);
  }

  private refuseIfClosed(op: OpId): boolean {
    if (this.stateValue !== 'closed' && this.stateValue !== 'ending') return false;
    this.link.fail(op, new StateError('the client is closed (end() was called or a fatal error occurred)', 'MQTTKIT_ERR_CLIENT_CLOSED'));
    return true;
  }

  private onEnd(op: OpId, force: boolean, reasonCode: number | undefined, properties: DisconnectPacket['properties']): void {
    if (this.stateValue === 'closed' || this.stateValue === 'idle') {
      this.stateValue = 'closed';
      this.outbox.failAll(new StateError('the client was closed before this completed', 'MQTTKIT_ERR_CLIENT_CLOSED'));
      this.link.settle(op, { kind: 'end' });
      return;
    }
    this.endOps.push(op);
    // A second graceful end joins the first; a forced one cuts it short.
    if (this.stateValue === 'ending' && !force) return;
    this.endPacket = { type: 'disconnect' };
    if (this.link.version === 5) {
      if (reasonCode !== undefined) this.endPacket.reasonCode = reasonCode;
      if (properties !== undefined) this.endPacket.properties = properties;
    }
    if (force || this.stateValue !== 'connected') {
      this.finishEnd();
      return;
    }
    this.stateValue = 'ending';
    this.setTimer('end-timeout', this.options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT);
  }

  /** Closes for good: DISCONNECT if connected, fail what still waits, settle `end`. */
  private finishEnd(): void {
    const wasConnected = this.link.connected;
    if (wasConnected && this.endPacket !== undefined) this.link.send(this.endPacket);
    if (this.isLive()) this.link.push({ type: 'close-transport' });
    this.stopTimers();
    if (this.stateValue === 'waiting') this.clearTimer('reconnect');
    this.link.connected = false;
    this.stateValue = 'closed';
    this.outbox.failAll(new StateError('the client was closed before this completed', 'MQTTKIT_ERR_CLIENT_CLOSED'));
    if (wasConnected) this.link.emit({ type: 'offline' });
    this.link.emit({ type: 'close' });
    for (const op of this.endOps) this.link.settle(op, { kind: 'end' });
    this.endOps = [];
  }

  /**
   * protocolVersion 'auto': the broker refused our version; reconnect at once
   * offering the next older one. False when not negotiating or none is left.
   */
  private offerOlderVersion(): boolean {
    const older = this.negotiating ? olderVersion(this.link.version) : undefined;
    if (older === undefined) return false;
    this.link.version = older;
    if (this.clientId === '' && (older === 3 || this.options.clean === false)) this.clientId = generatedClientId(this.random);
    this.stopTimers();
    this.link.push({ type: 'close-transport' });
    this.stateValue = 'opening';
    this.link.push({ type: 'open-transport' });
    return true;
  }

  private stopTimers(): void {
    for (const name of ['keepalive', 'ping-timeout', 'connect-timeout', 'end-timeout'] as const) this.clearTimer(name);
    this.keepAlive.stop();
  }

  /** The broker broke the protocol: tell it why (MQTT 5 DISCONNECT with the reason), then drop. */
  private protocolViolation(error: MalformedPacketError): void {
    this.link.emit({ type: 'error', error });
    this.drop(error, this.link.version === 5 && this.link.connected);
  }

  /** Closes the connection on our side and moves on as if it was lost. */
  private drop(error: MqttkitError, sendDisconnect: boolean): void {
    if (sendDisconnect) this.link.send({ type: 'disconnect', reasonCode: error.reasonCode ?? 0x80 });
    this.link.push({ type: 'close-transport', error });
    this.lost(error);
  }

  /** The connection is gone: reconnect after a backoff, or close for good. */
  private lost(error: MqttkitError | undefined): void {
    const wasConnected = this.link.connected;
    const ending = this.stateValue === 'ending';
    this.link.connected = false;
    this.stopTimers();
    if (wasConnected) this.link.emit({ type: 'offline', error });
    if (ending) {
      this.endPacket = undefined;
      this.finishEnd();
      return;
    }
    const policy = this.policy;
    const reconnect = this.options.reconnect || {};
    const fatal = error !== undefined && !error.retryable && reconnect.retryFatal !== true;
    if (policy === undefined || fatal) {
      this.stateValue = 'closed';
      this.outbox.failAll(error ?? new StateError('the connection closed and reconnect is off', 'MQTTKIT_ERR_CLIENT_CLOSED'));
      this.link.emit({ type: 'close', error });
      return;
    }
    const stableAfter = reconnect.stableAfter ?? DEFAULT_STABLE_AFTER;
    if (wasConnected && this.link.now - this.connectedAt >= stableAfter) this.attempt = 0;
    const delay = backoff(this.attempt, this.random(), policy);
    this.attempt++;
    this.stateValue = 'waiting';
    this.setTimer('reconnect', delay);
    this.link.emit({ type: 'reconnecting', attempt: this.attempt, delay, error });
  }
}

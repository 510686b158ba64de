/**
 * Drives an Engine the way a scripted broker would, with a virtual clock and
 * no sockets or real timers.
 *
 * - `now` is virtual; every input is fed with it.
 * - Every `send` action's bytes are decoded with the codec (a fresh client-side
 *   Decoder per connection), so tests assert on packets on the wire.
 * - Timers are tracked as name -> due time; `advance(ms)` fires due timers in
 *   due order, each at its own due time; `advanceLate(ms)` jumps the clock and
 *   then fires whatever is due at the late time (a throttled background tab).
 * - Delivered messages, settled / failed operations and events are recorded.
 * - Invariants are checked on every action, and break the test that trips
 *   them: nothing is sent without an open transport, every send action holds
 *   exactly one whole packet, and no operation is settled or failed twice.
 */
import { Decoder } from '../../src/codec/decoder.js';
import { encode } from '../../src/codec/encode.js';
import type {
  AuthProperties,
  ConnackPacket,
  ConnackProperties,
  ConnectPacket,
  DisconnectProperties,
  Packet,
  PacketType,
  SubscribeProperties,
  Subscription,
} from '../../src/codec/types.js';
import { Engine, type EngineState } from '../../src/engine/engine.js';
import type {
  Action,
  EngineEvent,
  EngineOptions,
  Input,
  Message,
  OpId,
  OpResult,
  PublishOptions,
  TimerName,
} from '../../src/engine/types.js';
import { type MqttkitError, StateError } from '../../src/errors.js';

export interface SentPacket {
  packet: Packet;
  bytes: Uint8Array;
  at: number;
}

export interface TimerRecord {
  name: TimerName;
  delay: number;
  at: number;
}

/** An engine input without `now` (the harness adds its virtual time). */
export type InputWithoutTime = Input extends infer I ? (I extends Input ? Omit<I, 'now'> : never) : never;

type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

const text = new TextEncoder();

/** A payload from a string or bytes. */
export function bytesOf(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? text.encode(payload) : payload;
}

/** A deterministic random source in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that returns the given values in turn (then repeats the last). */
export function scriptedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

export class EngineHarness {
  readonly engine: Engine;
  now = 0;
  /** Every action, in order. */
  readonly actions: Action[] = [];
  /** Every packet the engine sent, decoded, in order. */
  readonly sent: SentPacket[] = [];
  /** Timers currently set: name -> due time. */
  readonly timers = new Map<TimerName, number>();
  /** Every set-timer action, in order. */
  readonly timerLog: TimerRecord[] = [];
  readonly delivered: Message[] = [];
  readonly settled = new Map<OpId, OpResult>();
  readonly failed = new Map<OpId, MqttkitError>();
  readonly events: EngineEvent[] = [];
  /** Number of open-transport actions. */
  opens = 0;
  /** close-transport actions, with their errors. */
  readonly closes: (MqttkitError | undefined)[] = [];
  /** Whether the transport is open (from the engine's open/close actions and our transport-open). */
  transportOpen = false;
  /** Record actions, packets and events (off for bulk tests that only count). */
  record = true;
  /** Count of send actions (kept even when `record` is off). */
  sendCount = 0;

  private nextOp = 1;
  private sentCursor = 0;
  private clientDecoder: Decoder;

  constructor(readonly options: EngineOptions = {}) {
    this.engine = new Engine(options);
    this.clientDecoder = new Decoder({ protocolVersion: this.engine.protocolVersion });
  }

  get version(): 3 | 4 | 5 {
    return this.engine.protocolVersion;
  }

  // ---------------------------------------------------------------- inputs

  /** Feeds one input at the current virtual time and processes its actions. */
  feed(input: InputWithoutTime): Action[] {
    const actions = this.engine.handle({ ...input, now: this.now } as Input);
    for (const a of actions) this.apply(a);
    return actions;
  }

  start(): Action[] {
    return this.feed({ type: 'start' });
  }

  /** The transport the engine asked for is open. */
  open(): Action[] {
    this.transportOpen = true;
    this.clientDecoder = new Decoder({ protocolVersion: this.engine.protocolVersion });
    return this.feed({ type: 'transport-open' });
  }

  /** The transport closed (or failed to open). */
  transportClosed(error?: Error): Action[] {
    this.transportOpen = false;
    return this.feed({ type: 'transport-closed', error });
  }

  /** Broker bytes, optionally split into 1-byte chunks. */
  brokerSendsBytes(bytes: Uint8Array, options: { split?: boolean } = {}): Action[] {
    if (!options.split) return this.feed({ type: 'bytes', data: bytes });
    const all: Action[] = [];
    for (let i = 0; i < bytes.length; i++) all.push(...this.feed({ type: 'bytes', data: bytes.subarray(i, i + 1) }));
    return all;
  }

  /** Encodes `packet` with the engine's protocol version and feeds it. */
  brokerSends(packet: Packet, options: { split?: boolean } = {}): Action[] {
    return this.brokerSendsBytes(encode(packet, this.version), options);
  }

  /** Many broker packets in one chunk. */
  brokerSendsAll(packets: Packet[]): Action[] {
    const parts = packets.map((p) => encode(p, this.version));
    const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      total.set(p, at);
      at += p.length;
    }
    return this.brokerSendsBytes(total);
  }

  /** A CONNACK (success unless `reasonCode` is given). */
  connack(options: { sessionPresent?: boolean; reasonCode?: number; properties?: ConnackProperties } = {}): ConnackPacket {
    const p: ConnackPacket = { type: 'connack', sessionPresent: options.sessionPresent ?? false, reasonCode: options.reasonCode ?? 0 };
    if (options.properties !== undefined && this.version === 5) p.properties = options.properties;
    return p;
  }

  /** With an open-transport pending: open it, expect a CONNECT, answer with CONNACK. */
  acceptConnection(properties?: ConnackProperties, sessionPresent = false): ConnectPacket {
    this.expectState('opening');
    this.takeSent();
    this.open();
    const connect = this.expectSent('connect');
    this.brokerSends(this.connack({ sessionPresent, properties }));
    this.expectState('connected');
    return connect;
  }

  private expectState(state: EngineState): void {
    if (this.engine.state !== state) throw new Error(`expected the engine to be ${state}, it is ${this.engine.state}`);
  }

  /** start -> transport-open -> expect CONNECT -> CONNACK success. Returns the CONNECT. */
  connectAccepted(properties?: ConnackProperties, sessionPresent = false): ConnectPacket {
    this.start();
    return this.acceptConnection(properties, sessionPresent);
  }

  /** Lets the reconnect timer fire (advancing to it) and accepts the new connection. */
  reconnectAccepted(properties?: ConnackProperties, sessionPresent = false): ConnectPacket {
    const due = this.timers.get('reconnect');
    if (due === undefined) throw new Error('reconnectAccepted: no reconnect timer set');
    this.advance(Math.max(0, due - this.now));
    return this.acceptConnection(properties, sessionPresent);
  }

  publish(topic: string, payload: string | Uint8Array = '', options: PublishOptions = {}): OpId {
    const op = this.nextOp++;
    this.feed({ type: 'publish', op, topic, payload: bytesOf(payload), options });
    return op;
  }

  subscribe(subscriptions: Subscription[] | string, properties?: SubscribeProperties): OpId {
    const op = this.nextOp++;
    const subs = typeof subscriptions === 'string' ? [{ topicFilter: subscriptions, qos: 0 as const }] : subscriptions;
    this.feed({ type: 'subscribe', op, request: properties === undefined ? { subscriptions: subs } : { subscriptions: subs, properties } });
    return op;
  }

  unsubscribe(topicFilters: string[]): OpId {
    const op = this.nextOp++;
    this.feed({ type: 'unsubscribe', op, topicFilters });
    return op;
  }

  end(options: { force?: boolean; reasonCode?: number; properties?: DisconnectProperties } = {}): OpId {
    const op = this.nextOp++;
    this.feed({ type: 'end', op, ...options });
    return op;
  }

  cancel(op: OpId, error: MqttkitError = new StateError('aborted', 'MQTTKIT_ERR_ABORTED')): Action[] {
    return this.feed({ type: 'cancel', op, error });
  }

  auth(reasonCode: 0x18 | 0x19, properties: AuthProperties): Action[] {
    return this.feed({ type: 'auth', reasonCode, properties });
  }

  // ---------------------------------------------------------------- time

  /** Moves the clock forward by `ms`, firing each due timer at its due time, in due order. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.now = next[1];
      this.timers.delete(next[0]);
      this.feed({ type: 'timer', name: next[0] });
    }
    this.now = target;
  }

  /**
   * Jumps the clock by `ms` first, then fires every timer that was due, all at
   * the late time (a throttled tab whose timers fire late together).
   */
  advanceLate(ms: number): void {
    this.now += ms;
    for (;;) {
      const next = this.nextDue(this.now);
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.feed({ type: 'timer', name: next[0] });
    }
  }

  private nextDue(limit: number): [TimerName, number] | undefined {
    let best: [TimerName, number] | undefined;
    for (const [name, due] of this.timers) if (due <= limit && (best === undefined || due < best[1])) best = [name, due];
    return best;
  }

  /** Delay until `name` fires, or undefined when not set. */
  timerDelay(name: TimerName): number | undefined {
    const due = this.timers.get(name);
    return due === undefined ? undefined : due - this.now;
  }

  // ---------------------------------------------------------------- outputs

  /** Packets sent since the last call. */
  takeSent(): Packet[] {
    const out = this.sent.slice(this.sentCursor).map((s) => s.packet);
    this.sentCursor = this.sent.length;
    return out;
  }

  /** Takes the packets sent since the last take and expects exactly one, of `type`. */
  expectSent<T extends PacketType>(type: T): Extract<Packet, { type: T }> {
    const sent = this.takeSent();
    if (sent.length !== 1 || sent[0].type !== type) {
      throw new Error(`expected one ${type}, got [${sent.map((p) => p.type).join(', ')}]`);
    }
    return sent[0] as Extract<Packet, { type: T }>;
  }

  /** Events of one type, in order. */
  eventsOf<T extends EngineEvent['type']>(type: T): EventOf<T>[] {
    return this.events.filter((e): e is EventOf<T> => e.type === type);
  }

  lastEvent<T extends EngineEvent['type']>(type: T): EventOf<T> | undefined {
    const all = this.eventsOf(type);
    return all[all.length - 1];
  }

  // ---------------------------------------------------------------- actions

  private apply(a: Action): void {
    if (this.record) this.actions.push(a);
    switch (a.type) {
      case 'open-transport':
        this.opens++;
        break;
      case 'close-transport':
        this.transportOpen = false;
        this.closes.push(a.error);
        break;
      case 'send': {
        this.sendCount++;
        if (!this.transportOpen) throw new Error('the engine sent bytes with no open transport');
        this.clientDecoder.feed(a.bytes);
        let consumed = false;
        for (let p = this.clientDecoder.next(); p !== undefined; p = this.clientDecoder.next()) {
          if (consumed) throw new Error('one send action held more than one packet');
          consumed = true;
          if (this.record) this.sent.push({ packet: p, bytes: a.bytes, at: this.now });
        }
        if (!consumed) throw new Error('a send action held a partial packet');
        break;
      }
      case 'set-timer':
        this.timers.set(a.name, this.now + a.delay);
        if (this.record) this.timerLog.push({ name: a.name, delay: a.delay, at: this.now });
        break;
      case 'clear-timer':
        this.timers.delete(a.name);
        break;
      case 'deliver':
        this.delivered.push(a.message);
        break;
      case 'settle':
        if (this.settled.has(a.op) || this.failed.has(a.op)) throw new Error(`op ${a.op} settled twice`);
        this.settled.set(a.op, a.result);
        break;
      case 'fail':
        if (this.settled.has(a.op) || this.failed.has(a.op)) throw new Error(`op ${a.op} settled twice`);
        this.failed.set(a.op, a.error);
        break;
      case 'event':
        this.events.push(a.event);
        break;
    }
  }
}

/** Hex of bytes, for byte-exact assertions. */
export { spacedHex as hex } from './bytes.js';

/**
 * The contenders of the end-to-end benchmark (bench/e2e.ts): publishers and
 * subscribers of each implementation, behind one interface. A burst pairs a
 * subscriber (subscribed to one topic at the publisher's QoS) with a
 * publisher, normally of the same implementation; mixing them (e.g. mqttkit
 * publishing to a bare-socket subscriber) shows which side costs what.
 *
 * - `mqttkit`: `connect()` from src/node.ts (loaded as compiled by
 *   bench/e2e-build.ts); `client.publish()` N times without awaiting, then
 *   every promise is awaited; the subscriber counts `client.on('message')` events.
 * - `mqttjs`: MQTT.js 5 `connectAsync()`; `client.publish(topic, payload,
 *   { qos }, callback)` N times (the callback form, MQTT.js's cheapest path),
 *   then every callback is awaited; the subscriber counts `'message'` events.
 *   The publisher uses MQTT.js's `UniqueMessageIdProvider`: the default
 *   provider hands out packet ids round-robin without checking that they are
 *   free, so with more than 65,535 QoS 1/2 messages in flight it reuses ids and
 *   loses callbacks (a burst of 100k would never complete).
 * - `bare`: the ceiling. A `node:net` socket writes bytes pre-encoded with
 *   mqttkit's `encode` (the whole burst is laid out in one buffer before the
 *   clock starts, packet ids patched in); a raw subscriber socket counts
 *   PUBLISH packets with mqttkit's streaming `Decoder`. For QoS 1 the
 *   publisher counts PUBACKs, for QoS 2 it answers PUBREC with PUBREL and
 *   counts PUBCOMPs; the subscriber answers with PUBACK / PUBREC / PUBCOMP.
 *   It keeps at most the broker's Receive Maximum of QoS 1/2 messages in
 *   flight, as the libraries must, so packet ids are never reused while in use.
 */
import { connect as netConnect, type Socket } from 'node:net';
import * as mqtt from 'mqtt';
import type { Packet, ProtocolVersion, QoS } from '../src/codec/index.js';
import type { Mqttkit } from './e2e-build.js';

export type ImplName = 'bare' | 'mqttkit' | 'mqttjs';

export const IMPLS: readonly ImplName[] = ['bare', 'mqttkit', 'mqttjs'];

export const IMPL_LABEL: Record<ImplName, string> = {
  bare: 'bare socket',
  mqttkit: 'mqttkit',
  mqttjs: 'MQTT.js',
};

export const PAYLOAD_SIZE = 64;

export interface ClientOptions {
  url: string;
  topic: string;
  qos: QoS;
  protocolVersion: 4 | 5;
  /** The largest burst the publisher will send (sizes its queue where needed). */
  maxBurst: number;
  /** Distinguishes client ids. */
  tag: string;
  /** mqttkit's modules (and the codec the bare socket uses). */
  kit: Mqttkit;
}

export interface Subscriber {
  /** Messages received so far. */
  readonly received: number;
  /** Received messages that were not what was sent (wrong topic or payload size). */
  readonly malformed: number;
  readonly firstError: string | undefined;
  /** Resolves once `delta` more messages than now have arrived. */
  waitFor(delta: number): Promise<void>;
  close(): Promise<void>;
}

export interface Publisher {
  /** Publishes whose promise or callback settled successfully so far. */
  readonly settled: number;
  /** Publishes that failed so far. */
  readonly failed: number;
  readonly firstError: string | undefined;
  /** Work done before the clock starts (the bare publisher lays out its bytes). */
  prepare(n: number): void;
  /** Publishes `n` messages as fast as the API allows. */
  burst(n: number): { loopMs: number; published: Promise<void> };
  /** Disconnects (forcefully: nothing may be pending after a timeout). */
  close(): Promise<void>;
}

/** A count that resolves a promise when it reaches a target. */
class Countdown {
  count = 0;
  private target = Number.POSITIVE_INFINITY;
  private resolve: (() => void) | undefined;

  /** Resolves once `count` reaches its current value + `delta`. */
  waitFor(delta: number): Promise<void> {
    this.target = this.count + delta;
    if (this.count >= this.target) return Promise.resolve();
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  add(k = 1): void {
    this.count += k;
    if (this.count >= this.target && this.resolve !== undefined) {
      const resolve = this.resolve;
      this.resolve = undefined;
      resolve();
    }
  }
}

function makePayload(): Buffer {
  const payload = Buffer.allocUnsafe(PAYLOAD_SIZE);
  for (let i = 0; i < PAYLOAD_SIZE; i++) payload[i] = (i * 31 + 7) & 0xff;
  return payload;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${(err as { code?: string }).code ?? err.name}: ${err.message}`;
  return String(err);
}

export function openSubscriber(impl: ImplName, o: ClientOptions): Promise<Subscriber> {
  switch (impl) {
    case 'mqttkit':
      return mqttkitSubscriber(o);
    case 'mqttjs':
      return mqttjsSubscriber(o);
    case 'bare':
      return bareSubscriber(o);
  }
}

export function openPublisher(impl: ImplName, o: ClientOptions): Promise<Publisher> {
  switch (impl) {
    case 'mqttkit':
      return mqttkitPublisher(o);
    case 'mqttjs':
      return mqttjsPublisher(o);
    case 'bare':
      return barePublisher(o);
  }
}

// --- mqttkit ---

async function mqttkitSubscriber(o: ClientOptions): Promise<Subscriber> {
  const received = new Countdown();
  let malformed = 0;
  let firstError: string | undefined;
  const sub = await o.kit.node.connect(o.url, { protocolVersion: o.protocolVersion, clientId: `e2e-sub-${o.tag}` });
  sub.on('error', (err) => void (firstError ??= errorText(err)));
  sub.on('message', (m) => {
    if (m.payload.length !== PAYLOAD_SIZE || m.topic !== o.topic) malformed++;
    received.add();
  });
  await sub.subscribe(o.topic, { qos: o.qos });
  return {
    get received() {
      return received.count;
    },
    get malformed() {
      return malformed;
    },
    get firstError() {
      return firstError;
    },
    waitFor: (delta) => received.waitFor(delta),
    close: () => sub.end({ force: true }),
  };
}

async function mqttkitPublisher(o: ClientOptions): Promise<Publisher> {
  const settled = new Countdown();
  let failed = 0;
  let firstError: string | undefined;
  // More than the broker's Receive Maximum (65,535 on Mosquitto) QoS 1/2 publishes wait in
  // mqttkit's queue, which refuses publishes past 100,000 messages / 64 MiB by default.
  const pub = await o.kit.node.connect(o.url, {
    protocolVersion: o.protocolVersion,
    clientId: `e2e-pub-${o.tag}`,
    maxQueuedMessages: Math.max(100_000, o.maxBurst),
    maxQueuedBytes: Math.max(64 * 1024 * 1024, o.maxBurst * PAYLOAD_SIZE * 2),
  });
  pub.on('error', (err) => void (firstError ??= errorText(err)));
  const payload = makePayload();
  const publishOptions = { qos: o.qos };
  const ok = (): void => settled.add();
  const fail = (err: unknown): void => {
    failed++;
    firstError ??= errorText(err);
    settled.add();
  };
  return {
    get settled() {
      return settled.count - failed;
    },
    get failed() {
      return failed;
    },
    get firstError() {
      return firstError;
    },
    prepare() {},
    burst(n) {
      const published = settled.waitFor(n);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) pub.publish(o.topic, payload, publishOptions).then(ok, fail);
      return { loopMs: performance.now() - t0, published };
    },
    close: () => pub.end({ force: true }),
  };
}

// --- MQTT.js ---

async function mqttjsSubscriber(o: ClientOptions): Promise<Subscriber> {
  const received = new Countdown();
  let malformed = 0;
  let firstError: string | undefined;
  const sub = await mqtt.connectAsync(o.url, { protocolVersion: o.protocolVersion, reconnectPeriod: 0, clientId: `e2e-sub-${o.tag}` });
  sub.on('error', (err) => void (firstError ??= errorText(err)));
  sub.on('message', (topic, payload) => {
    if (payload.length !== PAYLOAD_SIZE || topic !== o.topic) malformed++;
    received.add();
  });
  await sub.subscribeAsync(o.topic, { qos: o.qos });
  return {
    get received() {
      return received.count;
    },
    get malformed() {
      return malformed;
    },
    get firstError() {
      return firstError;
    },
    waitFor: (delta) => received.waitFor(delta),
    close: () => sub.endAsync(true),
  };
}

async function mqttjsPublisher(o: ClientOptions): Promise<Publisher> {
  const settled = new Countdown();
  let failed = 0;
  let firstError: string | undefined;
  const pub = await mqtt.connectAsync(o.url, {
    protocolVersion: o.protocolVersion,
    reconnectPeriod: 0,
    clientId: `e2e-pub-${o.tag}`,
    messageIdProvider: new mqtt.UniqueMessageIdProvider(),
  });
  // A publish failure may also surface as an 'error' event; count it rather than crash.
  pub.on('error', (err) => void (firstError ??= errorText(err)));
  const payload = makePayload();
  const publishOptions = { qos: o.qos };
  const callback = (err?: Error): void => {
    if (err) {
      failed++;
      firstError ??= errorText(err);
    }
    settled.add();
  };
  return {
    get settled() {
      return settled.count - failed;
    },
    get failed() {
      return failed;
    },
    get firstError() {
      return firstError;
    },
    prepare() {},
    burst(n) {
      const published = settled.waitFor(n);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) pub.publish(o.topic, payload, publishOptions, callback);
      return { loopMs: performance.now() - t0, published };
    },
    close: () => pub.endAsync(true),
  };
}

// --- Bare socket ---

type Codec = Mqttkit['codec'];

/** A raw MQTT connection: a socket, mqttkit's Decoder, and a packet handler run per received chunk. */
class BareConnection {
  /** Called for every packet; `flush` after each chunk's packets. */
  onPacket: (p: Packet) => void = () => {};
  flush: () => void = () => {};
  private failure: Error | undefined;

  private constructor(
    readonly socket: Socket,
    codec: Codec,
    version: ProtocolVersion,
  ) {
    const decoder = new codec.Decoder({ protocolVersion: version });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      decoder.feed(chunk);
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) this.onPacket(p);
      this.flush();
    });
    socket.on('error', (err) => {
      this.failure ??= err;
    });
  }

  get error(): string | undefined {
    return this.failure === undefined ? undefined : errorText(this.failure);
  }

  static async open(o: ClientOptions, clientId: string): Promise<{ conn: BareConnection; receiveMaximum: number }> {
    const u = new URL(o.url);
    const socket = netConnect({ host: u.hostname, port: Number(u.port) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const conn = new BareConnection(socket, o.kit.codec, o.protocolVersion);
    const connect = o.kit.codec.encode({ type: 'connect', clientId, clean: true, keepAlive: 60 }, o.protocolVersion);
    const connack = await conn.request(connect, 'connack');
    if (connack.type !== 'connack' || connack.reasonCode !== 0) throw new Error(`bare: CONNACK refused: ${JSON.stringify(connack)}`);
    return { conn, receiveMaximum: connack.properties?.receiveMaximum ?? 65_535 };
  }

  /** Writes `bytes` and resolves with the first packet of type `type`. */
  request(bytes: Uint8Array, type: Packet['type']): Promise<Packet> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bare: no ${type} within 10 s`)), 10_000);
      this.onPacket = (p) => {
        if (p.type !== type) return;
        clearTimeout(timer);
        this.onPacket = () => {};
        resolve(p);
      };
      this.socket.write(bytes);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}

/**
 * A 4-byte acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP with reason
 * Success, which MQTT 5 lets the sender omit) encoded by mqttkit's `encode`,
 * so its packet id can be patched in at offset 2.
 */
function ackTemplate(codec: Codec, type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', version: ProtocolVersion): Buffer {
  const bytes = Buffer.from(codec.encode({ type, packetId: 0xabcd }, version));
  if (bytes.length !== 4 || bytes[2] !== 0xab || bytes[3] !== 0xcd)
    throw new Error(`bare: unexpected ${type} layout ${bytes.toString('hex')}`);
  return bytes;
}

/** Packet ids collected while a chunk is decoded, answered with one socket write per chunk. */
class AckBatch {
  private ids = new Uint16Array(1024);
  private count = 0;

  constructor(private readonly template: Buffer) {}

  add(id: number): void {
    if (this.count === this.ids.length) {
      const bigger = new Uint16Array(this.ids.length * 2);
      bigger.set(this.ids);
      this.ids = bigger;
    }
    this.ids[this.count++] = id;
  }

  writeTo(socket: Socket): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    const out = Buffer.allocUnsafe(n * 4);
    const t0 = this.template[0];
    const t1 = this.template[1];
    for (let i = 0; i < n; i++) {
      const at = i * 4;
      out[at] = t0;
      out[at + 1] = t1;
      out[at + 2] = this.ids[i] >> 8;
      out[at + 3] = this.ids[i] & 0xff;
    }
    socket.write(out);
  }
}

async function bareSubscriber(o: ClientOptions): Promise<Subscriber> {
  const v = o.protocolVersion;
  const received = new Countdown();
  let malformed = 0;
  const { conn } = await BareConnection.open(o, `e2e-sub-${o.tag}`);
  const subscribe = o.kit.codec.encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: o.topic, qos: o.qos }] }, v);
  const suback = await conn.request(subscribe, 'suback');
  if (suback.type !== 'suback' || suback.reasonCodes[0] !== o.qos) throw new Error(`bare: SUBACK ${JSON.stringify(suback)}`);
  const acks = new AckBatch(ackTemplate(o.kit.codec, o.qos === 2 ? 'pubrec' : 'puback', v));
  const comps = new AckBatch(ackTemplate(o.kit.codec, 'pubcomp', v));
  conn.onPacket = (p) => {
    if (p.type === 'publish') {
      if (p.payload.length !== PAYLOAD_SIZE || p.topic !== o.topic) malformed++;
      received.add();
      if (p.qos > 0) acks.add(p.packetId as number);
    } else if (p.type === 'pubrel') {
      comps.add(p.packetId);
    }
  };
  conn.flush = () => {
    acks.writeTo(conn.socket);
    comps.writeTo(conn.socket);
  };
  return {
    get received() {
      return received.count;
    },
    get malformed() {
      return malformed;
    },
    get firstError() {
      return conn.error;
    },
    waitFor: (delta) => received.waitFor(delta),
    close: () => conn.close(),
  };
}

async function barePublisher(o: ClientOptions): Promise<Publisher> {
  const v = o.protocolVersion;
  const settled = new Countdown();
  let outOfOrder = 0;
  const { conn, receiveMaximum } = await BareConnection.open(o, `e2e-pub-${o.tag}`);
  const window = Math.min(receiveMaximum, 65_535);
  const template = Buffer.from(
    o.kit.codec.encode(
      {
        type: 'publish',
        topic: o.topic,
        payload: makePayload(),
        qos: o.qos,
        retain: false,
        dup: false,
        ...(o.qos > 0 ? { packetId: 0xabcd } : {}),
      },
      v,
    ),
  );
  const L = template.length;
  const idOffset = L - PAYLOAD_SIZE - (v === 5 ? 1 : 0) - 2;
  if (o.qos > 0 && (template[idOffset] !== 0xab || template[idOffset + 1] !== 0xcd)) throw new Error('bare: unexpected PUBLISH layout');

  let stream = Buffer.alloc(0);
  let total = 0;
  let sent = 0;
  let done = 0; // acknowledged (QoS 1) or completed (QoS 2) in this burst
  const rels = new AckBatch(ackTemplate(o.kit.codec, 'pubrel', v));
  const idOf = (i: number): number => (i % 65_535) + 1;
  conn.onPacket = (p) => {
    if (p.type === 'puback' || p.type === 'pubcomp') {
      if (p.packetId !== idOf(done)) outOfOrder++;
      done++;
      settled.add();
    } else if (p.type === 'pubrec') {
      rels.add(p.packetId);
    }
  };
  conn.flush = () => {
    rels.writeTo(conn.socket);
    // Refill the window: at most `window` unacknowledged, so ids stay unique while in flight.
    if (sent < total) {
      const upto = Math.min(total, done + window);
      if (upto > sent) {
        conn.socket.write(stream.subarray(sent * L, upto * L));
        sent = upto;
      }
    }
  };

  return {
    get settled() {
      return settled.count;
    },
    get failed() {
      return outOfOrder;
    },
    get firstError() {
      return conn.error ?? (outOfOrder > 0 ? `${outOfOrder} acknowledgements out of order` : undefined);
    },
    prepare(n) {
      stream = Buffer.allocUnsafe(n * L);
      for (let i = 0; i < n; i++) {
        const at = i * L;
        template.copy(stream, at);
        if (o.qos > 0) {
          const id = idOf(i);
          stream[at + idOffset] = id >> 8;
          stream[at + idOffset + 1] = id & 0xff;
        }
      }
    },
    burst(n) {
      if (stream.length !== n * L) throw new Error('bare: prepare(n) first');
      total = n;
      done = 0;
      const published = settled.waitFor(n);
      const t0 = performance.now();
      if (o.qos === 0) {
        sent = n;
        conn.socket.write(stream);
        settled.add(n); // handed to the socket: what a QoS 0 publish promise means
      } else {
        sent = Math.min(n, window);
        conn.socket.write(stream.subarray(0, sent * L));
      }
      return { loopMs: performance.now() - t0, published };
    },
    async close() {
      stream = Buffer.alloc(0);
      await conn.close();
    },
  };
}

/**
 * One no-loss run: publishers with persistent sessions publish numbered
 * streams through a faulty proxy to a real Mosquitto while a subscriber with
 * a persistent session (through its own faulty proxy, or straight to the
 * broker) collects them. Shared by the fault tests and `npm run soak`.
 *
 * Faults stay on until every publish() has been called; then the proxies stop
 * planning new faults so the tail (the last window of publishes, the
 * broker's queue for the subscriber) can finish, and the run waits for every
 * promise to settle and every message to arrive.
 */

import type { ProtocolVersion } from '../../../src/codec/types.js';
import { type ClientOptions, createClient, type MqttClient } from '../../../src/node.js';
import { type FaultPolicy, FaultProxy, type FaultStats } from '../../helpers/fault-proxy.js';
import { DeliveryLedger, NumberedPublisher, type StreamResult, type StreamSpec } from './stream.js';
import { BrokerAudit, OrderAudit, WireTap } from './wire-tap.js';

/** Reconnect quickly: a run has hundreds of cuts. */
export const FAST = { initialDelay: 20, maxDelay: 200 } as const;

/**
 * The fault mix of the no-loss runs: mostly cuts (RST, FIN), some
 * half-closes, a few stalls (each costs the client 1.5x its keep alive, so
 * at most `maxStalls` per proxy; stall.test.ts measures them), one
 * connection in ten broken during its first 150 bytes (CONNECT, CONNACK,
 * SUBSCRIBE, the resends), and one in five with its bytes delayed.
 */
export function chaos(maxBytes: number, maxStalls = 2): FaultPolicy {
  return {
    kinds: { rst: 4, fin: 3, 'half-close': 2, stall: 0.5 },
    bytes: [1_000, maxBytes],
    earlyChance: 0.1,
    earlyBytes: 150,
    delayChance: 0.2,
    maxDelayMs: 10,
    maxStalls,
  };
}

/**
 * Mosquitto settings for the no-loss runs. The queue per client must hold
 * the whole backlog of a subscriber that is away (the default 1,000 drops
 * the rest); it is not 0 (unlimited) because Mosquitto 2.0.11 then
 * disconnects an MQTT 3.1.1 client with more than max_inflight_messages QoS 2
 * publishes in flight ("Bad socket read/write").
 */
export const NO_LOSS_BROKER_CONFIG = ['max_queued_messages 1000000'];

export interface ScenarioOptions {
  /** The broker's port on 127.0.0.1. */
  brokerPort: number;
  seed: number;
  /** Names the run in topics, client ids and log lines. */
  label: string;
  protocolVersion: ProtocolVersion;
  /** One publisher client per stream. */
  streams: StreamSpec[];
  /** Faults on the publishers' connections (one proxy for all of them). */
  publisherFaults?: FaultPolicy;
  /** Faults on the subscriber's connection. */
  subscriberFaults?: FaultPolicy;
  /** Whether the subscriber goes through a proxy (default: when it has faults; otherwise it connects straight to the broker). */
  subscriberProxy?: boolean;
  /** Things to do once the publishers together have called publish() for this share (0..1) of all messages, e.g. restart the broker. */
  midStream?: { at: number; action: () => Promise<void> }[];
  /**
   * MQTT 5: the subscriber's Receive Maximum (default: none, 65,535). Mosquitto 2.0.11 overshoots it
   * after a PUBCOMP (fixed in 2.0.13), and the client then disconnects with 0x93 as it must, again and again.
   */
  subscriberReceiveMaximum?: number;
  /** Keep alive in seconds (small, so stalls are found fast). */
  keepAlive: number;
  /** Give up publishing after this long (ms). */
  runTimeout: number;
  /** Give up waiting for the tail after this long (ms). */
  tailTimeout: number;
  log: (line: string) => void;
  /** Keep every packet the proxies forwarded (memory!), to explain a failure. */
  keepPackets?: boolean;
}

export interface ScenarioResult {
  /** Topic prefix of the run: stream `name` went to `<prefix>/<name>`. */
  prefix: string;
  results: StreamResult[];
  publisherStats: FaultStats;
  subscriberStats?: FaultStats;
  /** Times a client's connection went down ('offline' events), all clients. */
  offline: number;
  /** CONNACKs without Session Present after the first: the broker lost a session. */
  sessionsLost: number;
  /** Planned faults that fired inside a packet (the bytes forwarded up to the fault ended mid-packet). */
  midPacket: number;
  /** Errors the clients emitted (protocol violations, background failures). */
  errors: string[];
  /** `<topic> <seq>` of publishes a publisher sent after a higher-numbered one on the same connection. */
  sentOutOfOrder: string[];
  durationMs: number;
  ledger: DeliveryLedger;
  taps: { publishers: WireTap; subscriber?: WireTap };
  /** Set when the tail did not complete in time. */
  timeout?: string;
}

function persistentOptions(v: ProtocolVersion, clientId: string, keepAlive: number, receiveMaximum?: number): ClientOptions {
  const options: ClientOptions = { protocolVersion: v, clientId, clean: false, keepAlive, reconnect: FAST, connectTimeout: 2_000 };
  if (v === 5)
    options.properties = receiveMaximum === undefined ? { sessionExpiryInterval: 600 } : { sessionExpiryInterval: 600, receiveMaximum };
  return options;
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const tag = `${o.label}-${o.seed.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const prefix = `fault/${tag}`;
  const counters = { offline: 0, sessionsLost: 0, midPacket: 0, errors: [] as string[] };
  const clients: MqttClient[] = [];
  const watch = (client: MqttClient, name: string): MqttClient => {
    let connects = 0;
    client.on('offline', () => counters.offline++);
    client.on('connect', ({ sessionPresent }) => {
      if (connects++ > 0 && !sessionPresent) counters.sessionsLost++;
    });
    client.on('error', (e) => counters.errors.push(`${name}: ${e.code} ${e.message}`));
    clients.push(client);
    return client;
  };
  const id = (role: string) => `${role}-${tag}`.slice(0, 23);
  const keep = o.keepPackets === true;

  const pubTap = new WireTap(o.protocolVersion, keep);
  // The publishers must send (and resend) each stream in order ([MQTT-4.6.0-1]).
  const sendOrder = new OrderAudit(pubTap, 'up', false);
  const pubProxy = await FaultProxy.start({
    target: o.brokerPort,
    seed: o.seed,
    name: `${o.label}/publishers`,
    faults: o.publisherFaults,
    onChunk: pubTap.onChunk,
    onFault: (connection, direction) => {
      if (pubTap.partial(connection, direction)) counters.midPacket++;
    },
  });
  // The subscriber's tap tells what the broker caused from what the client did (see BrokerAudit).
  const subTap = (o.subscriberProxy ?? o.subscriberFaults !== undefined) ? new WireTap(o.protocolVersion, keep) : undefined;
  const audit = subTap && new BrokerAudit(subTap);
  const subProxy =
    subTap === undefined
      ? undefined
      : await FaultProxy.start({
          target: o.brokerPort,
          seed: o.seed,
          name: `${o.label}/subscriber`,
          faults: o.subscriberFaults,
          onChunk: subTap.onChunk,
          onFault: (connection, direction) => {
            if (subTap.partial(connection, direction)) counters.midPacket++;
          },
        });
  const proxies = subProxy === undefined ? [pubProxy] : [pubProxy, subProxy];
  try {
    const subUrl = subProxy?.url ?? `mqtt://127.0.0.1:${o.brokerPort}`;
    const subscriber = watch(
      createClient(subUrl, persistentOptions(o.protocolVersion, id('sub'), o.keepAlive, o.subscriberReceiveMaximum)),
      'subscriber',
    );
    const ledger = new DeliveryLedger(prefix, o.streams).attach(subscriber);
    if (audit !== undefined) ledger.excuses = audit;
    ledger.keepLog = keep;
    subscriber.start();
    // The subscription must exist before the first message; SUBSCRIBE rides through cuts like any packet.
    await subscriber.subscribe(`${prefix}/#`, { qos: 2 });

    const publishers = o.streams.map((spec) => {
      const client = watch(createClient(pubProxy.url, persistentOptions(o.protocolVersion, id(spec.name), o.keepAlive)), spec.name);
      client.start();
      return new NumberedPublisher(client, `${prefix}/${spec.name}`, spec);
    });
    const counts = Object.fromEntries(o.streams.map((s) => [s.name, s.count]));
    const progress = () =>
      publishers
        .map((p) => `${p.spec.name}: ${p.called} called, ${p.called - p.settled} unsettled, ${ledger.distinct(p.spec.name)} delivered`)
        .join('; ');
    let timeout: string | undefined;
    const total = o.streams.reduce((sum, spec) => sum + spec.count, 0);
    const called = () => publishers.reduce((sum, p) => sum + p.called, 0);
    const midStream = (async () => {
      for (const step of [...(o.midStream ?? [])].sort((a, b) => a.at - b.at)) {
        while (called() < step.at * total) await new Promise((resolve) => setTimeout(resolve, 5));
        await step.action();
      }
    })();
    try {
      await within(Promise.all([...publishers.map((p) => p.run()), midStream]), o.runTimeout, progress);
      for (const proxy of proxies) proxy.calm();
      await ledger.waitFor(counts, o.tailTimeout);
      await within(Promise.all(publishers.map((p) => p.whenSettled())), o.tailTimeout, () =>
        publishers.map((p) => `${p.spec.name}: ${p.called - p.settled} unsettled (e.g. ${p.pending().slice(0, 5).join(',')})`).join('; '),
      );
    } catch (err) {
      timeout = (err as Error).message;
    }
    return {
      prefix,
      results: publishers.map((p) => ledger.result(p)),
      publisherStats: { ...pubProxy.stats },
      subscriberStats: subProxy && { ...subProxy.stats },
      ledger,
      taps: { publishers: pubTap, subscriber: subTap },
      offline: counters.offline,
      sessionsLost: counters.sessionsLost,
      midPacket: counters.midPacket,
      errors: counters.errors,
      sentOutOfOrder: [...sendOrder.outOfOrder],
      durationMs: performance.now() - started,
      timeout,
    };
  } finally {
    await Promise.all(clients.map((c) => within(c.end({ force: true }), 2_000, () => 'end()').catch(() => undefined)));
    for (const proxy of proxies) {
      o.log(proxy.summary());
      await proxy.close();
    }
  }
}

/** `promise`, or a rejection saying `what()` once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

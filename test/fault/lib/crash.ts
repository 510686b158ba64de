/**
 * A broker crash (SIGKILL) in the middle of a stream, and what each side
 * answers for. Publishers with persistent sessions publish numbered QoS 1/2
 * streams through a pass-through proxy whose wire tap records which
 * publishes the broker acknowledged (PUBACK, PUBREC) before it died. The
 * subscriber's persistent session collects while it is away and drains after
 * the restart, so it holds no in-flight state of its own at the crash (its
 * session states cannot disagree with a broker that rolled back).
 *
 * - Not acknowledged by the broker before the crash: the client's to keep.
 *   Every such message must arrive (QoS 2 exactly once).
 * - Acknowledged before the crash: the broker's. Mosquitto may have lost it
 *   (acknowledged but not yet saved) or, for QoS 2, deliver it twice (its
 *   saved state predates the message's completion); both are counted, not failed.
 * - Every publish() settles. It may reject with the broker's reason code:
 *   Mosquitto restores QoS 2 messages the publisher had already completed
 *   (its saved state predates the PUBREL), they count against the receive
 *   window until their packet id is reused, and it refuses what does not fit
 *   with PUBREC 0x97 (quota exceeded). Such a message is not delivered, and
 *   the caller was told so.
 */

import { createClient, type MqttClient } from '../../../src/node.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import type { Mosquitto } from '../../helpers/mosquitto.js';
import { FAST, within } from './scenario.js';
import { DeliveryLedger, NumberedPublisher, type StreamResult, type StreamSpec } from './stream.js';
import { AckTracker, WireTap } from './wire-tap.js';

export interface CrashOptions {
  broker: Mosquitto;
  seed: number;
  label: string;
  streams: StreamSpec[];
  /** Kill the broker once this share (0..1) of all publishes has been called. */
  killAt: number;
  timeout: number;
  log: (line: string) => void;
}

export interface CrashStreamVerdict {
  result: StreamResult;
  /** Acknowledged by the broker before the crash. */
  ackedBeforeCrash: number;
  /** Lost, though the broker had acknowledged them (it had not saved them). */
  lostByBroker: number;
  /** Lost, never acknowledged before the crash: the client's failure. */
  lostByClient: number[];
  /** QoS 2 duplicates of messages acknowledged before the crash (the broker's saved state predates their completion). */
  duplicatesByBroker: number;
  /** QoS 2 duplicates of messages not acknowledged before the crash: the client's failure. */
  duplicatesByClient: number[];
}

export interface CrashResult {
  streams: CrashStreamVerdict[];
  /** CONNACKs after the restart, per client: Session Present. */
  sessionsAfterRestart: Record<string, boolean>;
  /** Publishes rejected, as `<stream> #<seq>: <code>: <message>`. */
  rejected: string[];
  /** Of those, the ones the broker did not refuse with a reason code (0x80 or above): the client's failure. */
  rejectedByClient: string[];
  errors: string[];
  timeout?: string;
  durationMs: number;
}

export async function runCrash(o: CrashOptions): Promise<CrashResult> {
  const started = performance.now();
  const tag = `${o.label}-${o.seed.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const prefix = `fault/${tag}`;
  const id = (role: string) => `${role}-${tag}`.slice(0, 23);
  const options = (clientId: string) =>
    ({
      protocolVersion: 5,
      clientId,
      clean: false,
      keepAlive: 2,
      reconnect: FAST,
      connectTimeout: 2_000,
      properties: { sessionExpiryInterval: 600 },
    }) as const;
  const clients: MqttClient[] = [];
  const errors: string[] = [];
  const sessionsAfterRestart: Record<string, boolean> = {};
  let restarted = false;
  const track = (client: MqttClient, name: string): MqttClient => {
    clients.push(client);
    client.on('error', (e) => errors.push(`${name}: ${e.code} ${e.message}`));
    client.on('connect', (e) => {
      if (restarted && !(name in sessionsAfterRestart)) sessionsAfterRestart[name] = e.sessionPresent;
    });
    return client;
  };

  const tap = new WireTap(5);
  const acks = new AckTracker(tap);
  const proxy = await FaultProxy.start({ target: o.broker.port, seed: o.seed, name: `${o.label}/publishers`, onChunk: tap.onChunk });
  try {
    // The subscriber's session: subscribed, then away (the broker queues for it).
    const first = track(createClient(o.broker.url, options(id('sub'))), 'subscriber');
    await new Promise<void>((resolve) => {
      first.once('connect', () => resolve());
      first.start();
    });
    await first.subscribe(`${prefix}/#`, { qos: 2 });
    await first.end();

    const publishers = o.streams.map((spec) => {
      const client = track(createClient(proxy.url, options(id(spec.name))), spec.name);
      client.start();
      return new NumberedPublisher(client, `${prefix}/${spec.name}`, spec);
    });
    const total = o.streams.reduce((sum, s) => sum + s.count, 0);
    const called = () => publishers.reduce((sum, p) => sum + p.called, 0);
    let lastConnectionBeforeCrash = 0;
    const crash = (async () => {
      while (called() < o.killAt * total) await new Promise((resolve) => setTimeout(resolve, 5));
      // Every connection accepted from here on reaches the new broker (or none).
      lastConnectionBeforeCrash = proxy.stats.connections;
      restarted = true;
      await o.broker.restart({ signal: 'SIGKILL' });
    })();

    let timeout: string | undefined;
    const ledger = new DeliveryLedger(prefix, o.streams);
    const progress = () =>
      publishers
        .map((p) => `${p.spec.name}: ${p.called} called, ${p.settled} settled, ${ledger.distinct(p.spec.name)} delivered`)
        .join('; ');
    try {
      await within(Promise.all([...publishers.map((p) => p.run()), crash]), o.timeout, progress);
      await within(Promise.all(publishers.map((p) => p.whenSettled())), o.timeout, progress);
      // Drain: the broker's queue for a client is first in, first out, so once the last accepted
      // message of every stream (published after the restart) is in, everything the broker still had is too.
      const second = track(createClient(o.broker.url, options(id('sub'))), 'subscriber-after');
      ledger.attach(second);
      second.start();
      const last = publishers.map((p) => lastAccepted(p));
      await ledger.waitUntil(() => publishers.every((p, i) => ledger.has(p.spec.name, last[i])), o.timeout, progress);
    } catch (err) {
      timeout = (err as Error).message;
    }

    const streams = publishers.map((p) => verdict(p, ledger.result(p), ledger, acks, lastConnectionBeforeCrash));
    return {
      streams,
      sessionsAfterRestart,
      rejected: publishers.flatMap((p) => p.rejected.map((r) => `${p.spec.name} #${r.seq}: ${r.error}`)),
      rejectedByClient: publishers.flatMap((p) =>
        p.rejected.filter((r) => r.reasonCode === undefined || r.reasonCode < 0x80).map((r) => `${p.spec.name} #${r.seq}: ${r.error}`),
      ),
      errors,
      timeout,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.all(clients.map((c) => within(c.end({ force: true }), 2_000, () => 'end()').catch(() => undefined)));
    o.log(proxy.summary());
    await proxy.close();
  }
}

/** The highest-numbered message whose publish() resolved. */
function lastAccepted(p: NumberedPublisher): number {
  const rejected = new Set(p.rejected.map((r) => r.seq));
  let seq = p.called - 1;
  while (seq > 0 && rejected.has(seq)) seq--;
  return seq;
}

function verdict(
  p: NumberedPublisher,
  result: StreamResult,
  ledger: DeliveryLedger,
  acks: AckTracker,
  lastBefore: number,
): CrashStreamVerdict {
  const v: CrashStreamVerdict = {
    result,
    ackedBeforeCrash: 0,
    lostByBroker: 0,
    lostByClient: [],
    duplicatesByBroker: 0,
    duplicatesByClient: [],
  };
  const rejected = new Set(p.rejected.map((r) => r.seq));
  for (let seq = 0; seq < p.called; seq++) {
    const acked = acks.ackedBy(`${p.topic} ${seq}`, lastBefore);
    if (acked) v.ackedBeforeCrash++;
    const deliveries = ledger.deliveries(p.spec.name, seq);
    if (deliveries === 0 && !rejected.has(seq)) {
      if (acked) v.lostByBroker++;
      else v.lostByClient.push(seq);
    }
    if (p.spec.qos === 2 && deliveries > 1) {
      if (acked) v.duplicatesByBroker += deliveries - 1;
      else v.duplicatesByClient.push(seq);
    }
  }
  return v;
}

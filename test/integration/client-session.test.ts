/**
 * Sessions and delivery guarantees against a real Mosquitto: will messages,
 * persistent sessions across reconnects, QoS 2 exactly once (also when
 * connections are cut mid-stream), QoS 1 at least once across a cut, and a
 * graceful end(). Broker restarts are in client-reconnect.test.ts.
 *
 * Connections are cut with {@link ControlledTransport}: the real TCP transport
 * wrapped so the test can destroy the socket (the broker sees it close
 * without DISCONNECT) and hold back reconnection.
 */

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/codec/types.js';
import type { ClientEvents, ClientOptions, MqttClient } from '../../src/node.js';
import { ClientPool, ControlledTransport, FAST_RECONNECT, Inbox, nextEvent, sleep, unique, within } from '../helpers/clients.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

/** A client id unique to the test (MQTT 3.1 allows at most 23 characters). */
const clientId = (prefix: string) => unique(prefix).slice(-23);

/** Options for a session that outlives the connection: clean false, and on MQTT 5 a Session Expiry Interval. */
function persistent(protocolVersion: ProtocolVersion, id: string, extra: ClientOptions = {}): ClientOptions {
  return {
    protocolVersion,
    clientId: id,
    clean: false,
    reconnect: FAST_RECONNECT,
    ...extra,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300, ...extra.properties } } : {}),
  };
}

async function started(client: MqttClient): Promise<ClientEvents['connect'][0]> {
  const connected = nextEvent(client, 'connect');
  client.start();
  return (await connected)[0];
}

describeWithMosquitto('MqttClient sessions against Mosquitto', () => {
  let broker: Mosquitto;
  const pool = new ClientPool();

  beforeAll(async () => {
    const s = await startMosquitto();
    if (s === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = s;
  });
  afterEach(() => pool.endAll());
  afterAll(() => broker?.stop());

  it.each([3, 4, 5] as ProtocolVersion[])(
    'v%i: the will is published when the connection drops without DISCONNECT',
    { timeout: 10_000 },
    async (v) => {
      const topic = unique(`will/v${v}`);
      const watcher = await pool.connect(broker.url, { protocolVersion: v });
      const sub = await watcher.subscribe(topic, { qos: 1 });

      const transport = new ControlledTransport();
      const dying = await pool.connect(broker.url, {
        protocolVersion: v,
        reconnect: false,
        transport: transport.factory,
        will: {
          topic,
          payload: 'gone',
          qos: 1,
          ...(v === 5 ? { properties: { contentType: 'text/plain', userProperties: [['why', 'crash']] } } : {}),
        },
      });
      const closed = nextEvent(dying, 'close');
      transport.kill();
      expect((await closed)[0].error?.code).toBe('MQTTKIT_ERR_CONNECTION_LOST');

      const { value: will } = await within(sub[Symbol.asyncIterator]().next(), 5_000, 'the will message');
      expect(will?.text()).toBe('gone');
      expect(will?.qos).toBe(1);
      if (v === 5) {
        expect(will?.properties?.contentType).toBe('text/plain');
        expect(will?.properties?.userProperties).toEqual([['why', 'crash']]);
      }
    },
  );

  it('the will is not published after end(); on MQTT 5 end({ reasonCode: 0x04 }) publishes it', { timeout: 10_000 }, async () => {
    const topic = unique('will/end');
    const watcher = await pool.connect(broker.url, { protocolVersion: 5 });
    const inbox = new Inbox(watcher);
    await watcher.subscribe(topic, { qos: 1 });

    const polite = await pool.connect(broker.url, { protocolVersion: 5, will: { topic, payload: 'polite', qos: 1 } });
    await polite.end();
    const v4 = await pool.connect(broker.url, { protocolVersion: 4, will: { topic, payload: 'polite v4', qos: 1 } });
    await v4.end();
    const withWill = await pool.connect(broker.url, { protocolVersion: 5, will: { topic, payload: 'disconnect with will', qos: 1 } });
    await withWill.end({ reasonCode: 0x04 });
    await inbox.count(1);
    await sleep(300);
    expect(inbox.texts()).toEqual(['disconnect with will']);
  });

  it.each([4, 5] as ProtocolVersion[])(
    'v%i: a persistent session keeps subscriptions and queues QoS 1/2 messages while the client is away (new client object)',
    { timeout: 10_000 },
    async (v) => {
      const topic = unique(`persist/v${v}`);
      const id = clientId(`p${v}`);
      const first = pool.create(broker.url, persistent(v, id));
      expect((await started(first)).sessionPresent).toBe(false);
      await first.subscribe(topic, { qos: 2 });
      await first.end();

      const publisher = await pool.connect(broker.url, { protocolVersion: v });
      await publisher.publish(topic, 'away 1', { qos: 1 });
      await publisher.publish(topic, 'away 2', { qos: 2 });
      await publisher.publish(topic, 'away 3', { qos: 1 });

      // Listen before connecting: the broker sends the queued messages right after CONNACK.
      const second = pool.create(broker.url, persistent(v, id));
      const inbox = new Inbox(second);
      expect((await started(second)).sessionPresent).toBe(true);
      await inbox.count(3);
      expect(inbox.texts()).toEqual(['away 1', 'away 2', 'away 3']);
      expect(inbox.messages.map((m) => m.qos)).toEqual([1, 2, 1]);

      // The subscription is still there: live messages keep coming.
      await publisher.publish(topic, 'live', { qos: 1 });
      await inbox.count(4);
      await second.end();

      // A clean start discards the session.
      const fresh = pool.create(broker.url, { protocolVersion: v, clientId: id, clean: true });
      expect((await started(fresh)).sessionPresent).toBe(false);
    },
  );

  it.each([4, 5] as ProtocolVersion[])(
    'v%i: the same client reconnects into its session by itself and gets what was published while it was away',
    { timeout: 15_000 },
    async (v) => {
      const topic = unique(`resume/v${v}`);
      const transport = new ControlledTransport();
      const client = pool.create(broker.url, persistent(v, clientId(`r${v}`), { transport: transport.factory }));
      const connects: boolean[] = [];
      client.on('connect', ({ sessionPresent }) => connects.push(sessionPresent));
      await started(client);
      const sub = await client.subscribe(topic, { qos: 1 });

      transport.hold();
      const offline = nextEvent(client, 'offline');
      transport.kill();
      await offline;

      const publisher = await pool.connect(broker.url, { protocolVersion: v });
      for (let i = 1; i <= 5; i++) await publisher.publish(topic, `away ${i}`, { qos: 1 });

      const reconnected = nextEvent(client, 'connect');
      transport.release();
      expect((await reconnected)[0].sessionPresent).toBe(true);
      expect(connects).toEqual([false, true]);

      const texts: string[] = [];
      for await (const m of sub) {
        texts.push(m.text());
        if (texts.length === 5) break;
      }
      expect(texts).toEqual(['away 1', 'away 2', 'away 3', 'away 4', 'away 5']);
    },
  );

  it('v5: 200 QoS 2 messages arrive exactly once, in order; at most Receive Maximum (20) are in flight', { timeout: 20_000 }, async () => {
    const topic = unique('exactly-once/v5');
    const N = 200;
    const subscriber = await pool.connect(broker.url, { protocolVersion: 5 });
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 2 });
    const publisher = pool.create(broker.url, { protocolVersion: 5 });
    // Mosquitto's max_inflight_messages (default 20) is its Receive Maximum.
    expect((await started(publisher)).connack.properties?.receiveMaximum).toBe(20);
    const pending = Array.from({ length: N }, (_, i) => publisher.publish(topic, String(i), { qos: 2 }));
    expect(publisher.inFlightCount).toBe(20);
    expect(publisher.queuedCount).toBe(N - 20);
    let maxInFlight = 0;
    const sampler = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, publisher.inFlightCount);
    }, 1);
    try {
      await within(Promise.all(pending), 15_000, 'all publishes to complete');
    } finally {
      clearInterval(sampler);
    }
    expect(maxInFlight).toBeLessThanOrEqual(20);
    expect(publisher.inFlightCount).toBe(0);
    await inbox.count(N);
    await sleep(500);
    const got = inbox.texts();
    expect(got).toHaveLength(N);
    expect(new Set(got).size).toBe(N);
    // One publisher, one QoS: the broker keeps the order.
    expect(got).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    expect(inbox.messages.every((m) => m.qos === 2)).toBe(true);
  });

  it('v4: 200 QoS 2 messages arrive exactly once, in order', { timeout: 20_000 }, async () => {
    const topic = unique('exactly-once/v4');
    const N = 200;
    const subscriber = await pool.connect(broker.url, { protocolVersion: 4 });
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 2 });
    const publisher = await pool.connect(broker.url, { protocolVersion: 4 });
    // Mosquitto 2.0.11 limitation: once more than max_inflight_messages (20) QoS 2 messages wait for a
    // 3.1.1 subscriber, the rest stay queued in the broker until something else is sent to that client
    // (MQTT.js as the subscriber gets exactly 20 of 200 as well; inflight-quota fixes came in 2.0.13).
    // So the publisher keeps at most 10 messages ahead of the subscriber.
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      while (i - inbox.messages.length >= 10) await sleep(1);
      pending.push(publisher.publish(topic, String(i), { qos: 2 }));
    }
    await within(Promise.all(pending), 15_000, 'all publishes to complete');
    await inbox.count(N);
    await sleep(500);
    const got = inbox.texts();
    expect(got).toHaveLength(N);
    expect(new Set(got).size).toBe(N);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => String(i)));
  });

  it('v5: QoS 2 stays exactly once when both connections are cut mid-stream (persistent sessions, resend with DUP)', {
    timeout: 30_000,
  }, async () => {
    const v = 5;
    const topic = unique('exactly-once-cut');
    const N = 200;
    const subTransport = new ControlledTransport();
    const subscriber = pool.create(broker.url, persistent(v, clientId('eo-sub'), { transport: subTransport.factory }));
    const inbox = new Inbox(subscriber);
    await started(subscriber);
    await subscriber.subscribe(topic, { qos: 2 });

    const pubTransport = new ControlledTransport();
    const publisher = pool.create(broker.url, persistent(v, clientId('eo-pub'), { transport: pubTransport.factory }));
    await started(publisher);
    let reconnects = 0;
    const sessionPresent: boolean[] = [];
    for (const c of [publisher, subscriber]) {
      c.on('connect', (e) => {
        reconnects++;
        sessionPresent.push(e.sessionPresent);
      });
    }

    const published = Promise.all(Array.from({ length: N }, (_, i) => publisher.publish(topic, String(i), { qos: 2 })));
    // Cut the publisher, then the subscriber, then both, while messages are in flight.
    const cuts: Array<() => void> = [
      () => pubTransport.kill(),
      () => subTransport.kill(),
      () => {
        pubTransport.kill();
        subTransport.kill();
      },
    ];
    for (const [i, cut] of cuts.entries()) {
      await within(
        (async () => {
          while (inbox.messages.length < ((i + 1) * N) / 4) await sleep(1);
        })(),
        10_000,
        `${((i + 1) * N) / 4} messages before cut ${i + 1}`,
      ).catch(() => undefined);
      cut();
    }
    await within(published, 20_000, 'all 200 QoS 2 publishes to complete');
    await inbox.count(N, 10_000);
    await sleep(500);
    const got = inbox.texts();
    const counts = new Map<string, number>();
    for (const t of got) counts.set(t, (counts.get(t) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
    expect(duplicates).toEqual([]);
    expect(new Set(got).size).toBe(N);
    expect(reconnects).toBeGreaterThanOrEqual(3);
    expect(sessionPresent.every((p) => p)).toBe(true);
    // The publisher resent what was in flight when it was cut, with DUP set.
    const resent = pubTransport.sentPackets(5).filter((p) => p.type === 'publish' && p.dup);
    expect(resent.length).toBeGreaterThan(0);
  });

  it('QoS 1 across a connection cut with a clean session: every publish resolves and every message arrives at least once', {
    timeout: 20_000,
  }, async () => {
    const topic = unique('at-least-once');
    const N = 100;
    const subscriber = await pool.connect(broker.url, { protocolVersion: 5 });
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 1 });
    const transport = new ControlledTransport();
    const publisher = pool.create(broker.url, { protocolVersion: 5, reconnect: FAST_RECONNECT, transport: transport.factory });
    const sessions: boolean[] = [];
    publisher.on('connect', (e) => sessions.push(e.sessionPresent));
    await started(publisher);
    const published = Promise.all(Array.from({ length: N }, (_, i) => publisher.publish(topic, String(i), { qos: 1 })));
    await within(
      (async () => {
        while (inbox.messages.length < N / 4) await sleep(1);
      })(),
      5_000,
      'a quarter of the messages',
    ).catch(() => undefined);
    const wasInFlight = publisher.inFlightCount + publisher.queuedCount;
    transport.kill();
    await within(published, 15_000, 'every publish to resolve');
    await within(
      (async () => {
        while (new Set(inbox.texts()).size < N) await sleep(10);
      })(),
      5_000,
      `all ${N} distinct messages`,
    );
    expect(sessions).toEqual([false, false]);
    expect(wasInFlight).toBeGreaterThan(0);
    expect(publisher.inFlightCount + publisher.queuedCount).toBe(0);
  });

  it('end() waits for in-flight QoS 1/2 publishes to be acknowledged; end() while offline fails what is queued', {
    timeout: 10_000,
  }, async () => {
    const topic = unique('graceful');
    const subscriber = await pool.connect(broker.url, { protocolVersion: 5 });
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 2 });

    const publisher = await pool.connect(broker.url, { protocolVersion: 5 });
    const publishes = Array.from({ length: 50 }, (_, i) => publisher.publish(topic, String(i), { qos: i % 2 === 0 ? 1 : 2 }));
    const settled = Promise.allSettled(publishes);
    await publisher.end();
    const outcomes = await settled;
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    await inbox.count(50);

    // Offline (never started): end() rejects what waits with MQTTKIT_ERR_CLIENT_CLOSED, and nothing is sent later.
    const offline = pool.create(broker.url, { protocolVersion: 5 });
    const queued = offline.publish(topic, 'never', { qos: 1 }).then(
      () => undefined,
      (e: { code?: string }) => e.code,
    );
    await offline.end();
    expect(await queued).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    const after = await offline.publish(topic, 'after end', { qos: 0 }).then(
      () => undefined,
      (e: { code?: string }) => e.code,
    );
    expect(after).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    await sleep(200);
    expect(inbox.messages).toHaveLength(50);
  });
});

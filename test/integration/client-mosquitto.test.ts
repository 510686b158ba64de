/**
 * The Node client against a real Mosquitto (started by the test on free
 * ports): connecting with MQTT 3.1, 3.1.1 and 5.0, publish/subscribe at every
 * QoS, retained messages, aborts and argument checks, and the MQTT 5
 * features (user properties, request/response, no-local, shared
 * subscriptions, topic aliases), plus keep alive.
 *
 * Sessions, wills and exactly-once are in client-session.test.ts, broker
 * restarts in client-reconnect.test.ts, MQTT 5 features in
 * client-mqtt5.test.ts, TLS, passwords and ACLs in client-auth-tls.test.ts.
 */

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/codec/types.js';
import { ConnectionError, InvalidArgumentError, StateError } from '../../src/errors.js';
import {
  ClientPool,
  ControlledTransport,
  FAST_RECONNECT,
  Inbox,
  nextEvent,
  rejectionOf,
  sleep,
  unique,
  waitForLog,
  within,
} from '../helpers/clients.js';
import { describeWithMosquitto, freePorts, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const VERSIONS: ProtocolVersion[] = [3, 4, 5];

describeWithMosquitto('MqttClient against Mosquitto', () => {
  let broker: Mosquitto;
  const pool = new ClientPool();

  beforeAll(async () => {
    const started = await startMosquitto();
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = started;
  });
  afterEach(() => pool.endAll());
  afterAll(() => broker?.stop());

  const opts = (protocolVersion: ProtocolVersion, extra: Parameters<ClientPool['connect']>[1] = {}) => ({
    protocolVersion,
    reconnect: FAST_RECONNECT,
    ...extra,
  });

  it.each(VERSIONS)('connects over TCP with protocol version %i and ends cleanly', { timeout: 10_000 }, async (v) => {
    const client = pool.create(broker.url, opts(v, { clientId: unique(`v${v}`).slice(0, 23) }));
    const connected = nextEvent(client, 'connect');
    client.start();
    const [{ sessionPresent, connack }] = await connected;
    expect(client.connected).toBe(true);
    expect(client.protocolVersion).toBe(v);
    expect(sessionPresent).toBe(false);
    expect(connack.reasonCode).toBe(0);
    if (v === 5) expect(connack.properties).toBeDefined();
    const closed = nextEvent(client, 'close');
    await client.end();
    expect((await closed)[0].error).toBeUndefined();
    expect(client.state).toBe('closed');
    await waitForLog(broker.logs, `Client ${client.clientId} disconnected.`);
  });

  it('MQTT 5 with an empty client id gets one assigned by the broker', { timeout: 10_000 }, async () => {
    const client = await pool.connect(broker.url, opts(5));
    expect(client.clientId).not.toBe('');
    await waitForLog(broker.logs, `as ${client.clientId} (p5`);
  });

  it.each(VERSIONS.flatMap((v) => [0, 1, 2].map((qos) => [v, qos] as [ProtocolVersion, 0 | 1 | 2])))(
    'v%i: a QoS %i message makes the round trip (publish -> subscriber)',
    { timeout: 10_000 },
    async (v, qos) => {
      const topic = unique(`rt/v${v}/q${qos}`);
      const subscriber = await pool.connect(broker.url, opts(v));
      const publisher = await pool.connect(broker.url, opts(v));
      const sub = await subscriber.subscribe(`${topic}/+`, { qos });
      expect(sub.reasonCodes).toEqual([qos]);

      const result = await publisher.publish(`${topic}/json`, JSON.stringify({ t: 21.5, qos }), { qos });
      await publisher.publish(`${topic}/text`, 'héllo wörld ✓', { qos });

      const received = [];
      for await (const msg of sub) {
        received.push(msg);
        if (received.length === 2) break;
      }
      expect(received.map((m) => m.topic)).toEqual([`${topic}/json`, `${topic}/text`]);
      expect(received[0].json()).toEqual({ t: 21.5, qos });
      expect(received[1].text()).toBe('héllo wörld ✓');
      for (const m of received) {
        expect(m.qos).toBe(qos);
        expect(m.retain).toBe(false);
        expect(m.dup).toBe(false);
      }
      // publish() settles per QoS: QoS 0 once written (no reason code); QoS 1/2 acknowledged.
      if (qos === 0 || v !== 5) expect(result.reasonCode).toBeUndefined();
      else expect(result.reasonCode ?? 0).toBe(0);
      expect(publisher.inFlightCount).toBe(0);
      // Leaving the for-await loop unsubscribed.
      expect(sub.closed).toBe(true);
    },
  );

  it('a subscription made while an UNSUBSCRIBE of the same filter is in flight stays open and gets messages', {
    timeout: 10_000,
  }, async () => {
    const client = await pool.connect(broker.url, opts(5));
    const topic = unique('resub');
    const first = await client.subscribe(topic, { qos: 1 });
    const leaving = first.unsubscribe();
    // SUBSCRIBE follows the UNSUBSCRIBE on the wire, so the broker ends with the new subscription in place.
    const second = await client.subscribe(topic, { qos: 1 });
    await leaving;
    expect(second.closed).toBe(false);
    await client.publish(topic, 'still here', { qos: 1 });
    const next = await second[Symbol.asyncIterator]().next();
    expect(next.value?.text()).toBe('still here');
  });

  it('v5: a QoS 1 PUBACK with success carries reason code 0 (publish resolves with reasonCode 0)', { timeout: 10_000 }, async () => {
    const topic = unique('puback');
    const subscriber = await pool.connect(broker.url, opts(5));
    await subscriber.subscribe(topic, { qos: 1 });
    const publisher = await pool.connect(broker.url, opts(5));
    const result = await publisher.publish(topic, 'x', { qos: 1 });
    // [MQTT-3.4.2.1] a PUBACK without a reason code means 0x00 Success.
    expect(result.reasonCode).toBe(0);
    const result2 = await publisher.publish(topic, 'x', { qos: 2 });
    expect(result2.reasonCode).toBe(0);
  });

  it('v5: QoS 1 to a topic nobody subscribes resolves with 0x10 (no matching subscribers)', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport();
    const publisher = await pool.connect(broker.url, opts(5, { transport: transport.factory }));
    expect((await publisher.publish(unique('nobody'), 'x', { qos: 1 })).reasonCode).toBe(0x10);
    // Mosquitto 2.0 limitation: it says 0x10 only in PUBACK. A QoS 2 PUBLISH nobody receives gets
    // PUBREC 0x00 and PUBCOMP 0x00, so QoS 2 resolves with success.
    const qos2 = await publisher.publish(unique('nobody'), 'x', { qos: 2 });
    const acks = transport.receivedPackets(5).filter((p) => p.type === 'puback' || p.type === 'pubrec' || p.type === 'pubcomp');
    expect(acks.map((p) => [p.type, 'reasonCode' in p ? (p.reasonCode ?? 0) : 0])).toEqual([
      ['puback', 0x10],
      ['pubrec', 0],
      ['pubcomp', 0],
    ]);
    expect(qos2.reasonCode ?? 0).toBe(0);
  });

  it('QoS 1 publish made before start() waits in the offline queue and resolves once connected and acknowledged', {
    timeout: 10_000,
  }, async () => {
    const topic = unique('offline-queue');
    const subscriber = await pool.connect(broker.url, opts(4));
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 1 });

    const publisher = pool.create(broker.url, opts(4));
    let settled = false;
    const published = publisher.publish(topic, 'queued', { qos: 1 }).finally(() => {
      settled = true;
    });
    await sleep(200);
    expect(settled).toBe(false);
    expect(publisher.queuedCount).toBe(1);
    publisher.start();
    await within(published, 5_000, 'the queued publish');
    expect(publisher.queuedCount).toBe(0);
    expect((await inbox.count(1)).map((m) => m.text())).toEqual(['queued']);
  });

  it.each([3, 4, 5] as ProtocolVersion[])(
    'v%i: a retained message reaches a later subscriber with retain=true',
    { timeout: 10_000 },
    async (v) => {
      const topic = unique(`retained/v${v}`);
      const publisher = await pool.connect(broker.url, opts(v));
      await publisher.publish(topic, 'last known value', { qos: 1, retain: true });

      const late = await pool.connect(broker.url, opts(v));
      const sub = await late.subscribe(topic, { qos: 1 });
      const iterator = sub[Symbol.asyncIterator]();
      const first = await within(iterator.next(), 5_000, 'the retained message');
      expect(first.done).toBe(false);
      expect(first.value?.text()).toBe('last known value');
      expect(first.value?.retain).toBe(true);

      // A live publish to a subscriber that already exists is not marked retained.
      await publisher.publish(topic, 'live', { qos: 1, retain: true });
      const second = await within(iterator.next(), 5_000, 'the live message');
      expect(second.value?.text()).toBe('live');
      expect(second.value?.retain).toBe(false);

      // An empty retained payload clears it.
      await publisher.publish(topic, '', { qos: 1, retain: true });
      const third = await pool.connect(broker.url, opts(v));
      const inbox = new Inbox(third);
      await third.subscribe(topic, { qos: 1 });
      await sleep(200);
      expect(inbox.messages).toHaveLength(0);
    },
  );

  it('an already-aborted signal rejects publish/subscribe with MQTTKIT_ERR_ABORTED and sends nothing', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport();
    const client = await pool.connect(broker.url, opts(5, { transport: transport.factory }));
    const before = transport.written.length;
    const controller = new AbortController();
    controller.abort(new Error('user gave up'));
    const err = await rejectionOf(client.publish(unique('aborted'), 'x', { qos: 1, signal: controller.signal }));
    expect(err).toBeInstanceOf(StateError);
    expect(err.code).toBe('MQTTKIT_ERR_ABORTED');
    const subErr = await rejectionOf(client.subscribe(unique('aborted'), { signal: controller.signal }));
    expect(subErr.code).toBe('MQTTKIT_ERR_ABORTED');
    await sleep(50);
    expect(transport.written.length).toBe(before);
    expect(client.connected).toBe(true);
  });

  it('aborting a publish waiting in the offline queue rejects it with MQTTKIT_ERR_ABORTED and it is never sent', {
    timeout: 10_000,
  }, async () => {
    const topic = unique('abort-queued');
    const subscriber = await pool.connect(broker.url, opts(5));
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 1 });

    const publisher = pool.create(broker.url, opts(5));
    const controller = new AbortController();
    const aborted = publisher.publish(topic, 'aborted', { qos: 1, signal: controller.signal });
    const kept = publisher.publish(topic, 'kept', { qos: 1 });
    expect(publisher.queuedCount).toBe(2);
    controller.abort();
    const err = await rejectionOf(aborted);
    expect(err.code).toBe('MQTTKIT_ERR_ABORTED');
    expect(publisher.queuedCount).toBe(1);
    publisher.start();
    await within(kept, 5_000, 'the kept publish');
    await inbox.count(1);
    await sleep(200);
    expect(inbox.texts()).toEqual(['kept']);
  });

  it('an invalid topic rejects with InvalidArgumentError naming "topic", and nothing is sent', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport();
    const client = await pool.connect(broker.url, opts(5, { transport: transport.factory }));
    const watcher = await pool.connect(broker.url, opts(5));
    const inbox = new Inbox(watcher);
    await watcher.subscribe('#', { qos: 0 });
    const before = transport.written.length;
    for (const bad of ['a/+/b', 'a/#', '', 'nul\u0000byte']) {
      const err = await rejectionOf(client.publish(bad, 'x', { qos: 1 }));
      expect(err, JSON.stringify(bad)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field, JSON.stringify(bad)).toBe('topic');
      expect(err.code).toBe('MQTTKIT_ERR_INVALID_ARGUMENT');
    }
    const notString = await rejectionOf(client.publish(42 as unknown as string, 'x'));
    expect((notString as InvalidArgumentError).field).toBe('topic');
    await sleep(200);
    expect(transport.written.length).toBe(before);
    expect(inbox.messages.filter((m) => !m.topic.startsWith('$'))).toHaveLength(0);
    expect(client.connected).toBe(true);
    expect(client.inFlightCount).toBe(0);
    expect(client.queuedCount).toBe(0);
  });

  it('an invalid topic filter rejects subscribe() with InvalidArgumentError and nothing is sent', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport();
    const client = await pool.connect(broker.url, opts(5, { transport: transport.factory }));
    const before = transport.written.length;
    for (const bad of ['a/#/b', 'a+/b', '']) {
      const err = await rejectionOf(client.subscribe(bad));
      expect(err, JSON.stringify(bad)).toBeInstanceOf(InvalidArgumentError);
    }
    await sleep(50);
    expect(transport.written.length).toBe(before);
    expect(client.connected).toBe(true);
  });

  it('keepAlive 1: an idle connection stays up (PINGREQs go out, no offline event)', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport();
    const client = pool.create(broker.url, opts(5, { keepAlive: 1, transport: transport.factory }));
    let offline = 0;
    let reconnects = 0;
    client.on('offline', () => offline++);
    client.on('reconnect', () => reconnects++);
    const connected = nextEvent(client, 'connect');
    client.start();
    await connected;
    await sleep(3_200);
    expect(offline).toBe(0);
    expect(reconnects).toBe(0);
    expect(client.connected).toBe(true);
    const pings = transport.sentPackets(5).filter((p) => p.type === 'pingreq').length;
    expect(pings).toBeGreaterThanOrEqual(2);
    // Still usable after idling.
    expect((await client.publish(unique('after-idle'), 'x', { qos: 1 })).reasonCode).toBe(0x10);
  });

  it('several subscriptions on one client each see the messages matching their filter, once', { timeout: 10_000 }, async () => {
    const base = unique('multi');
    const client = await pool.connect(broker.url, opts(5));
    const all = await client.subscribe(`${base}/#`, { qos: 1 });
    const onlyB = await client.subscribe(`${base}/b`, { qos: 1 });
    await client.publish(`${base}/a`, 'a', { qos: 1 });
    await client.publish(`${base}/b`, 'b', { qos: 1 });
    await sleep(300);
    // Mosquitto (allow_duplicate_messages, default true in 2.0) sends one copy of 'b' per matching subscription.
    const drain = (sub: typeof all) => {
      const texts: string[] = [];
      const it = sub[Symbol.asyncIterator]();
      return (async () => {
        while (sub.pending > 0) texts.push(((await it.next()).value as { text(): string }).text());
        return texts;
      })();
    };
    expect(await drain(onlyB)).toEqual(['b']);
    expect(await drain(all)).toEqual(['a', 'b']);
  });

  it('unsubscribe() ends the iteration of a subscription', { timeout: 10_000 }, async () => {
    const topic = unique('unsub');
    const client = await pool.connect(broker.url, opts(5));
    const sub = await client.subscribe(topic, { qos: 1 });
    const it = sub[Symbol.asyncIterator]();
    const next = it.next();
    await client.publish(topic, 'one', { qos: 1 });
    expect((await within(next, 5_000, 'a message')).value?.text()).toBe('one');
    const waiting = it.next();
    await sub.unsubscribe();
    expect((await within(waiting, 5_000, 'the end of the iteration')).done).toBe(true);
    // The broker no longer sends: a publish now finds no subscriber.
    expect((await client.publish(topic, 'two', { qos: 1 })).reasonCode).toBe(0x10);
  });

  it('subscribe() before start() waits and resolves after the SUBACK; qos0WhenOffline "drop" rejects QoS 0 publishes while offline', {
    timeout: 10_000,
  }, async () => {
    const topic = unique('early-sub');
    const client = pool.create(broker.url, opts(5, { qos0WhenOffline: 'drop' }));
    const subscribed = client.subscribe(topic, { qos: 1 });
    const dropped = await rejectionOf(client.publish(topic, 'dropped', { qos: 0 }));
    expect(dropped.code).toBe('MQTTKIT_ERR_NOT_CONNECTED');
    const queued = client.publish(topic, 'queued qos 1', { qos: 1 });
    client.start();
    const sub = await within(subscribed, 5_000, 'the SUBACK');
    expect(sub.reasonCodes).toEqual([1]);
    await queued;
    const { value } = await within(sub[Symbol.asyncIterator]().next(), 5_000, 'the message');
    expect(value?.text()).toBe('queued qos 1');
  });

  it('connect() to a port nobody listens on rejects at once with ConnectionError MQTTKIT_ERR_CONNECTION_REFUSED', {
    timeout: 10_000,
  }, async () => {
    const [port] = await freePorts(1);
    const err = await rejectionOf(pool.connect(`mqtt://127.0.0.1:${port}`, opts(5)));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('MQTTKIT_ERR_CONNECTION_REFUSED');
    expect((err as ConnectionError).retryable).toBe(true);
  });

  it('a 1 MiB payload and 2 000 small QoS 0 messages make the round trip intact and in order', { timeout: 15_000 }, async () => {
    const topic = unique('bulk');
    const subscriber = await pool.connect(broker.url, opts(5));
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(`${topic}/#`, { qos: 1 });
    const publisher = await pool.connect(broker.url, opts(5));
    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await publisher.publish(`${topic}/big`, big, { qos: 1 });
    const small = Array.from({ length: 2_000 }, (_, i) => publisher.publish(`${topic}/small`, String(i), { qos: 0 }));
    await Promise.all(small);
    await inbox.count(2_001, 10_000);
    const [first, ...rest] = inbox.messages;
    expect(first.topic).toBe(`${topic}/big`);
    expect(first.payload.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(first.payload), Buffer.from(big))).toBe(0);
    expect(rest.map((m) => m.text())).toEqual(Array.from({ length: 2_000 }, (_, i) => String(i)));
  });

  it('$SYS topics: a # subscription does not match them, an explicit $SYS filter does', { timeout: 10_000 }, async () => {
    const client = await pool.connect(broker.url, opts(4));
    const all = new Inbox(client);
    const sys = await client.subscribe('$SYS/broker/version', { qos: 0 });
    const everything = await client.subscribe('#', { qos: 0 });
    const { value } = await within(sys[Symbol.asyncIterator]().next(), 5_000, 'the $SYS version message');
    expect(value?.text()).toMatch(/^mosquitto version 2\./);
    expect(value?.retain).toBe(true);
    expect(all.messages.some((m) => m.topic === '$SYS/broker/version')).toBe(true);
    expect(everything.pending).toBe(0);
  });
});

/**
 * MQTT 5 features against a real Mosquitto: user properties, request /
 * response, no-local, shared subscriptions, topic aliases, subscription
 * identifiers, retain handling, the broker's Maximum Packet Size, and the
 * broker's DISCONNECT on a session takeover.
 */

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ProtocolVersion, PublishPacket } from '../../src/codec/types.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { ClientOptions } from '../../src/node.js';
import {
  ClientPool,
  ControlledTransport,
  FAST_RECONNECT,
  Inbox,
  nextEvent,
  rejectionOf,
  sleep,
  unique,
  within,
} from '../helpers/clients.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

/** Mosquitto's max_packet_size in this file: advertised as Maximum Packet Size in CONNACK. */
const MAX_PACKET = 64 * 1024;

describeWithMosquitto('MQTT 5 features against Mosquitto', () => {
  let broker: Mosquitto;
  const pool = new ClientPool();

  beforeAll(async () => {
    const started = await startMosquitto({ config: [`max_packet_size ${MAX_PACKET}`] });
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = started;
  });
  afterEach(() => pool.endAll());
  afterAll(() => broker?.stop());

  const opts = (protocolVersion: ProtocolVersion, extra: ClientOptions = {}): ClientOptions => ({
    protocolVersion,
    reconnect: FAST_RECONNECT,
    ...extra,
  });

  it('v5: user properties and other publish properties make the round trip', { timeout: 10_000 }, async () => {
    const topic = unique('props');
    const subscriber = await pool.connect(broker.url, opts(5));
    const sub = await subscriber.subscribe(topic, { qos: 1 });
    const publisher = await pool.connect(broker.url, opts(5));
    await publisher.publish(topic, '{"a":1}', {
      qos: 1,
      properties: {
        userProperties: [
          ['trace-id', 'abc123'],
          ['trace-id', 'second value, same key'],
          ['ünïcode', '✓'],
        ],
        contentType: 'application/json',
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
      },
    });
    const { value: msg } = await within(sub[Symbol.asyncIterator]().next(), 5_000, 'the message');
    expect(msg?.properties?.userProperties).toEqual([
      ['trace-id', 'abc123'],
      ['trace-id', 'second value, same key'],
      ['ünïcode', '✓'],
    ]);
    expect(msg?.properties?.contentType).toBe('application/json');
    expect(msg?.properties?.payloadFormatIndicator).toBe(true);
    // The broker forwards the remaining lifetime.
    expect(msg?.properties?.messageExpiryInterval).toBeGreaterThan(3590);
    expect(msg?.json()).toEqual({ a: 1 });
  });

  it('v5: request() gets the response a responder sends to the Response Topic with the Correlation Data', { timeout: 10_000 }, async () => {
    const service = unique('svc/echo');
    const responder = await pool.connect(broker.url, opts(5));
    const requests = await responder.subscribe(service, { qos: 1 });
    void (async () => {
      for await (const req of requests) {
        const responseTopic = req.properties?.responseTopic;
        if (responseTopic === undefined) continue;
        await responder.publish(responseTopic, `echo: ${req.text()}`, {
          qos: 1,
          properties: { correlationData: req.properties?.correlationData, userProperties: [['served-by', 'responder']] },
        });
      }
    })().catch(() => undefined);

    const requester = await pool.connect(broker.url, opts(5));
    const [a, b, c] = await Promise.all([
      requester.request(service, 'one', { timeout: 5_000 }),
      requester.request(service, 'two', { timeout: 5_000 }),
      requester.request(service, 'three', { timeout: 5_000, qos: 1 }),
    ]);
    expect([a.text(), b.text(), c.text()]).toEqual(['echo: one', 'echo: two', 'echo: three']);
    expect(a.properties?.userProperties).toEqual([['served-by', 'responder']]);

    // Nobody answers: the request times out with MQTTKIT_ERR_TIMEOUT.
    const err = await rejectionOf(requester.request(unique('svc/nobody'), 'hello?', { timeout: 300 }));
    expect(err.code).toBe('MQTTKIT_ERR_TIMEOUT');
  });

  it('request() on MQTT 3.1.1 rejects with MQTTKIT_ERR_NOT_SUPPORTED', { timeout: 10_000 }, async () => {
    const client = await pool.connect(broker.url, opts(4));
    const err = await rejectionOf(client.request(unique('svc'), 'x', { timeout: 500 }));
    expect(err.code).toBe('MQTTKIT_ERR_NOT_SUPPORTED');
  });

  it('v5: with noLocal a client does not get its own publishes, but gets those of others', { timeout: 10_000 }, async () => {
    const topic = unique('nolocal');
    const self = await pool.connect(broker.url, opts(5));
    const inbox = new Inbox(self);
    await self.subscribe(topic, { qos: 1, noLocal: true });
    const other = await pool.connect(broker.url, opts(5));
    await self.publish(topic, 'mine 1', { qos: 1 });
    await other.publish(topic, 'theirs', { qos: 1 });
    await self.publish(topic, 'mine 2', { qos: 1 });
    await inbox.count(1);
    await sleep(300);
    expect(inbox.texts()).toEqual(['theirs']);

    // Without noLocal (control): a client does get its own publishes.
    const control = unique('local');
    await self.subscribe(control, { qos: 1 });
    await self.publish(control, 'mine again', { qos: 1 });
    await inbox.count(2);
    expect(inbox.texts()).toEqual(['theirs', 'mine again']);
  });

  it('v5: a shared subscription ($share/g/topic) gives each message to exactly one of two subscribers', { timeout: 15_000 }, async () => {
    const topic = unique('shared');
    const group = unique('g').replace(/[^a-z0-9-]/gi, '');
    const a = await pool.connect(broker.url, opts(5));
    const b = await pool.connect(broker.url, opts(5));
    const inboxA = new Inbox(a);
    const inboxB = new Inbox(b);
    const subA = await a.subscribe(`$share/${group}/${topic}`, { qos: 1 });
    const subB = await b.subscribe(`$share/${group}/${topic}`, { qos: 1 });
    expect(subA.reasonCodes).toEqual([1]);
    expect(subB.reasonCodes).toEqual([1]);

    const publisher = await pool.connect(broker.url, opts(5));
    const N = 40;
    await Promise.all(Array.from({ length: N }, (_, i) => publisher.publish(topic, String(i), { qos: 1 })));
    await within(
      (async () => {
        while (inboxA.messages.length + inboxB.messages.length < N) await sleep(20);
      })(),
      5_000,
      `${N} shared messages`,
    );
    await sleep(300);
    const got = [...inboxA.texts(), ...inboxB.texts()];
    expect(got).toHaveLength(N);
    expect(new Set(got).size).toBe(N);
    // Mosquitto hands shared messages round-robin: both members get some.
    expect(inboxA.messages.length).toBeGreaterThan(0);
    expect(inboxB.messages.length).toBeGreaterThan(0);
    // The Subscription iterables see them too (the $share/ prefix is stripped when matching).
    expect(subA.pending + subB.pending).toBe(N);
    for (const m of inboxA.messages) expect(m.topic).toBe(topic);
  });

  it('v5: autoTopicAliases uses the Topic Alias Maximum Mosquitto advertises, and aliased messages arrive with the right topic', {
    timeout: 15_000,
  }, async () => {
    const base = unique('alias');
    const topics = [`${base}/a`, `${base}/b`, `${base}/c`];
    const subscriber = await pool.connect(broker.url, opts(5));
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(`${base}/#`, { qos: 1 });

    const transport = new ControlledTransport();
    const publisher = pool.create(broker.url, opts(5, { autoTopicAliases: true, transport: transport.factory }));
    const connected = nextEvent(publisher, 'connect');
    publisher.start();
    const [{ connack }] = await connected;
    // Mosquitto 2.0: max_topic_alias defaults to 10 and is sent as Topic Alias Maximum.
    expect(connack.properties?.topicAliasMaximum).toBe(10);

    const expected: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (const t of topics) {
        const payload = `${t.slice(-1)}${round}`;
        expected.push(`${t} ${payload}`);
        await publisher.publish(t, payload, { qos: round % 2 === 0 ? 1 : 0 });
      }
    }
    await publisher.publish(topics[0], 'last', { qos: 1 });
    expected.push(`${topics[0]} last`);
    await inbox.count(expected.length);
    expect(inbox.messages.map((m) => `${m.topic} ${m.text()}`)).toEqual(expected);

    // What went on the wire: aliases announced with the topic, then used alone (empty topic).
    const publishes = transport.sentPackets(5).filter((p): p is PublishPacket => p.type === 'publish');
    const aliased = publishes.filter((p) => p.properties?.topicAlias !== undefined);
    const bare = aliased.filter((p) => p.topic === '');
    expect(aliased.length).toBeGreaterThan(0);
    expect(bare.length).toBeGreaterThan(0);
    for (const p of aliased) expect(p.properties?.topicAlias).toBeLessThanOrEqual(10);
    expect(publisher.connected).toBe(true);
  });

  it('subscription identifiers come back on the messages they matched', { timeout: 10_000 }, async () => {
    const base = unique('subid');
    const client = await pool.connect(broker.url, opts(5));
    const inbox = new Inbox(client);
    await client.subscribe(`${base}/+`, { qos: 1, properties: { subscriptionIdentifier: 7 } });
    await client.subscribe(`${base}/x`, { qos: 1, properties: { subscriptionIdentifier: 300_000 } });
    await client.publish(`${base}/y`, 'y', { qos: 1 });
    await client.publish(`${base}/x`, 'x', { qos: 1 });
    await inbox.count(2);
    await sleep(200);
    const ids = inbox.messages.map((m) => `${m.text()}:${(m.properties?.subscriptionIdentifiers ?? []).join(',')}`);
    expect(ids[0]).toBe('y:7');
    // Mosquitto sends one copy per matching subscription, or one with both identifiers.
    expect(ids.slice(1).sort()).toSatisfy(
      (rest: string[]) =>
        JSON.stringify(rest) === JSON.stringify(['x:300000', 'x:7']) ||
        JSON.stringify(rest) === JSON.stringify(['x:7,300000']) ||
        JSON.stringify(rest) === JSON.stringify(['x:300000,7']),
    );
  });

  it('retainHandling 2 sends no retained messages on subscribe; retainAsPublished keeps the flag on live messages', {
    timeout: 10_000,
  }, async () => {
    const topic = unique('rh');
    const publisher = await pool.connect(broker.url, opts(5));
    await publisher.publish(topic, 'retained', { qos: 1, retain: true });

    const client = await pool.connect(broker.url, opts(5));
    const none = new Inbox(client, (m) => m.topic === topic);
    await client.subscribe(topic, { qos: 1, retainHandling: 2 });
    await sleep(200);
    expect(none.messages).toHaveLength(0);

    const other = await pool.connect(broker.url, opts(5));
    const rap = new Inbox(other);
    await other.subscribe(topic, { qos: 1, retainHandling: 2, retainAsPublished: true });
    await publisher.publish(topic, 'live retained', { qos: 1, retain: true });
    await rap.count(1);
    expect(rap.messages[0].retain).toBe(true);
    await none.count(1);
    expect(none.messages[0].retain).toBe(false);
    await publisher.publish(topic, '', { qos: 1, retain: true });
  });

  it(`a publish larger than the broker's Maximum Packet Size (${MAX_PACKET}) rejects locally with InvalidArgumentError, nothing sent`, {
    timeout: 10_000,
  }, async () => {
    const transport = new ControlledTransport();
    const client = pool.create(broker.url, opts(5, { transport: transport.factory }));
    const connected = nextEvent(client, 'connect');
    client.start();
    const [{ connack }] = await connected;
    expect(connack.properties?.maximumPacketSize).toBe(MAX_PACKET);
    const before = transport.written.length;
    const err = await rejectionOf(client.publish(unique('big'), new Uint8Array(MAX_PACKET), { qos: 1 }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.reasonCode).toBe(0x95);
    expect(transport.written.length).toBe(before);
    expect(client.connected).toBe(true);
    expect(client.inFlightCount).toBe(0);
    // Just under the limit goes through.
    const topic = unique('big');
    const sub = await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, new Uint8Array(MAX_PACKET - 1_000).fill(7), { qos: 1 });
    const { value } = await within(sub[Symbol.asyncIterator]().next(), 5_000, 'the large message');
    expect(value?.payload.length).toBe(MAX_PACKET - 1_000);
    expect(value?.payload.every((b: number) => b === 7)).toBe(true);
  });

  it("an explicit Topic Alias above the broker's maximum rejects locally with InvalidArgumentError, nothing sent", {
    timeout: 10_000,
  }, async () => {
    const transport = new ControlledTransport();
    const client = await pool.connect(broker.url, opts(5, { transport: transport.factory }));
    const before = transport.written.length;
    const err = await rejectionOf(client.publish(unique('alias'), 'x', { qos: 1, properties: { topicAlias: 11 } }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe('properties.topicAlias');
    expect(transport.written.length).toBe(before);
    expect(client.connected).toBe(true);
    // Within the maximum, an explicit alias works: announce it with the topic, then use it alone.
    const topic = unique('alias');
    const sub = await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, 'one', { qos: 1, properties: { topicAlias: 3 } });
    await client.publish('', 'two', { qos: 1, properties: { topicAlias: 3 } });
    const texts: string[] = [];
    for await (const m of sub) {
      expect(m.topic).toBe(topic);
      texts.push(m.text());
      if (texts.length === 2) break;
    }
    expect(texts).toEqual(['one', 'two']);
  });
});

/**
 * The core client flows against aedes, an MQTT 3.1.1 broker embedded in the
 * test process (in-memory persistence) on a free port of 127.0.0.1: connect,
 * QoS 0/1/2, retained messages, wills, persistent sessions, refused
 * credentials (3.1.1 return code 4), and reconnecting after the listener is
 * closed (every connection cut) and opened again on the same port.
 */

import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReasonCodeError } from '../../src/errors.js';
import type { ClientOptions, MqttClient } from '../../src/node.js';
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

const HOST = '127.0.0.1';

/** aedes behind a node:net server that can be closed (cutting every connection) and opened again on its port. */
class EmbeddedAedes {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly broker: Aedes) {}

  get url(): string {
    return `mqtt://${HOST}:${this.port}`;
  }

  async open(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, HOST, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    this.port = address.port;
    this.server = server;
  }

  /** Stops listening and destroys every connection (the broker and its sessions live on). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('MqttClient against aedes (MQTT 3.1.1, embedded)', () => {
  let aedes: EmbeddedAedes;
  const pool = new ClientPool();

  beforeAll(async () => {
    const broker = await Aedes.createBroker();
    // Users: anyone without a user name, or bob with "hunter2"; everyone else is refused with return code 4.
    broker.authenticate = (_client, username, password, done) => {
      if (username === undefined || (username === 'bob' && password?.toString() === 'hunter2')) return done(null, true);
      const error = new Error('bad user name or password') as AuthenticateError;
      error.returnCode = 4;
      done(error, null);
    };
    aedes = new EmbeddedAedes(broker);
    await aedes.open();
  });
  afterEach(() => pool.endAll());
  afterAll(async () => {
    await aedes?.close();
    await new Promise<void>((resolve) => aedes?.broker.close(() => resolve()));
  });

  const opts = (extra: ClientOptions = {}): ClientOptions => ({ protocolVersion: 4, reconnect: FAST_RECONNECT, ...extra });

  async function started(client: MqttClient) {
    const connected = nextEvent(client, 'connect');
    client.start();
    return (await connected)[0];
  }

  it('connects with MQTT 3.1.1 (and 3.1) and ends cleanly', { timeout: 10_000 }, async () => {
    const id = unique('a').slice(-23);
    const client = pool.create(aedes.url, opts({ clientId: id }));
    const clientReady = new Promise<string>((resolve) => aedes.broker.once('clientReady', (c) => resolve(c.id)));
    const { sessionPresent, connack } = await started(client);
    expect(sessionPresent).toBe(false);
    expect(connack.reasonCode).toBe(0);
    expect(await clientReady).toBe(id);
    const gone = new Promise<string>((resolve) => aedes.broker.once('clientDisconnect', (c) => resolve(c.id)));
    await client.end();
    expect(await within(gone, 5_000, 'aedes to see the DISCONNECT')).toBe(id);

    const v31 = await pool.connect(aedes.url, opts({ protocolVersion: 3 }));
    expect(v31.connected).toBe(true);
    expect(v31.clientId).not.toBe('');
  });

  it.each([0, 1, 2] as const)('a QoS %i message makes the round trip; publish() settles', { timeout: 10_000 }, async (qos) => {
    const topic = unique(`aedes/q${qos}`);
    const subscriber = await pool.connect(aedes.url, opts());
    const sub = await subscriber.subscribe(`${topic}/#`, { qos });
    expect(sub.reasonCodes).toEqual([qos]);
    const publisher = await pool.connect(aedes.url, opts());
    const results = await Promise.all([
      publisher.publish(`${topic}/json`, JSON.stringify({ n: 1 }), { qos }),
      publisher.publish(`${topic}/text`, 'zwei ✓', { qos }),
    ]);
    expect(results.map((r) => r.reasonCode)).toEqual([undefined, undefined]);
    expect(publisher.inFlightCount).toBe(0);
    const got = [];
    for await (const m of sub) {
      got.push(m);
      if (got.length === 2) break;
    }
    expect(got.map((m) => m.topic)).toEqual([`${topic}/json`, `${topic}/text`]);
    expect(got[0].json()).toEqual({ n: 1 });
    expect(got[1].text()).toBe('zwei ✓');
    expect(got.map((m) => m.qos)).toEqual([qos, qos]);
  });

  it('100 QoS 2 messages arrive exactly once, in order', { timeout: 15_000 }, async () => {
    const topic = unique('aedes/eo');
    const N = 100;
    const subscriber = await pool.connect(aedes.url, opts());
    const inbox = new Inbox(subscriber);
    await subscriber.subscribe(topic, { qos: 2 });
    const publisher = await pool.connect(aedes.url, opts());
    await Promise.all(Array.from({ length: N }, (_, i) => publisher.publish(topic, String(i), { qos: 2 })));
    await inbox.count(N);
    await sleep(300);
    expect(inbox.texts()).toEqual(Array.from({ length: N }, (_, i) => String(i)));
  });

  it('a retained message reaches a later subscriber with retain=true', { timeout: 10_000 }, async () => {
    const topic = unique('aedes/retained');
    const publisher = await pool.connect(aedes.url, opts());
    await publisher.publish(topic, 'kept', { qos: 1, retain: true });
    const late = await pool.connect(aedes.url, opts());
    const sub = await late.subscribe(topic, { qos: 1 });
    const { value } = await within(sub[Symbol.asyncIterator]().next(), 5_000, 'the retained message');
    expect(value?.text()).toBe('kept');
    expect(value?.retain).toBe(true);
  });

  it('the will is published when the connection drops without DISCONNECT, not after end()', { timeout: 10_000 }, async () => {
    const topic = unique('aedes/will');
    const watcher = await pool.connect(aedes.url, opts());
    const inbox = new Inbox(watcher);
    await watcher.subscribe(topic, { qos: 1 });

    const polite = await pool.connect(aedes.url, opts({ will: { topic, payload: 'polite', qos: 1 } }));
    await polite.end();

    const transport = new ControlledTransport();
    const dying = await pool.connect(
      aedes.url,
      opts({ reconnect: false, transport: transport.factory, will: { topic, payload: 'gone', qos: 1 } }),
    );
    const closed = nextEvent(dying, 'close');
    transport.kill();
    await closed;
    await inbox.count(1);
    await sleep(200);
    expect(inbox.texts()).toEqual(['gone']);
  });

  it('a persistent session (clean: false) keeps subscriptions and queues messages while the client is away', {
    timeout: 10_000,
  }, async () => {
    const topic = unique('aedes/persist');
    const id = unique('p').slice(-23);
    const first = pool.create(aedes.url, opts({ clientId: id, clean: false }));
    expect((await started(first)).sessionPresent).toBe(false);
    await first.subscribe(topic, { qos: 1 });
    await first.end();

    const publisher = await pool.connect(aedes.url, opts());
    await publisher.publish(topic, 'away 1', { qos: 1 });
    await publisher.publish(topic, 'away 2', { qos: 2 });

    const second = pool.create(aedes.url, opts({ clientId: id, clean: false }));
    const inbox = new Inbox(second);
    expect((await started(second)).sessionPresent).toBe(true);
    await inbox.count(2);
    expect(inbox.texts()).toEqual(['away 1', 'away 2']);
  });

  it('a wrong password: CONNACK return code 4 becomes ReasonCodeError MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD (0x86), no reconnect', {
    timeout: 10_000,
  }, async () => {
    const ok = await pool.connect(aedes.url, opts({ username: 'bob', password: 'hunter2' }));
    expect(ok.connected).toBe(true);

    const err = await rejectionOf(pool.connect(aedes.url, opts({ username: 'bob', password: 'wrong' })));
    expect(err).toBeInstanceOf(ReasonCodeError);
    expect(err.code).toBe('MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD');
    expect(err.reasonCode).toBe(0x86);

    const transport = new ControlledTransport();
    const client = pool.create(aedes.url, opts({ username: 'bob', password: 'wrong', transport: transport.factory }));
    let reconnects = 0;
    client.on('reconnect', () => reconnects++);
    const closed = nextEvent(client, 'close');
    client.start();
    const [{ error }] = await closed;
    await sleep(500);
    expect(error?.code).toBe('MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD');
    expect(reconnects).toBe(0);
    expect(transport.attempts).toBe(1);
  });

  it('reconnects after the listener is closed and opened again on the same port; a QoS 1 publish made meanwhile is delivered', {
    timeout: 20_000,
  }, async () => {
    const topic = unique('aedes/restart');
    const id = unique('rs').slice(-23);
    const subscriber = pool.create(aedes.url, opts({ clientId: id, clean: false }));
    const inbox = new Inbox(subscriber);
    await started(subscriber);
    await subscriber.subscribe(topic, { qos: 1 });
    const publisher = await pool.connect(aedes.url, opts());

    const offline = nextEvent(publisher, 'offline');
    const subscriberOffline = nextEvent(subscriber, 'offline');
    let reconnectEvents = 0;
    publisher.on('reconnect', () => reconnectEvents++);
    const port = aedes.port;
    await aedes.close();
    await offline;
    await subscriberOffline;
    const whileDown = publisher.publish(topic, 'while down', { qos: 1 });
    await sleep(700); // a few refused attempts
    expect(reconnectEvents).toBeGreaterThanOrEqual(2);
    expect(publisher.connected).toBe(false);

    const back = nextEvent(publisher, 'connect', 10_000);
    const subscriberBack = nextEvent(subscriber, 'connect', 10_000);
    await aedes.open();
    expect(aedes.port).toBe(port);
    await back;
    expect((await subscriberBack)[0].sessionPresent).toBe(true);
    await within(whileDown, 5_000, 'the publish made while the broker was unreachable');
    await inbox.count(1);
    await sleep(200);
    // QoS 1 is at least once: aedes may hand a message to a session that is reconnecting twice.
    expect([...new Set(inbox.texts())], JSON.stringify(inbox.messages.map((m) => [m.text(), m.dup]))).toEqual(['while down']);
  });

  // aedes answers a version-5 CONNECT with a 3.1.1 CONNACK, return code 1 (unacceptable protocol
  // version). Retrying the same CONNECT can never work: MQTT 5 reason 0x84, fatal in engine/reasons.ts.
  it('an MQTT 5 client meeting this 3.1.1-only broker: connect() rejects with MQTTKIT_ERR_UNSUPPORTED_PROTOCOL_VERSION', {
    timeout: 10_000,
  }, async () => {
    const err = await rejectionOf(pool.connect(aedes.url, { protocolVersion: 5, reconnect: FAST_RECONNECT }));
    expect(err.code).toBe('MQTTKIT_ERR_UNSUPPORTED_PROTOCOL_VERSION');
    expect(err.reasonCode).toBe(0x84);
    expect((err as ReasonCodeError).retryable).toBe(false);
  });

  it('an MQTT 5 client meeting this 3.1.1-only broker closes after one attempt (no endless reconnecting)', {
    timeout: 10_000,
  }, async () => {
    const transport = new ControlledTransport();
    const client = pool.create(aedes.url, { protocolVersion: 5, reconnect: FAST_RECONNECT, transport: transport.factory });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    let reconnects = 0;
    client.on('reconnect', () => reconnects++);
    client.start();
    await sleep(1_000);
    expect({ reconnects, attempts: transport.attempts, state: client.state }).toEqual({ reconnects: 0, attempts: 1, state: 'closed' });
  });
});

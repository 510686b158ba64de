/**
 * Reconnecting against a real Mosquitto: after a clean restart (persistent
 * session kept), after a crash (session lost: the client re-subscribes), and
 * after the broker stops answering (SIGSTOP: keep alive notices). Publishes
 * made while the broker is away are delivered once it is back.
 */

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ClientEvents, ClientOptions, MqttClient } from '../../src/node.js';
import { ClientPool, ControlledTransport, FAST_RECONNECT, Inbox, nextEvent, sleep, unique, within } from '../helpers/clients.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const clientId = (prefix: string) => unique(prefix).slice(-23);

/** MQTT 5, clean false, with a Session Expiry Interval: the session outlives the connection (and, with persistence, a restart). */
function persistent(id: string): ClientOptions {
  return { protocolVersion: 5, clientId: id, clean: false, reconnect: FAST_RECONNECT, properties: { sessionExpiryInterval: 300 } };
}

async function started(client: MqttClient): Promise<ClientEvents['connect'][0]> {
  const connected = nextEvent(client, 'connect');
  client.start();
  return (await connected)[0];
}

describeWithMosquitto('MqttClient reconnecting to Mosquitto', () => {
  let broker: Mosquitto;
  const pool = new ClientPool();

  beforeAll(async () => {
    const s = await startMosquitto({ persistence: true });
    if (s === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = s;
  });
  afterEach(() => pool.endAll());
  afterAll(() => broker?.stop());

  it('reconnects by itself after Mosquitto restarts; a QoS 1 publish made while it is down is delivered afterwards (persistent session)', {
    timeout: 20_000,
  }, async () => {
    const topic = unique('restart');
    const subscriber = pool.create(broker.url, persistent(clientId('rs-sub')));
    const inbox = new Inbox(subscriber);
    await started(subscriber);
    await subscriber.subscribe(topic, { qos: 1 });

    const publisher = await pool.connect(broker.url, { protocolVersion: 5, reconnect: FAST_RECONNECT });
    let reconnectEvents = 0;
    publisher.on('reconnect', () => reconnectEvents++);
    const offline = nextEvent(publisher, 'offline');
    const back = nextEvent(publisher, 'connect', 15_000);
    const subscriberBack = nextEvent(subscriber, 'connect', 15_000);
    const restart = broker.restart();
    await offline;
    expect(publisher.connected).toBe(false);
    const whileDown = publisher.publish(topic, 'published while down', { qos: 1 });
    expect(publisher.queuedCount).toBe(1);
    await restart;
    await back;
    expect((await subscriberBack)[0].sessionPresent).toBe(true);
    await within(whileDown, 5_000, 'the publish made while the broker was down');
    await inbox.count(1);
    expect(inbox.texts()).toEqual(['published while down']);
    expect(reconnectEvents).toBeGreaterThanOrEqual(1);
  });

  it('after a broker crash (SIGKILL, session lost) the client re-subscribes by itself and receives again', {
    timeout: 20_000,
  }, async () => {
    const topic = unique('crash');
    const subTransport = new ControlledTransport();
    const subscriber = pool.create(broker.url, { protocolVersion: 4, reconnect: FAST_RECONNECT, transport: subTransport.factory });
    const inbox = new Inbox(subscriber);
    await started(subscriber);
    await subscriber.subscribe(topic, { qos: 1 });

    const pubTransport = new ControlledTransport();
    const publisher = await pool.connect(broker.url, { protocolVersion: 4, reconnect: FAST_RECONNECT, transport: pubTransport.factory });
    const offline = nextEvent(publisher, 'offline');
    const subscriberBack = nextEvent(subscriber, 'connect', 15_000);
    pubTransport.hold();
    await broker.restart({ signal: 'SIGKILL' });
    await offline;
    const whileDown = publisher.publish(topic, 'after crash', { qos: 1 });
    expect((await subscriberBack)[0].sessionPresent).toBe(false);
    // The re-SUBSCRIBE goes out after CONNACK; wait for its SUBACK before letting the publisher back.
    await within(
      (async () => {
        while (subTransport.receivedPackets(4).filter((p) => p.type === 'suback').length < 2) await sleep(10);
      })(),
      5_000,
      'the re-subscription',
    );
    const publisherBack = nextEvent(publisher, 'connect', 15_000);
    pubTransport.release();
    await publisherBack;
    await within(whileDown, 5_000, 'the publish made while the broker was down');
    await inbox.count(1);
    expect(inbox.texts()).toEqual(['after crash']);
  });

  it('keepAlive finds a broker that stopped answering (SIGSTOP), goes offline and reconnects once it answers again', {
    timeout: 20_000,
  }, async () => {
    const client = pool.create(broker.url, { protocolVersion: 5, keepAlive: 1, connectTimeout: 1_000, reconnect: FAST_RECONNECT });
    const offlineErrors: (string | undefined)[] = [];
    const reconnectErrors: (string | undefined)[] = [];
    client.on('offline', (e) => offlineErrors.push((e.error as { code?: string } | undefined)?.code));
    client.on('reconnect', (e) => reconnectErrors.push((e.error as { code?: string } | undefined)?.code));
    await started(client);
    const pid = broker.pid;
    const offline = nextEvent(client, 'offline', 5_000);
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      await offline;
      // PINGREQ after 1 s idle, then 1 s for the PINGRESP.
      expect(Date.now() - t0).toBeLessThan(4_000);
      expect(offlineErrors).toEqual(['MQTTKIT_ERR_KEEPALIVE_TIMEOUT']);
      // While it is stopped the kernel still accepts TCP connections, but no CONNACK comes: connectTimeout.
      await within(
        (async () => {
          while (reconnectErrors.length < 2) await sleep(20);
        })(),
        8_000,
        'two reconnect attempts',
      );
      expect(reconnectErrors.slice(1)).toContain('MQTTKIT_ERR_TIMEOUT');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await nextEvent(client, 'connect', 10_000);
    expect(client.connected).toBe(true);
    expect((await client.publish(unique('after-stop'), 'x', { qos: 1 })).reasonCode).toBe(0x10);
  });
});

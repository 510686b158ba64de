/**
 * The Node WebSocket transport (`ws`) against a private Mosquitto's websockets
 * listeners: ws: and wss: (with a generated certificate), QoS 0/1/2 both ways,
 * MQTT 3.1 / 3.1.1 / 5 subprotocols, a TLS failure that must not be retried,
 * and reconnecting after the broker restarts.
 */

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { type ClientOptions, createWebSocketTransport, type MqttClient } from '../../src/node.js';
import { ClientPool, FAST_RECONNECT, Inbox, nextEvent, rejectionOf, unique, within } from '../helpers/clients.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const id = (prefix: string) => unique(prefix).slice(-23);

describeWithMosquitto('WebSocket transport against Mosquitto', () => {
  let broker: Mosquitto;
  let ws: string;
  let wss: string;
  let ca: string;
  const pool = new ClientPool();

  beforeAll(async () => {
    const started = await startMosquitto({ websockets: true, tls: true, persistence: true });
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = started;
    ws = `${broker.wsUrl}/mqtt`;
    wss = `${broker.wssUrl}/mqtt`;
    ca = broker.certs?.ca.pem ?? '';
  });
  afterEach(() => pool.endAll());
  afterAll(() => broker?.stop());

  /** Subscribes `receiver` at QoS 2, publishes QoS 0, 1 and 2 from `sender`, and checks what arrives. */
  async function exchange(sender: MqttClient, receiver: MqttClient): Promise<void> {
    const topic = unique('ws');
    const inbox = new Inbox(receiver, (m) => m.topic.startsWith(`${topic}/`));
    const sub = await receiver.subscribe(`${topic}/#`, { qos: 2 });
    expect(sub.reasonCodes).toEqual([2]);
    const results = await Promise.all([0, 1, 2].map((qos) => sender.publish(`${topic}/q${qos}`, `qos ${qos}`, { qos: qos as 0 | 1 | 2 })));
    expect(results).toHaveLength(3);
    const got = await inbox.count(3);
    expect(got.map((m) => [m.topic.slice(topic.length + 1), m.qos, m.text()]).sort()).toEqual([
      ['q0', 0, 'qos 0'],
      ['q1', 1, 'qos 1'],
      ['q2', 2, 'qos 2'],
    ]);
  }

  it('ws: publishes and receives QoS 0, 1 and 2 (MQTT 5), also with a TCP client on the other side', async () => {
    const a = await pool.connect(ws, { clientId: id('ws-a') });
    const b = await pool.connect(ws, { clientId: id('ws-b') });
    expect(a.connected && b.connected).toBe(true);
    await exchange(a, b);
    const tcp = await pool.connect(broker.url, { clientId: id('tcp') });
    await exchange(tcp, a);
    await exchange(a, tcp);
  });

  it('wss: publishes and receives QoS 0, 1 and 2 with the CA from the client `tls` option', async () => {
    const a = await pool.connect(wss, { clientId: id('wss-a'), tls: { ca } });
    const b = await pool.connect(wss, { clientId: id('wss-b'), tls: { ca } });
    await exchange(a, b);
  });

  it('wss: TLS options can also come with the transport (factory-level ca)', async () => {
    const transport = createWebSocketTransport({ tls: { ca } });
    const a = await pool.connect(wss, { clientId: id('wss-f'), transport });
    const b = await pool.connect(ws, { clientId: id('ws-f') });
    await exchange(a, b);
  });

  it('wss: an untrusted certificate fails with MQTTKIT_ERR_TLS_CERTIFICATE and is not retried', async () => {
    const client = pool.create(wss, { clientId: id('wss-untrusted'), reconnect: FAST_RECONNECT });
    let reconnects = 0;
    client.on('reconnect', () => reconnects++);
    const closed = nextEvent(client, 'close');
    client.start();
    const [{ error }] = await closed;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
    expect(error?.retryable).toBe(false);
    expect(reconnects).toBe(0);
    expect(client.state).toBe('closed');
  });

  it.each([
    [4, 'mqtt'],
    [3, 'mqttv3.1'],
  ] as const)('MQTT protocol level %i connects (subprotocol %s) and exchanges messages', async (protocolVersion, _subprotocol) => {
    const options: ClientOptions = { protocolVersion, clientId: id(`ws-v${protocolVersion}`) };
    const a = await pool.connect(ws, options);
    const b = await pool.connect(ws, { ...options, clientId: id(`ws-v${protocolVersion}b`) });
    expect(a.protocolVersion).toBe(protocolVersion);
    await exchange(a, b);
  });

  it('a refused port rejects connect() with MQTTKIT_ERR_CONNECTION_REFUSED', async () => {
    const stopped = await startMosquitto({ websockets: true });
    if (stopped === undefined) throw new Error('unreachable');
    const url = `${stopped.wsUrl}/mqtt`;
    await stopped.stop();
    const error = await rejectionOf(pool.connect(url, { reconnect: false }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe('MQTTKIT_ERR_CONNECTION_REFUSED');
  });

  it('reconnects by itself after Mosquitto restarts; a QoS 1 publish made while it was down is delivered', {
    timeout: 30_000,
  }, async () => {
    const topic = unique('ws-restart');
    const subscriber = pool.create(ws, {
      clientId: id('ws-rs-sub'),
      clean: false,
      properties: { sessionExpiryInterval: 300 },
      reconnect: FAST_RECONNECT,
    });
    const inbox = new Inbox(subscriber);
    const subscriberUp = nextEvent(subscriber, 'connect');
    subscriber.start();
    await subscriberUp;
    await subscriber.subscribe(topic, { qos: 1 });
    const publisher = await pool.connect(ws, { clientId: id('ws-rs-pub'), reconnect: FAST_RECONNECT });

    const offline = nextEvent(publisher, 'offline');
    const back = nextEvent(publisher, 'connect', 20_000);
    const subscriberBack = nextEvent(subscriber, 'connect', 20_000);
    const restart = broker.restart();
    await offline;
    const whileDown = publisher.publish(topic, 'published while down', { qos: 1 });
    await restart;
    await back;
    expect((await subscriberBack)[0].sessionPresent).toBe(true);
    await within(whileDown, 10_000, 'the publish made while the broker was down');
    await inbox.count(1);
    expect(inbox.texts()).toEqual(['published while down']);
  });
});

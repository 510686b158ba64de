/**
 * protocolVersion 'auto' against real brokers: Mosquitto 2 takes MQTT 5.0;
 * aedes speaks 3.1.1 only and answers a 5.0 CONNECT with a 3.1.1 CONNACK,
 * return code 1; a broker that just closes after a CONNECT it does not
 * understand (played by the scripted broker) is offered 3.1.1, then 3.1.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from '../../src/node.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { ScriptedBroker } from '../helpers/scripted-broker.js';

const clients: MqttClient[] = [];
async function autoClient(url: string, clientId?: string): Promise<MqttClient> {
  const client = await connect(url, { protocolVersion: 'auto', clientId, reconnect: { initialDelay: 10, maxDelay: 50 } });
  clients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end({ force: true })));
});

describe("protocolVersion 'auto' with aedes (MQTT 3.1.1 only)", () => {
  let aedes: Aedes;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    aedes = await Aedes.createBroker();
    server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `mqtt://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    server.close();
  });

  it('negotiates 3.1.1 and keeps it: messages flow, client.protocolVersion is 4', async () => {
    const subscriber = await autoClient(url);
    const publisher = await autoClient(url);
    expect([subscriber.protocolVersion, publisher.protocolVersion]).toEqual([4, 4]);
    const sub = await subscriber.subscribe('auto/t', { qos: 1 });
    await publisher.publish('auto/t', 'over 3.1.1', { qos: 1 });
    const first = await sub[Symbol.asyncIterator]().next();
    expect(first.value?.text()).toBe('over 3.1.1');
  });
});

describeWithMosquitto("protocolVersion 'auto' with Mosquitto", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = (await startMosquitto()) as Mosquitto;
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('stays on MQTT 5.0 when the broker takes it', async () => {
    const client = await autoClient(broker.url);
    expect(client.protocolVersion).toBe(5);
  });
});

describe("protocolVersion 'auto' with a broker that closes without CONNACK", () => {
  it('offers 3.1.1 after a close right after the 5.0 CONNECT, then 3.1, and connects on the first version it accepts', async () => {
    const broker = await ScriptedBroker.start(async (c) => {
      const connect = await c.next('connect');
      // This broker knows only MQTT 3.1 (protocol name MQIsdp, level 3).
      if (connect.protocolVersion !== 3) c.destroy();
      else c.connack();
    });
    try {
      const client = await autoClient(broker.url);
      expect(client.protocolVersion).toBe(3);
      expect([1, 2, 3].map((i) => broker.connection(i).connect?.protocolVersion)).toEqual([5, 4, 3]);
      expect(client.clientId).toMatch(/^mqttkit-/);
    } finally {
      await broker.close();
    }
  });
});

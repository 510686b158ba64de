/**
 * A Node device: telemetry over TLS at QoS 1, that survives a flaky network
 * and a restart of its own process, and stops cleanly on Ctrl-C.
 *
 *   npx tsx examples/node-device.ts mqtts://broker.example:8883 ./ca.crt
 *   MQTT_URL=mqtts://broker.example:8883 MQTT_CA=./ca.crt npx tsx examples/node-device.ts
 *
 * Optional: DEVICE_ID (default device-42), STORE (the session file, default
 * ./<DEVICE_ID>.mqttkit), INTERVAL_MS (default 1000).
 */
import { readFileSync } from 'node:fs';
import { connect, FileStore } from 'mqttkit';

const url = process.argv[2] ?? process.env.MQTT_URL ?? 'mqtts://localhost:8883';
const caFile = process.argv[3] ?? process.env.MQTT_CA;
const deviceId = process.env.DEVICE_ID ?? 'device-42';
const interval = Number(process.env.INTERVAL_MS ?? 1000);

// QoS 1 messages not yet acknowledged live in this file, so a crash or a restart does not lose them:
// the next run resends them first. One process per file (it is locked while open).
const store = await FileStore.open(process.env.STORE ?? `./${deviceId}.mqttkit`);
if (store.restored.outgoing + store.restored.queued > 0) {
  console.log(`resending ${store.restored.outgoing + store.restored.queued} message(s) left by the last run`);
}

const client = await connect(url, {
  clientId: deviceId, // a persistent session needs a stable client id
  clean: false, // ...and asks the broker to keep it:
  properties: { sessionExpiryInterval: 3600 }, // for an hour after a disconnect (MQTT 5)
  store,
  // Your private CA; without `ca`, the system's trusted CAs verify the broker's certificate.
  tls: caFile === undefined ? {} : { ca: readFileSync(caFile) },
  keepAlive: 30,
  // After a drop: wait random(0, 500 ms), then up to 1 s, 2 s, ... 10 s between attempts (full jitter).
  reconnect: { initialDelay: 500, maxDelay: 10_000 },
});
console.log(`connected to ${url} as ${client.clientId}`);
client.on('offline', ({ error }) => console.log(`offline: ${error?.message ?? 'connection closed'}`));
client.on('reconnect', ({ attempt, delay }) => console.log(`reconnecting in ${delay} ms (attempt ${attempt})`));
client.on('connect', ({ sessionPresent }) => console.log(`reconnected (session present: ${sessionPresent})`));

let seq = 0;
const timer = setInterval(() => {
  const n = ++seq;
  const reading = { seq: n, t: Date.now(), temperature: +(20 + Math.random() * 5).toFixed(2) };
  // While offline this waits in the queue (and the store); it resolves once the broker acknowledged it.
  client.publish(`devices/${deviceId}/telemetry`, JSON.stringify(reading), { qos: 1 }).then(
    () => console.log(`reading ${n} acknowledged`),
    (err: Error) => console.error(`reading ${n} failed: ${err.message}`),
  );
}, interval);

process.once('SIGINT', async () => {
  console.log('SIGINT: stopping');
  clearInterval(timer);
  await client.end(); // waits for the broker to acknowledge what is in flight, then sends DISCONNECT
  await store.close();
  console.log(`stopped after ${seq} readings`);
});

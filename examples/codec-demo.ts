/**
 * `npm run demo` (until the client lands): starts an embedded MQTT broker
 * (aedes) on a free port, then speaks MQTT 3.1.1 to it over a real TCP socket
 * using only mqttkit's codec, printing every packet on the wire both ways.
 *
 *   npm run demo                 # embedded broker on a free port
 *   npm run demo -- --port 1884  # embedded broker on a given port
 */
import { type AddressInfo, createServer, connect as tcpConnect } from 'node:net';
import { Aedes } from 'aedes';
import { Decoder, encode, type Packet } from '../src/index.js';

const VERSION = 4; // the embedded broker speaks MQTT 3.1.1
const portArg = process.argv.indexOf('--port');
const port = portArg === -1 ? 0 : Number(process.argv[portArg + 1]);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(..)/g, '$1 ').trim();
const show = (p: Packet) => JSON.stringify('payload' in p ? { ...p, payload: new TextDecoder().decode(p.payload) } : p);

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const { port: actualPort } = server.address() as AddressInfo;
console.log(`embedded broker (aedes) listening on mqtt://127.0.0.1:${actualPort}\n`);

const socket = tcpConnect(actualPort, '127.0.0.1');
const decoder = new Decoder({ protocolVersion: VERSION });
const send = (p: Packet) => {
  const bytes = encode(p, VERSION);
  console.log(`-> ${p.type.toUpperCase().padEnd(11)} ${hex(bytes).slice(0, 72)}${bytes.length > 24 ? ' ...' : ''}`);
  socket.write(bytes);
};

const received: Packet[] = [];
const waiters: Array<(p: Packet) => boolean> = [];
socket.on('data', (chunk) => {
  for (const p of decoder.push(chunk)) {
    console.log(`<- ${p.type.toUpperCase().padEnd(11)} ${show(p)}`);
    received.push(p);
    if (p.type === 'publish' && p.qos === 1) send({ type: 'puback', packetId: p.packetId as number });
    const i = waiters.findIndex((w) => w(p));
    if (i !== -1) waiters.splice(i, 1);
  }
});
const until = (pred: (p: Packet) => boolean) =>
  new Promise<Packet>((resolve) => {
    const hit = received.find(pred);
    if (hit) return resolve(hit);
    waiters.push((p) => {
      if (!pred(p)) return false;
      resolve(p);
      return true;
    });
  });
await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

send({ type: 'connect', clientId: 'mqttkit-demo', clean: true, keepAlive: 30 });
await until((p) => p.type === 'connack');
send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'devices/+/telemetry', qos: 1 }] });
await until((p) => p.type === 'suback');

const text = new TextEncoder();
for (let i = 1; i <= 3; i++) {
  const reading = { device: `sensor-${i}`, temperature: +(20 + Math.random() * 5).toFixed(2) };
  send({
    type: 'publish',
    topic: `devices/sensor-${i}/telemetry`,
    payload: text.encode(JSON.stringify(reading)),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 10 + i,
  });
  await until((p) => p.type === 'puback' && p.packetId === 10 + i);
  await until((p) => p.type === 'publish' && p.topic === `devices/sensor-${i}/telemetry`);
}
send({ type: 'pingreq' });
await until((p) => p.type === 'pingresp');
send({ type: 'disconnect' });
socket.end();
await new Promise<void>((resolve) => socket.once('close', () => resolve()));
await new Promise<void>((resolve) => broker.close(() => resolve()));
server.close();
console.log(`\n${received.length} packets received and decoded; demo done.`);

/**
 * Reading a subscription with `for await`, and two ways to stop: an
 * AbortSignal (here a 1 s timeout), and `break`. Either way the client
 * unsubscribes, so the broker stops sending.
 *
 *   npx tsx examples/for-await-abort.ts mqtt://localhost:1883
 */
import { connect } from 'mqttkit';

const url = process.argv[2] ?? process.env.MQTT_URL ?? 'mqtt://localhost:1883';
const topic = 'examples/ticks';

const client = await connect(url);
const sub = await client.subscribe(topic);
// A sensor ticking every 100 ms (the same client, to keep the example short).
let tick = 0;
const ticker = setInterval(() => void client.publish(topic, String(++tick)), 100);

// 1. Stopped by a signal. The loop itself cannot see the signal while it waits for the next
//    message, so tie the signal to unsubscribe(): that ends the iteration at once.
const signal = AbortSignal.timeout(1000);
let unsubscribed: Promise<void> | undefined;
signal.addEventListener('abort', () => (unsubscribed = sub.unsubscribe()), { once: true });
let count = 0;
for await (const msg of sub) {
  count++;
  if (count === 1) console.log(`first tick: ${msg.text()}`);
}
console.log(`stopped by the signal (${signal.reason.name}) after ${count} messages; subscription closed: ${sub.closed}`);
await unsubscribed; // UNSUBACK: the broker confirmed, so subscribing to the topic again below is a new subscription

// 2. Stopped by `break`: leaving the loop (break, return or a throw) unsubscribes by itself.
const again = await client.subscribe(topic);
for await (const msg of again) {
  if (Number(msg.text()) % 5 === 0) {
    console.log(`break at tick ${msg.text()}`);
    break;
  }
}
clearInterval(ticker);

// The proof: the broker processes a client's packets in order, so a QoS 1 publish sent after the
// UNSUBSCRIBE finds no subscriber left. MQTT 5 brokers say so in the PUBACK (0x10).
const { reasonCode } = await client.publish(topic, 'anyone?', { qos: 1 });
console.log(`after the loops: ${reasonCode === 0x10 ? 'no subscribers left' : `reason code ${reasonCode ?? 0}`}`);

await client.end();

/**
 * A worker pool with a shared subscription: every worker subscribes to
 * `$share/workers/examples/jobs`, and the broker hands each job to one of
 * them (MQTT 5; Mosquitto, EMQX, HiveMQ... take turns or balance by load).
 *
 *   npx tsx examples/shared-subscription-workers.ts mqtt://localhost:1883 [workers] [jobs]
 */
import { connect, type MqttClient } from 'mqttkit';

const url = process.argv[2] ?? process.env.MQTT_URL ?? 'mqtt://localhost:1883';
const workerCount = Number(process.argv[3] ?? 3);
const jobCount = Number(process.argv[4] ?? 12);

const done = new Map<number, string>(); // job number -> the worker that did it
let allDone!: () => void;
const finished = new Promise<void>((resolve) => (allDone = resolve));

async function startWorker(name: string): Promise<MqttClient> {
  const client = await connect(url, { clientId: name });
  // `$share/<group>/<filter>`: one copy of each message per group, not one per subscriber.
  const jobs = await client.subscribe('$share/workers/examples/jobs', { qos: 1 });
  void (async () => {
    for await (const job of jobs) {
      const n = job.json<{ n: number }>().n;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20)); // the work
      console.log(`${name} did job ${n}`);
      done.set(n, name);
      if (done.size === jobCount) allDone();
    }
  })();
  return client;
}

const workers = await Promise.all(Array.from({ length: workerCount }, (_, i) => startWorker(`worker-${i + 1}`)));

// The producer publishes to the plain topic: it does not know how many workers there are.
const producer = await connect(url);
for (let n = 1; n <= jobCount; n++) await producer.publish('examples/jobs', JSON.stringify({ n }), { qos: 1 });
await finished;

const perWorker = new Map<string, number>();
for (const name of done.values()) perWorker.set(name, (perWorker.get(name) ?? 0) + 1);
console.log(`all ${jobCount} jobs done, each once: ${[...perWorker].map(([name, count]) => `${name} ${count}`).join(', ')}`);

// end() also ends each worker's `for await` loop.
await Promise.all([producer, ...workers].map((client) => client.end()));

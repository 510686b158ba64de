/**
 * MQTT 5 request/response: a responder answers on the Response Topic of each
 * request, echoing its Correlation Data; a requester awaits the answer with
 * client.request(), which fails with MQTTKIT_ERR_TIMEOUT when nobody answers.
 *
 *   npx tsx examples/request-response.ts mqtt://localhost:1883
 */
import { connect, type MqttkitError } from 'mqttkit';

const url = process.argv[2] ?? process.env.MQTT_URL ?? 'mqtt://localhost:1883';

// The responder: a service that adds two numbers.
const responder = await connect(url);
const requests = await responder.subscribe('examples/rpc/add', { qos: 1 });
void (async () => {
  for await (const request of requests) {
    const { responseTopic, correlationData } = request.properties ?? {};
    if (responseTopic === undefined) continue; // not a request: nobody to answer
    const { a, b } = request.json<{ a: number; b: number }>();
    // The Correlation Data tells the requester which of its requests this answers.
    await responder.publish(responseTopic, JSON.stringify({ sum: a + b }), { qos: 1, properties: { correlationData } });
  }
})();

// The requester: request() subscribes to a response topic of its own once, publishes with a
// Response Topic and fresh Correlation Data, and resolves with the matching response.
const requester = await connect(url);
const response = await requester.request('examples/rpc/add', JSON.stringify({ a: 2, b: 3 }), { qos: 1, timeout: 5000 });
console.log(`2 + 3 = ${response.json<{ sum: number }>().sum}`);

// Several requests in flight at once each get their own answer.
const sums = await Promise.all([1, 2, 3].map((n) => requester.request('examples/rpc/add', JSON.stringify({ a: n, b: n }), { qos: 1 })));
console.log(`doubles: ${sums.map((m) => m.json<{ sum: number }>().sum).join(', ')}`);

// Nobody listens here: the request settles anyway, with a typed timeout error.
try {
  await requester.request('examples/rpc/nobody-home', 'hello?', { timeout: 500 });
} catch (err) {
  console.log(`no answer: ${(err as MqttkitError).code}`);
}

await Promise.all([requester.end(), responder.end()]);

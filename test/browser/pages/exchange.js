// The in-page half of test/browser/browser.test.ts. Runs in Chromium with one
// of mqttkit's browser builds, talks to Mosquitto over WebSocket, exchanges
// QoS 0/1/2 messages with a Node client that is connected over TCP, and
// publishes its verdict on window.__results (read back by page.evaluate) and
// as a list on the page (for the screenshot).

/** The big message's bytes: byte i is (i * 31 + 7) mod 256. */
const BIG_SIZE = 64 * 1024;
const bigByte = (i) => (i * 31 + 7) & 255;

const params = new URLSearchParams(location.search);
const wsUrl = params.get('ws');
const closedPort = params.get('closedPort');
const prefix = params.get('prefix');

const checks = [];

function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail: String(detail) });
  const li = document.createElement('li');
  li.className = ok ? 'pass' : 'fail';
  li.textContent = detail ? `${name} — ${detail}` : name;
  document.getElementById('checks').append(li);
}

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function rejectionOf(promise) {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err;
  }
}

async function exchange(mqttkit, label) {
  check('the library defines no Node globals', typeof process === 'undefined' && typeof Buffer === 'undefined');
  check('no Node transports in the browser build', mqttkit.tcpTransport === undefined && mqttkit.tlsTransport === undefined);

  const tcp = await rejectionOf(mqttkit.connect('mqtt://127.0.0.1:1883'));
  check(
    'mqtt: URLs are refused with an InvalidArgumentError pointing to ws: and wss:',
    tcp instanceof mqttkit.InvalidArgumentError &&
      tcp.field === 'url' &&
      /not available in browsers/.test(tcp.message) &&
      /ws:/.test(tcp.message),
    tcp?.message,
  );

  const refused = await rejectionOf(mqttkit.connect(`ws://127.0.0.1:${closedPort}/mqtt`, { connectTimeout: 10_000 }));
  check(
    'a closed port rejects with a retryable ConnectionError',
    refused instanceof mqttkit.ConnectionError && refused.code === 'MQTTKIT_ERR_TRANSPORT' && refused.retryable === true,
    refused?.message,
  );

  const client = await mqttkit.connect(wsUrl, { clientId: `${prefix}-${label}`.slice(0, 23), keepAlive: 30 });
  check('connects over WebSocket (MQTT 5)', client.connected && client.protocolVersion === 5);

  const sub = await client.subscribe(`${prefix}/to-browser/#`, { qos: 2 });
  check('subscribes with QoS 2 granted', sub.reasonCodes[0] === 2, sub.reasonCodes);

  const received = [];
  const allReceived = (async () => {
    for await (const message of sub) {
      received.push(message);
      if (received.length === 4) return;
    }
  })();

  await client.publish(`${prefix}/ready`, label, { qos: 1 });
  await within(20_000, allReceived, 'messages from the Node client');
  const byTopic = new Map(received.map((m) => [m.topic.slice(`${prefix}/to-browser/`.length), m]));
  for (const qos of [0, 1, 2]) {
    const m = byTopic.get(`q${qos}`);
    check(`receives the Node client's QoS ${qos} message`, m?.qos === qos && m.text() === `from node q${qos}`, m && `${m.qos} ${m.text()}`);
  }
  const big = byTopic.get('big');
  let intact = big?.payload.length === BIG_SIZE;
  for (let i = 0; intact && i < BIG_SIZE; i++) intact = big.payload[i] === bigByte(i);
  check('receives a 64 KiB binary message intact (QoS 1)', intact && big.qos === 1, big?.payload.length);

  for (const qos of [0, 1, 2]) {
    await client.publish(`${prefix}/from-browser/q${qos}`, `from ${label} q${qos}`, { qos });
    check(`publishes QoS ${qos} (promise settled)`, true);
  }
  await client.end();
  check('ends cleanly', client.state === 'closed', client.state);

  for (const protocolVersion of [4, 3]) {
    const old = await mqttkit.connect(wsUrl, { protocolVersion, clientId: `${prefix}-${label}-v${protocolVersion}`.slice(0, 23) });
    check(
      `connects with MQTT ${protocolVersion === 4 ? '3.1.1' : '3.1'} (subprotocol ${protocolVersion === 4 ? 'mqtt' : 'mqttv3.1'})`,
      old.connected,
    );
    await old.end();
  }
}

export async function runExchange(mqttkit, label) {
  try {
    await exchange(mqttkit, label);
  } catch (err) {
    check('no unexpected error', false, err?.stack ?? err);
  }
  window.__results = { done: true, checks };
}

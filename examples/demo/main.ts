/**
 * `npm run demo`: mqttkit live, with nothing else installed.
 *
 * Starts an embedded broker (aedes, over TCP and WebSocket), a fleet of
 * simulated devices publishing with mqttkit over TCP, and a dashboard page
 * that uses mqttkit's browser build over WebSocket. Open the printed URL.
 *
 *   npm run demo
 *   npm run demo -- --port 1883 --ws-port 8083 --http-port 8080
 *   npm run demo -- --broker mqtt://127.0.0.1:1883 --ws ws://127.0.0.1:8080   # an existing broker (MQTT 5 if it speaks it)
 *   npm run demo -- --devices 50 --crash-every 10 --revive-after 5
 */
import { parseArgs } from 'node:util';
import { ensureBrowserBuild } from '../../scripts/browser-build.js';
import { connect } from '../../src/node.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker.js';
import { Fleet } from './fleet.js';
import { startWebServer } from './web.js';

const HELP = `usage: npm run demo -- [options]

  --port N           embedded broker's MQTT (TCP) port (default: a free port)
  --ws-port N        embedded broker's WebSocket port (default: a free port)
  --http-port N      dashboard port (default: a free port)
  --broker URL       use an existing broker instead, e.g. mqtt://127.0.0.1:1883
  --ws URL           its WebSocket URL for the dashboard, e.g. ws://127.0.0.1:8080 (with --broker)
  --devices N        simulated devices (default 20)
  --crash-every S    crash a random device every S seconds, 0 never (default 20)
  --revive-after S   bring it back after S seconds (default 8)
  -h, --help         this help`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'ws-port': { type: 'string', default: '0' },
    'http-port': { type: 'string', default: '0' },
    broker: { type: 'string' },
    ws: { type: 'string' },
    devices: { type: 'string', default: '20' },
    'crash-every': { type: 'string', default: '20' },
    'revive-after': { type: 'string', default: '8' },
    help: { type: 'boolean', short: 'h' },
  },
});

function number(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) {
    console.error(`demo: --${flag} must be a number ≥ ${min}, got "${value}"`);
    process.exit(1);
  }
  return n;
}

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if ((values.broker === undefined) !== (values.ws === undefined)) {
  console.error('demo: give --broker and --ws together (the dashboard needs the WebSocket URL of the same broker)');
  process.exit(1);
}

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** MQTT 5 when the broker speaks it, else 3.1.1 (the embedded aedes speaks 3.1.1). */
async function probeProtocol(url: string): Promise<4 | 5> {
  try {
    const probe = await connect(url, { protocolVersion: 5, reconnect: false, connectTimeout: 5000 });
    await probe.end();
    return 5;
  } catch {
    return 4;
  }
}

await ensureBrowserBuild(() => log('building the browser bundles (dist/browser.js, dist/mqttkit.min.js) ...'));

let embedded: EmbeddedBroker | undefined;
let brokerUrl: string;
let wsUrl: string;
if (values.broker !== undefined && values.ws !== undefined) {
  brokerUrl = values.broker;
  wsUrl = values.ws;
  log(`using the broker at ${brokerUrl} (dashboard over ${wsUrl})`);
} else {
  embedded = await startEmbeddedBroker(number('port', values.port, 0), number('ws-port', values['ws-port'], 0));
  brokerUrl = embedded.url;
  wsUrl = embedded.wsUrl;
  log(`embedded broker (aedes, MQTT 3.1.1) on ${brokerUrl} and ${wsUrl}`);
}

const protocolVersion = embedded === undefined ? await probeProtocol(brokerUrl) : 4;
const prefix = `mqttkit-demo/${Date.now().toString(36)}`;
const fleet = new Fleet({
  url: brokerUrl,
  prefix,
  size: number('devices', values.devices, 1),
  protocolVersion,
  crashEvery: number('crash-every', values['crash-every'], 0) * 1000,
  reviveAfter: number('revive-after', values['revive-after'], 0) * 1000,
  log,
});
await fleet.start();
log(
  `${fleet.devices.length} devices publishing over MQTT ${protocolVersion === 5 ? '5.0 (user properties, request/response for commands)' : '3.1.1'} under ${prefix}/`,
);

const web = await startWebServer(
  { wsUrl, prefix, protocolVersion, devices: fleet.devices.map((d) => d.name) },
  number('http-port', values['http-port'], 0),
);
log(`dashboard: ${web.url}`);
log('press Ctrl-C to stop');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping (devices send DISCONNECT, then the broker closes)`);
  await fleet.stop();
  await web.close();
  await embedded?.close();
  log('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

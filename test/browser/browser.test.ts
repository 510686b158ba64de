/**
 * mqttkit's browser builds in real headless Chromium (test/helpers/chromium.ts)
 * against a private Mosquitto's WebSocket listener. Two pages: one loads the
 * minified IIFE (dist/mqttkit.min.js) with a classic <script> tag, the other
 * imports the ESM browser build (dist/browser.js) from <script type=module>.
 * Each exchanges QoS 0/1/2 messages with a Node mqttkit client connected over
 * TCP; the assertions run in the page (test/browser/pages/exchange.js) and
 * come back through window.__results; the Node side checks what it received.
 * Screenshots go to test-artifacts/.
 *
 * The builds are made here when dist/ is missing or older than src/.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { MqttClient, ReceivedMessage } from '../../src/node.js';
import { connect } from '../../src/node.js';
import { ensureBrowserBuild, ROOT } from '../helpers/browser-build.js';
import { type Browser, describeWithChromium, launchChromium } from '../helpers/chromium.js';
import { freePorts, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const BIG_SIZE = 64 * 1024;

interface PageCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** Serves /dist/* from dist/ and /pages/* from test/browser/pages/, nothing else, on 127.0.0.1. */
async function startPageServer(): Promise<{ server: Server; origin: string }> {
  const folders: Record<string, string> = { dist: path.join(ROOT, 'dist'), pages: path.join(ROOT, 'test/browser/pages') };
  const server = createServer(async (req, res) => {
    const [, folder, ...rest] = new URL(req.url ?? '/', 'http://x').pathname.split('/');
    const base = folders[folder ?? ''];
    const file = base === undefined ? undefined : path.join(base, ...rest);
    if (file === undefined || !file.startsWith(`${base}${path.sep}`)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

function bigPayload(): Uint8Array {
  const bytes = new Uint8Array(BIG_SIZE);
  for (let i = 0; i < BIG_SIZE; i++) bytes[i] = (i * 31 + 7) & 255;
  return bytes;
}

describeWithChromium('browser builds in Chromium', () => {
  let broker: Mosquitto;
  let pages: { server: Server; origin: string };
  let browser: Browser;
  let node: MqttClient;
  let closedPort: number;
  const fromBrowser: ReceivedMessage[] = [];

  beforeAll(async () => {
    const [, started, served, launched, [port]] = await Promise.all([
      ensureBrowserBuild(),
      startMosquitto({ websockets: true }),
      startPageServer(),
      launchChromium(),
      freePorts(1),
    ]);
    if (started === undefined) throw new Error('mosquitto not installed: apt-get install -y mosquitto');
    broker = started;
    pages = served;
    browser = launched;
    closedPort = port;
    node = await connect(broker.url, { clientId: 'node-peer' });
    const sub = await node.subscribe(['+/ready', '+/from-browser/+'], { qos: 2 });
    const big = bigPayload();
    void (async () => {
      for await (const message of sub) {
        if (!message.topic.endsWith('/ready')) {
          fromBrowser.push(message);
          continue;
        }
        // The page is subscribed: send it one message per QoS, and a 64 KiB binary one.
        const prefix = message.topic.slice(0, -'/ready'.length);
        await Promise.all([
          ...[0, 1, 2].map((qos) => node.publish(`${prefix}/to-browser/q${qos}`, `from node q${qos}`, { qos: qos as 0 | 1 | 2 })),
          node.publish(`${prefix}/to-browser/big`, big, { qos: 1 }),
        ]);
      }
    })();
  }, 180_000);

  afterAll(async () => {
    await node?.end({ force: true });
    await browser?.close();
    await new Promise<void>((resolve) => (pages?.server ? pages.server.close(() => resolve()) : resolve()));
    await broker?.stop();
  });

  it.each([
    ['iife', 'dist/mqttkit.min.js through a classic <script> tag'],
    ['esm', 'dist/browser.js through <script type=module>'],
  ])(
    '%s page (%s) exchanges QoS 0/1/2 with a Node client over Mosquitto',
    async (label) => {
      const prefix = `mk${randomBytes(4).toString('hex')}`;
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        const query = new URLSearchParams({ ws: `${broker.wsUrl}/mqtt`, closedPort: String(closedPort), prefix });
        await page.goto(`${pages.origin}/pages/${label}.html?${query}`);
        await page.waitForFunction(() => (window as unknown as { __results?: { done: boolean } }).__results?.done === true, null, {
          timeout: 60_000,
        });
        const results = await page.evaluate(() => (window as unknown as { __results: { checks: PageCheck[] } }).__results);
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `browser-${label}.png`), fullPage: true });

        expect(pageErrors).toEqual([]);
        expect(results.checks.filter((c) => !c.ok)).toEqual([]);
        expect(results.checks.length).toBeGreaterThanOrEqual(15);

        const mine = () => fromBrowser.filter((m) => m.topic.startsWith(`${prefix}/`));
        // The page's publishes settled at the broker; their copies to the Node client may still be on the way.
        await vi.waitFor(() => expect(mine()).toHaveLength(3), { timeout: 10_000 });
        expect(
          mine()
            .map((m) => [m.topic, m.qos, m.text()])
            .sort(),
        ).toEqual([
          [`${prefix}/from-browser/q0`, 0, `from ${label} q0`],
          [`${prefix}/from-browser/q1`, 1, `from ${label} q1`],
          [`${prefix}/from-browser/q2`, 2, `from ${label} q2`],
        ]);
      } finally {
        await page.close();
      }
    },
    90_000,
  );
});

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
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ensureBrowserBuild, ROOT } from '../../scripts/browser-build.js';
import type { MqttClient, ReceivedMessage } from '../../src/node.js';
import { connect } from '../../src/node.js';
import { type Browser, describeWithChromium, launchChromium } from '../helpers/chromium.js';
import { freePorts, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type StaticServer, serveStatic } from '../helpers/static-server.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const BIG_SIZE = 64 * 1024;

interface PageCheck {
  name: string;
  ok: boolean;
  detail: string;
}

function bigPayload(): Uint8Array {
  const bytes = new Uint8Array(BIG_SIZE);
  for (let i = 0; i < BIG_SIZE; i++) bytes[i] = (i * 31 + 7) & 255;
  return bytes;
}

describeWithChromium('browser builds in Chromium', () => {
  let broker: Mosquitto;
  let pages: StaticServer;
  let browser: Browser;
  let node: MqttClient;
  let closedPort: number;
  const fromBrowser: ReceivedMessage[] = [];

  beforeAll(async () => {
    const [, started, served, launched, [port]] = await Promise.all([
      ensureBrowserBuild(),
      startMosquitto({ websockets: true }),
      serveStatic({ '/dist/': path.join(ROOT, 'dist'), '/pages/': path.join(ROOT, 'test/browser/pages') }),
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
    await pages?.close();
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

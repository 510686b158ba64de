/**
 * The browser examples in headless Chromium, against a private Mosquitto's
 * WebSocket listener: examples/browser-script-tag.html (dist/mqttkit.min.js
 * through a <script> tag) and examples/vite-app (built with Vite's JS API
 * into a temp dir, `import { connect } from 'mqttkit'` resolved through the
 * package's exports). Each page must show a message a Node client publishes,
 * and publish one the Node client receives when its button is clicked.
 *
 * Both are served by a small http server on 127.0.0.1, as any static host would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBrowserBuild } from '../../scripts/browser-build.js';
import { connect, type MqttClient, type ReceivedMessage } from '../../src/node.js';
import { type Browser, describeWithChromium, launchChromium } from '../helpers/chromium.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type StaticServer, serveStatic } from '../helpers/static-server.js';
import { ROOT } from './run-example.js';

describeWithChromium('browser examples in Chromium', () => {
  let broker: Mosquitto;
  let browser: Browser;
  let node: MqttClient;
  let viteOut: string;
  let repo: StaticServer;
  let viteApp: StaticServer;
  const received: ReceivedMessage[] = [];

  beforeAll(async () => {
    viteOut = await mkdtemp(path.join(tmpdir(), 'mqttkit-vite-example-'));
    const [started, launched] = await Promise.all([
      startMosquitto({ websockets: true }),
      launchChromium(),
      // The Vite app resolves 'mqttkit' to dist/browser.js: build that first, then the app.
      ensureBrowserBuild().then(() =>
        build({
          root: path.join(ROOT, 'examples/vite-app'),
          configFile: false,
          logLevel: 'silent',
          cacheDir: path.join(viteOut, '.vite-cache'),
          build: { outDir: path.join(viteOut, 'dist'), emptyOutDir: true },
        }),
      ),
    ]);
    if (started === undefined) throw new Error('mosquitto not installed: apt-get install -y mosquitto');
    broker = started;
    browser = launched;
    [repo, viteApp] = await Promise.all([
      serveStatic({ '/examples/': path.join(ROOT, 'examples'), '/dist/': path.join(ROOT, 'dist') }),
      serveStatic({ '/': path.join(viteOut, 'dist') }),
    ]);
    node = await connect(broker.url, { clientId: 'examples-node-peer' });
    node.on('message', (m) => received.push(m));
    await node.subscribe('examples/browser/#', { qos: 1 });
  }, 120_000);

  afterAll(async () => {
    await node?.end({ force: true });
    await browser?.close();
    for (const s of [repo, viteApp]) await s?.close();
    await broker?.stop();
    if (viteOut !== undefined) await rm(viteOut, { recursive: true, force: true });
  });

  it.each([
    ['browser-script-tag.html', () => `${repo.origin}/examples/browser-script-tag.html`],
    ['vite-app', () => `${viteApp.origin}/`],
  ])(
    '%s shows a message from a Node client and publishes one when its button is clicked',
    async (name, pageUrl) => {
      const topic = `examples/browser/${name}`;
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await page.goto(`${pageUrl()}?${new URLSearchParams({ url: `${broker.wsUrl}/mqtt`, topic })}`);
        await page.waitForSelector('#status[data-state="ready"]', { timeout: 20_000 });
        expect(await page.textContent('#status')).toBe(`connected to ${broker.wsUrl}/mqtt`);

        await node.publish(topic, `hello ${name} from node`, { qos: 1 });
        await page.locator('#messages li', { hasText: `hello ${name} from node` }).waitFor({ timeout: 10_000 });

        await page.fill('#text', `hello from ${name}`);
        await page.click('#send');
        await expect
          .poll(() => received.filter((m) => m.topic === topic).map((m) => m.text()), { timeout: 10_000 })
          .toContain(`hello from ${name}`);
        // The page is subscribed to its own topic too: its message comes back to it.
        await page.locator('#messages li', { hasText: `hello from ${name}` }).waitFor({ timeout: 10_000 });
        expect(pageErrors).toEqual([]);
      } finally {
        await page.close();
      }
    },
    60_000,
  );
});

/**
 * `npm run demo`, started as a user would, driven in headless Chromium: the
 * dashboard's own mqttkit client (browser build, over WebSocket) shows the
 * fleet's telemetry, a command round-trips to a device and back, and a device
 * that crashes turns offline through its last will. Ctrl-C stops it all with
 * exit code 0. A screenshot of the dashboard is saved in test-artifacts/.
 * With `--broker`/`--ws` (here a private Mosquitto) the demo speaks MQTT 5:
 * commands go by request/response and readings carry user properties.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Browser, describeWithChromium, launchChromium, type Page } from '../helpers/chromium.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts');

/** Waits until no process of group `pgid` is left. */
async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface RunningDemo {
  process: ChildProcess;
  output(): string;
  dashboardUrl: string;
  /** Ctrl-C as a terminal sends it (to the whole process group); resolves once nothing of it is left. */
  interrupt(): Promise<{ code: number | null; signal: string | null; gone: boolean }>;
  kill(): void;
}

/** `npm run demo -- ...args` in its own process group; resolves once it printed the dashboard URL. */
async function startDemo(args: string[]): Promise<RunningDemo> {
  const child = spawn('npm', ['run', 'demo', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const dashboardUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo printed no dashboard URL in 90 s:\n${output}`)), 90_000);
    child.stdout?.on('data', () => {
      const match = /dashboard: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(({ code }) => reject(new Error(`the demo exited (${code}) before printing its URL:\n${output}`)));
  });
  const pgid = child.pid as number;
  return {
    process: child,
    output: () => output,
    dashboardUrl,
    async interrupt() {
      process.kill(-pgid, 'SIGINT');
      const result = await exited;
      return { ...result, gone: await groupGone(pgid, 15_000) };
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-pgid, 'SIGKILL');
    },
  };
}

/** Opens the dashboard and waits until its client is connected and telemetry flows. */
async function openDashboard(browser: Browser, url: string, pageErrors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url);
  await page.waitForSelector('#connection[data-state="connected"]', { timeout: 20_000 });
  await page.waitForFunction(() => (window as unknown as { demo: { stats: { telemetry: number } } }).demo.stats.telemetry >= 20, null, {
    timeout: 20_000,
  });
  return page;
}

/** Sends `report` to a device that is online now; returns the device and the reply line the page shows. */
async function commandRoundTrip(page: Page): Promise<{ target: string; reply: string }> {
  const target = (await page.locator('#device-list li[data-status="online"]').first().getAttribute('data-device')) as string;
  await page.selectOption('#command-device', target);
  await page.selectOption('#command-name', 'report');
  await page.click('#command-send');
  const reply = page.locator('#replies li').first();
  await reply.waitFor({ timeout: 10_000 });
  return { target, reply: (await reply.textContent()) ?? '' };
}

describeWithChromium('npm run demo in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;

  beforeAll(async () => {
    // Crash a device every 4 s and keep it down, so the test sees a will arrive quickly.
    [demo, browser] = await Promise.all([startDemo(['--devices', '8', '--crash-every', '4', '--revive-after', '600']), launchChromium()]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    demo?.kill();
  });

  it('shows telemetry, round-trips a command, marks a crashed device offline, and stops cleanly on Ctrl-C', async () => {
    expect(demo.output()).toMatch(/embedded broker \(aedes, MQTT 3\.1\.1\) on mqtt:\/\/127\.0\.0\.1:\d+ and ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
    const pageErrors: string[] = [];
    const page = await openDashboard(browser, demo.dashboardUrl, pageErrors);
    expect(await page.locator('#device-list li[data-device]').count()).toBe(8);

    const { target, reply } = await commandRoundTrip(page);
    expect(reply).toMatch(new RegExp(`^${target} report: temperature [\\d.]+ °C, battery \\d+ %`));

    await page.waitForSelector('#device-list li[data-status="offline"]', { timeout: 20_000 });
    const offline = await page.locator('#device-list li[data-status="offline"]').first().getAttribute('data-device');
    expect(demo.output()).toContain(`${offline} lost power`);
    // Let the charts draw a few seconds of data for the screenshot.
    await page.waitForTimeout(2500);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'demo-dashboard.png') });
    expect(pageErrors).toEqual([]);

    // npm itself ends by the signal; the demo shuts down cleanly (clients DISCONNECT, broker closes) and exits 0.
    const { code, signal, gone } = await demo.interrupt();
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    expect(gone).toBe(true);
    expect(demo.output()).toMatch(/SIGINT: stopping[\s\S]*stopped/);
    expect(demo.output()).not.toMatch(/Error|unhandled/i);
  }, 90_000);
});

describeWithChromium('npm run demo --broker (an existing MQTT 5 broker) in Chromium', () => {
  describeWithMosquitto('with Mosquitto', () => {
    let broker: Mosquitto;
    let demo: RunningDemo;
    let browser: Browser;

    beforeAll(async () => {
      broker = (await startMosquitto({ websockets: true })) as Mosquitto;
      const args = ['--devices', '4', '--crash-every', '0', '--broker', broker.url, '--ws', broker.wsUrl as string];
      [demo, browser] = await Promise.all([startDemo(args), launchChromium()]);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      demo?.kill();
      await broker?.stop();
    });

    it('speaks MQTT 5: request/response for commands, user properties on readings', async () => {
      expect(demo.output()).toContain(`using the broker at ${broker.url}`);
      expect(demo.output()).toMatch(/devices publishing over MQTT 5\.0/);
      const pageErrors: string[] = [];
      const page = await openDashboard(browser, demo.dashboardUrl, pageErrors);
      expect(await page.locator('#connection-text').textContent()).toContain('MQTT 5.0');
      // The firmware version rides along with each reading as an MQTT 5 user property.
      await page.waitForSelector('#device-list li[data-device] small', { timeout: 10_000 });
      expect(await page.locator('#device-list li[data-device] small').first().textContent()).toBe('fw 1.4.2');
      const { target, reply } = await commandRoundTrip(page);
      expect(reply).toMatch(new RegExp(`^${target} report: temperature`));
      expect(pageErrors).toEqual([]);
      const { code, signal, gone } = await demo.interrupt();
      expect(code === 0 || signal === 'SIGINT').toBe(true);
      expect(gone).toBe(true);
    }, 90_000);
  });
});

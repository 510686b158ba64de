/**
 * `npm run demo`, started as a user would, driven in headless Chromium: the
 * dashboard's own mqttkit client (browser build, over WebSocket) shows the
 * fleet's telemetry, a command round-trips to a device and back, and a device
 * that crashes turns offline through its last will. Ctrl-C stops it all with
 * exit code 0. A screenshot of the dashboard is saved in test-artifacts/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Browser, describeWithChromium, launchChromium } from '../helpers/chromium.js';

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

describeWithChromium('npm run demo in Chromium', () => {
  let demo: ChildProcess;
  let output = '';
  let dashboardUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    // Crash a device every 4 s and keep it down, so the test sees a will arrive quickly.
    demo = spawn('npm', ['run', 'demo', '--', '--devices', '8', '--crash-every', '4', '--revive-after', '600'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that "Ctrl-C" reaches npm and the demo together, as in a terminal.
      detached: true,
    });
    demo.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    demo.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    dashboardUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo printed no dashboard URL in 90 s:\n${output}`)), 90_000);
      const check = (): void => {
        const match = /dashboard: (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      demo.stdout?.on('data', check);
      demo.once('exit', (code) => reject(new Error(`the demo exited (${code}) before printing its URL:\n${output}`)));
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (demo.exitCode === null && demo.signalCode === null && demo.pid !== undefined) process.kill(-demo.pid, 'SIGKILL');
  });

  it('shows telemetry, round-trips a command, marks a crashed device offline, and stops cleanly on Ctrl-C', async () => {
    expect(output).toMatch(/embedded broker \(aedes, MQTT 3\.1\.1\) on mqtt:\/\/127\.0\.0\.1:\d+ and ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(dashboardUrl);

    await page.waitForSelector('#connection[data-state="connected"]', { timeout: 20_000 });
    await page.waitForFunction(() => (window as unknown as { demo: { stats: { telemetry: number } } }).demo.stats.telemetry >= 20, null, {
      timeout: 20_000,
    });
    expect(await page.locator('#device-list li[data-device]').count()).toBe(8);

    // Command a device that is online now (the fleet crashes one every few seconds).
    const target = (await page.locator('#device-list li[data-status="online"]').first().getAttribute('data-device')) as string;
    await page.selectOption('#command-device', target);
    await page.selectOption('#command-name', 'report');
    await page.click('#command-send');
    const reply = page.locator('#replies li').first();
    await reply.waitFor({ timeout: 10_000 });
    expect(await reply.textContent()).toMatch(new RegExp(`^${target} report: temperature [\\d.]+ °C, battery \\d+ %`));

    await page.waitForSelector('#device-list li[data-status="offline"]', { timeout: 20_000 });
    const offline = await page.locator('#device-list li[data-status="offline"]').first().getAttribute('data-device');
    expect(output).toContain(`${offline} lost power`);
    // Let the charts draw a few seconds of data for the screenshot.
    await page.waitForTimeout(2500);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'demo-dashboard.png') });
    expect(pageErrors).toEqual([]);

    // Ctrl-C in a terminal signals the whole foreground process group. npm itself then ends by the
    // signal; the demo must shut down cleanly (clients DISCONNECT, broker closes) and exit 0.
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      demo.once('exit', (code, signal) => resolve({ code, signal })),
    );
    process.kill(-(demo.pid as number), 'SIGINT');
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    // Nothing of the demo is left running in its process group once it said it stopped.
    expect(await groupGone(demo.pid as number, 15_000)).toBe(true);
    expect(output).toMatch(/SIGINT: stopping[\s\S]*stopped/);
    expect(output).not.toMatch(/Error|unhandled/i);
  }, 90_000);
});

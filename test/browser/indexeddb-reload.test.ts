/**
 * No loss across page reloads with IndexedDbStore: a page in headless
 * Chromium (test/browser/pages/indexeddb-publisher.js, dist/browser.js)
 * publishes a numbered stream of QoS 1 and QoS 2 messages over WebSocket
 * to a private Mosquitto (persistence on) with a kept session (clean: false,
 * a fixed client id, MQTT 5 Session Expiry Interval) and the store. The test
 * reloads the page at random points mid-stream (seeded; the seed is printed);
 * each reloaded page opens the same store, reconnects with the same client
 * id, resends what the store kept and continues the stream after the last
 * number the old page had called publish() for. A Node subscriber
 * (persistent session, TCP) counts what arrives.
 *
 * What is promised (the durability definition in src/store/indexeddb.ts and
 * docs/reliability.md): a message whose publish() had resolved, or that a
 * `store.flush()` started after its publish() had confirmed durable, before
 * the reload. Those must arrive (QoS 1 at least once, QoS 2 exactly once).
 * Messages called but not yet known durable at the reload may be lost; the
 * test counts them and how many arrived anyway. No QoS 2 message may arrive
 * twice, promised or not.
 *
 * Write-ahead: the client holds each WebSocket write until the store's
 * transaction for the changes behind it has completed (store.commit()
 * returns its promise). Without that, a reload between a PUBREL on the wire
 * and the record of its phase change made the reloaded page send the PUBLISH
 * again: a QoS 2 duplicate (16 in 64 reloads when measured).
 *
 * IDB_RELOAD_SEED=<seed> replays the same reload points (the timing inside
 * the page is the browser's, so a replay is close, not identical);
 * IDB_RELOADS=<n> changes the number of reloads (default 6).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBrowserBuild, ROOT } from '../../scripts/browser-build.js';
import type { MqttClient } from '../../src/node.js';
import { connect } from '../../src/node.js';
import { type Browser, describeWithChromium, launchChromium, type Page } from '../helpers/chromium.js';
import { seededRandom } from '../helpers/engine-harness.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type StaticServer, serveStatic } from '../helpers/static-server.js';

const RELOADS = Number(process.env.IDB_RELOADS ?? 6);
const SEGMENT_MIN = 300;
const SEGMENT_MAX = 900;

const seed = Number(process.env.IDB_RELOAD_SEED ?? randomBytes(4).readUInt32LE(0));
console.log(`[idb-reload] seed ${seed} (replay: IDB_RELOAD_SEED=${seed} npx vitest run test/browser/indexeddb-reload.test.ts)`);

interface Progress {
  called: number;
  durable: number;
  settled: number[];
  failed: string[];
  lags: number[];
}

interface PublisherState {
  phase: 'loading' | 'ready' | 'failed';
  stop: boolean;
  restored?: { outgoing: number; incoming: number; queued: number };
  errors: string[];
  done: boolean;
}

interface PublisherWindow {
  publisher: { progress: Progress; state: PublisherState; publish(from: number, to: number): Promise<void> };
}

describeWithChromium('IndexedDbStore: no loss across page reloads (Chromium, WebSocket, Mosquitto with persistence)', () => {
  let broker: Mosquitto;
  let pages: StaticServer;
  let browser: Browser;
  let subscriber: MqttClient | undefined;

  beforeAll(async () => {
    const [, started, served, launched] = await Promise.all([
      ensureBrowserBuild(),
      startMosquitto({ websockets: true, persistence: true, config: ['max_queued_messages 1000000'] }),
      serveStatic({ '/dist/': path.join(ROOT, 'dist'), '/pages/': path.join(ROOT, 'test/browser/pages') }),
      launchChromium(),
    ]);
    if (started === undefined) throw new Error('mosquitto not installed: apt-get install -y mosquitto');
    broker = started;
    pages = served;
    browser = launched;
  }, 120_000);

  afterAll(async () => {
    await subscriber?.end({ force: true });
    await browser?.close();
    await pages?.close();
    await broker?.stop();
  });

  /** Waits for a (re)loaded document whose client is connected; returns what its store held when it opened. */
  async function loaded(page: Page, previousOrigin: number): Promise<{ timeOrigin: number; restored: PublisherState['restored'] }> {
    await page.waitForFunction(
      (prev) => {
        const p = (window as unknown as Partial<PublisherWindow>).publisher;
        return performance.timeOrigin !== prev && (p?.state.phase === 'ready' || p?.state.phase === 'failed');
      },
      previousOrigin,
      { timeout: 30_000 },
    );
    const { timeOrigin, state } = await page.evaluate(() => ({
      timeOrigin: performance.timeOrigin,
      state: (window as unknown as PublisherWindow).publisher.state,
    }));
    expect(state.errors, 'page errors').toEqual([]);
    return { timeOrigin, restored: state.restored };
  }

  it(`QoS 1 and 2 streams over ${RELOADS} random reloads: every promised message arrives (QoS 1 at least once, QoS 2 exactly once), no QoS 2 twice`, async () => {
    const random = seededRandom(seed);
    const prefix = `idb${randomBytes(3).toString('hex')}`;
    const deliveries = new Map<number, number>();
    subscriber = await connect(broker.url, { clientId: `${prefix}-sub`, clean: false, properties: { sessionExpiryInterval: 600 } });
    subscriber.on('message', (m) => {
      const n = Number(m.text());
      deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
    });
    await subscriber.subscribe(`${prefix}/+`, { qos: 2 });

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const query = new URLSearchParams({
      ws: `${broker.wsUrl}/mqtt`,
      prefix,
      clientId: `${prefix}-pub`,
      store: `${prefix}-store`,
    });
    await page.goto(`${pages.origin}/pages/indexeddb-publisher.html?${query}`);

    const promised = new Set<number>();
    const notDurable: number[] = [];
    const lags: number[] = [];
    const reloads: string[] = [];
    let next = 1;
    let doc = await loaded(page, 0);
    for (let round = 0; round <= RELOADS; round++) {
      const to = next + SEGMENT_MIN + Math.floor(random() * (SEGMENT_MAX - SEGMENT_MIN));
      await page.evaluate(
        ([from, last]) => {
          void (window as unknown as PublisherWindow).publisher.publish(from, last);
        },
        [next, to] as const,
      );
      if (round === RELOADS) {
        await page.waitForFunction(() => (window as unknown as PublisherWindow).publisher.state.done, null, { timeout: 30_000 });
        for (let n = next; n <= to; n++) promised.add(n);
        const last = await page.evaluate(() => (window as unknown as PublisherWindow).publisher.progress);
        expect(last.failed).toEqual([]);
        break;
      }
      const reloadAt = next + 20 + Math.floor(random() * (to - next - 40));
      await page.waitForFunction((at) => (window as unknown as PublisherWindow).publisher.progress.called >= at, reloadAt, {
        timeout: 30_000,
      });
      // Stop the stream, read where it is and reload, all in one task: nothing is published between the reading and the unload.
      const snap = await page.evaluate(() => {
        const p = (window as unknown as PublisherWindow).publisher;
        p.state.stop = true;
        const s = { ...p.progress, settled: [...p.progress.settled] };
        location.reload();
        return s;
      });
      expect(snap.failed).toEqual([]);
      const settled = new Set(snap.settled);
      let unsure = 0;
      for (let n = next; n <= snap.called; n++) {
        if (n <= snap.durable || settled.has(n)) promised.add(n);
        else {
          notDurable.push(n);
          unsure++;
        }
      }
      lags.push(...snap.lags);
      doc = await loaded(page, doc.timeOrigin);
      reloads.push(
        `reload ${round + 1} after #${snap.called} (${snap.called - next + 1} called in this page, ${unsure} not yet durable): ` +
          `the new page restored ${doc.restored?.outgoing} in flight, ${doc.restored?.queued} queued, ${doc.restored?.incoming} incoming`,
      );
      next = snap.called + 1;
    }
    await page.close();

    // The broker has everything the publisher settled; its copies to the subscriber may still be on the way.
    const last = Math.max(...promised);
    const deadline = Date.now() + 15_000;
    while ([...promised].some((n) => !deliveries.has(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const lost = [...promised].filter((n) => !deliveries.has(n));
    const qos2Twice = [...deliveries].filter(([n, count]) => n % 2 === 1 && count > 1).map(([n]) => n);
    const qos1Duplicates = [...deliveries].filter(([n, count]) => n % 2 === 0 && count > 1).length;
    const notDurableArrived = notDurable.filter((n) => deliveries.has(n)).length;
    lags.sort((a, b) => a - b);
    const lagAt = (q: number) => (lags.length === 0 ? 0 : lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]).toFixed(1);
    console.log(
      [
        `[idb-reload] seed ${seed}: ${reloads.length} reloads, messages 1..${last}`,
        ...reloads.map((r) => `  ${r}`),
        `  promised ${promised.size} (QoS 1 ${[...promised].filter((n) => n % 2 === 0).length}, QoS 2 ${[...promised].filter((n) => n % 2 === 1).length}), ` +
          `received ${[...deliveries.values()].reduce((a, b) => a + b, 0)} deliveries of ${deliveries.size} messages, ` +
          `QoS 1 duplicates ${qos1Duplicates}, QoS 2 twice ${qos2Twice.length}, lost ${lost.length}`,
        `  called but not yet durable at a reload: ${notDurable.length}, of which arrived anyway ${notDurableArrived}, lost ${notDurable.length - notDurableArrived}`,
        `  publish() call to durable (flush resolved): median ${lagAt(0.5)} ms, p95 ${lagAt(0.95)} ms, max ${lagAt(1)} ms`,
      ].join('\n'),
    );
    expect(pageErrors).toEqual([]);
    expect(lost, 'promised messages that never arrived').toEqual([]);
    expect(qos2Twice, 'QoS 2 messages delivered twice').toEqual([]);
  }, 120_000);
});

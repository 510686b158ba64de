import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBrowserBuild, ROOT } from '../../scripts/browser-build.js';
import { type Browser, describeWithChromium, launchChromium, type Page } from '../helpers/chromium.js';
import { type StaticServer, serveStatic } from '../helpers/static-server.js';

/** test/helpers/store-ops.ts as one browser module, so the page replays the file store tests' operation stream. */
async function bundleStoreOps(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'test/helpers/store-ops.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

interface ErrorFields {
  isStateError: boolean;
  isInvalidArgument: boolean;
  code: string;
  field?: string;
  retryable: boolean;
  message: string;
}

type Scenarios = Record<string, (...args: unknown[]) => Promise<unknown>>;

describeWithChromium('IndexedDbStore in Chromium (dist/browser.js)', () => {
  let pages: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let dbCount = 0;
  const dbName = () => `idb-unit-${++dbCount}`;

  /** Runs export `name` of pages/indexeddb-store.js in the page. */
  function scenario<T>(name: string, ...args: unknown[]): Promise<T> {
    return page.evaluate(
      ([n, a]) =>
        ((window as unknown as { idbTest: Scenarios }).idbTest[n as string] as (...x: unknown[]) => Promise<unknown>)(...(a as unknown[])),
      [name, args] as const,
    ) as Promise<T>;
  }

  beforeAll(async () => {
    const [, served, launched] = await Promise.all([
      ensureBrowserBuild(),
      bundleStoreOps().then((storeOps) =>
        serveStatic(
          { '/dist/': path.join(ROOT, 'dist'), '/pages/': path.join(ROOT, 'test/browser/pages') },
          { '/gen/store-ops.js': storeOps },
        ),
      ),
      launchChromium(),
    ]);
    pages = served;
    browser = launched;
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${pages.origin}/pages/indexeddb-store.html`);
    await page.waitForFunction(() => (window as unknown as { idbTest?: unknown }).idbTest !== undefined, null, { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    expect(pageErrors).toEqual([]);
    await browser?.close();
    await pages?.close();
  });

  it('round trip: outgoing entries (ids, phases, resend order, MQTT 5 properties), incoming QoS 2 ids and the queue in order survive close and reopen', async () => {
    const r = await scenario<{
      restoredWhenNew: object;
      before: { outgoing: [number, string][] };
      after: object;
      restored: object;
      firstQueuedHasId: boolean;
    }>('roundTrip', dbName());
    expect(r.restoredWhenNew).toEqual({ outgoing: 0, incoming: 0, queued: 0 });
    expect(r.after).toEqual(r.before);
    expect(r.before.outgoing.map(([id, phase]) => [id, phase])).toEqual([
      [7, 'publish'],
      [9, 'publish'],
      [3, 'pubrel'],
    ]);
    expect(r.restored).toEqual({ outgoing: 3, incoming: 2, queued: 3 });
    expect(r.firstQueuedHasId).toBe(false);
  });

  it('deletes, dequeues, removals and clearSession (with changes after it in the same tick) are stored too', async () => {
    const r = await scenario<{
      removed: boolean;
      removedStranger: boolean;
      dequeued: string;
      afterRemovals: { outgoing: [number][]; incoming: number[]; queue: { topic: string }[] };
      afterClear: { outgoing: [number][]; incoming: number[]; queue: { topic: string }[] };
    }>('removals', dbName());
    expect([r.removed, r.removedStranger, r.dequeued]).toEqual([true, false, 'a']);
    expect(r.afterRemovals.outgoing.map(([id]) => id)).toEqual([1, 3, 5]);
    expect(r.afterRemovals.incoming).toEqual([2]);
    expect(r.afterRemovals.queue.map((p) => p.topic)).toEqual(['b', 'd']);
    expect(r.afterClear.outgoing.map(([id]) => id)).toEqual([8]);
    expect(r.afterClear.incoming).toEqual([77]);
    expect(r.afterClear.queue.map((p) => p.topic)).toEqual(['b', 'd']);
  });

  it('random operation streams reopen to the state a MemoryStore reaches (the file store tests’ stream)', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await scenario<{ reopens: number; transactions: number; mismatches: unknown[]; outgoing: number; queued: number }>(
        'modelCheck',
        dbName(),
        seed,
        1_500,
        150,
      );
      expect(r.mismatches, `seed ${seed}`).toEqual([]);
      expect(r.reopens).toBe(10);
      expect(r.transactions).toBeGreaterThan(10);
    }
  });

  it('the changes of one tick go in one transaction; flush() with nothing new starts none', async () => {
    const r = await scenario<{ afterBurst: number; afterIdleFlush: number; restored: object; phases: string[] }>('batching', dbName());
    expect(r.afterBurst).toBe(1);
    expect(r.afterIdleFlush).toBe(1);
    expect(r.restored).toEqual({ outgoing: 1000, incoming: 1000, queued: 1000 });
    expect(r.phases).toEqual(['pubrel']);
  });

  it("durability 'strict', 'relaxed' and 'default' all store and reopen", async () => {
    expect(await scenario('durabilities', dbName())).toEqual({ strict: [9], relaxed: [9], default: [9] });
  });

  it('a closed store stays readable and refuses changes with MQTTKIT_ERR_STORE_CLOSED', async () => {
    const r = await scenario<{ change: ErrorFields; secondClose: ErrorFields | undefined; stillReadable: boolean; isClosed: boolean }>(
      'closedStore',
      dbName(),
    );
    expect(r.change).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_CLOSED' });
    expect(r.secondClose).toBeUndefined();
    expect([r.stillReadable, r.isClosed]).toEqual([true, true]);
  });

  it('one page per store: a second open waits openTimeout, then rejects with MQTTKIT_ERR_STORE_LOCKED; after close it opens', async () => {
    const r = await scenario<{ second: ErrorFields; waitedAtLeastTimeout: boolean; reopenedAfterClose: boolean }>('locked', dbName());
    expect(r.second).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_LOCKED', retryable: true });
    expect(r.waitedAtLeastTimeout).toBe(true);
    expect(r.reopenedAfterClose).toBe(true);
  });

  it('a foreign database is refused with MQTTKIT_ERR_STORE_CORRUPT and left untouched', async () => {
    const r = await scenario<{ error: ErrorFields; untouched: unknown[] }>('foreign', dbName());
    expect(r.error).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_CORRUPT' });
    expect(r.error.message).toMatch(/not an mqttkit store/);
    expect(r.untouched).toEqual(['keep me']);
  });

  it('a damaged record, a foreign format marker and a newer database version are refused with MQTTKIT_ERR_STORE_CORRUPT', async () => {
    const r = await scenario<Record<string, ErrorFields>>('corruptRecord', dbName());
    for (const key of ['badPacket', 'badValue', 'badFormat']) {
      expect(r[key], key).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_CORRUPT' });
    }
    expect(r.badPacket.message).toMatch(/outgoing record \(key 5\)/);
    const newer = await scenario<{ error: ErrorFields }>('newerVersion', dbName());
    expect(newer.error).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_CORRUPT' });
  });

  it('an open held up by another connection (a blocked deletion) rejects with MQTTKIT_ERR_STORE_BLOCKED and creates nothing later', async () => {
    const r = await scenario<{ deletionBlocked: boolean; error: ErrorFields; storesLeftBehind: string[] }>('blocked', dbName());
    expect(r.deletionBlocked).toBe(true);
    expect(r.error).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_BLOCKED', retryable: true });
    expect(r.storesLeftBehind).toEqual([]);
  });

  it('without IndexedDB, open rejects with MQTTKIT_ERR_STORE_UNAVAILABLE', async () => {
    const r = await scenario<{ error: ErrorFields }>('unavailable', dbName());
    expect(r.error).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_UNAVAILABLE' });
  });

  it('bad arguments reject with an InvalidArgumentError naming the option, and open nothing', async () => {
    const r = await scenario<Record<string, ErrorFields> & { created: boolean }>('badOptions');
    expect(r.name).toMatchObject({ isInvalidArgument: true, field: 'name' });
    expect(r.durability).toMatchObject({ isInvalidArgument: true, field: 'options.durability' });
    expect(r.openTimeout).toMatchObject({ isInvalidArgument: true, field: 'options.openTimeout' });
    expect(r.onError).toMatchObject({ isInvalidArgument: true, field: 'options.onError' });
    expect(r.created).toBe(false);
  });

  it('an aborted transaction: MQTTKIT_ERR_STORE_IO once (onError, flush); the next transaction stores the whole state, and a reopen finds exactly it', async () => {
    const r = await scenario<{
      failed: ErrorFields;
      recovered: ErrorFields | undefined;
      same: boolean;
      after: { outgoing: [number, string][]; queue: { topic: string }[] };
      stats: { failures: number };
      reported: ErrorFields[];
    }>('abortedWrite', dbName());
    expect(r.failed).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_IO', retryable: true });
    // Reported once, though the rewrites tried while the fault lasts fail too (they carry the big packet).
    expect(r.reported).toHaveLength(1);
    expect(r.stats.failures).toBeGreaterThanOrEqual(2);
    expect(r.recovered).toBeUndefined();
    expect(r.same).toBe(true);
    expect(r.after.outgoing.map(([id, phase]) => [id, phase])).toEqual([
      [2, 'publish'],
      [1, 'pubrel'],
    ]);
    expect(r.after.queue.map((p) => p.topic)).toEqual(['q/big']);
  });

  it('site data cleared under an open store: writes fail with MQTTKIT_ERR_STORE_IO (onError once, flush and close reject), memory keeps the state', async () => {
    await scenario('holdStore', dbName());
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin: pages.origin, storageTypes: 'indexeddb' });
    await cdp.detach();
    const r = await scenario<{
      commit: string;
      flush: ErrorFields;
      flushAgain: ErrorFields;
      close: ErrorFields;
      reported: ErrorFields[];
      inMemory: number[];
    }>('writeAfterClear');
    for (const key of ['flush', 'flushAgain', 'close'] as const) {
      expect(r[key], key).toMatchObject({ isStateError: true, code: 'MQTTKIT_ERR_STORE_IO', retryable: true });
    }
    expect(r.commit).toBe('resolved');
    expect(r.reported).toHaveLength(1);
    expect(r.reported[0]).toMatchObject({ code: 'MQTTKIT_ERR_STORE_IO' });
    expect(r.inMemory).toEqual([1, 2, 3]);
  });
});

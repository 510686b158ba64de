// The page half of test/browser/indexeddb-reload.test.ts: a publisher that
// keeps its session in an IndexedDbStore and gets reloaded mid-stream.
//
// On every load it opens the same store, connects with the same client id
// (clean: false, MQTT 5 session expiry), and lets the client resend what the
// store kept. The test then calls window.publisher.publish(from, to): message
// n goes to `${prefix}/n` with QoS 1 (even n) or 2 (odd n), at most WINDOW
// unsettled at a time. What the test needs to know at the moment it reloads
// is in window.publisher.progress:
//   called   the highest n whose publish() was called (they are called in order)
//   durable  the highest n such that a store.flush() started after its publish() call has resolved
//   settled  the numbers whose publish() resolved
import { createClient, IndexedDbStore } from '/dist/browser.js';

const WINDOW = 64;

const params = new URLSearchParams(location.search);
const wsUrl = params.get('ws');
const prefix = params.get('prefix');
const clientId = params.get('clientId');
const storeName = params.get('store');

const progress = { called: 0, durable: 0, settled: [], failed: [], lags: [] };
const state = { phase: 'loading', stop: false, restored: undefined, errors: [], done: false };
window.publisher = { progress, state, publish };

function status(text) {
  document.getElementById('status').textContent = text;
}

let client;
let store;

export async function boot() {
  try {
    store = await IndexedDbStore.open(storeName);
    state.restored = { ...store.restored };
    client = createClient(wsUrl, {
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
      store,
      keepAlive: 30,
      reconnect: { initialDelay: 100, maxDelay: 500 },
    });
    client.on('error', (err) => state.errors.push(`${err.code}: ${err.message}`));
    await client.connect();
    state.phase = 'ready';
    status(`ready; restored ${JSON.stringify(state.restored)}`);
  } catch (err) {
    state.phase = 'failed';
    state.errors.push(String(err?.stack ?? err));
    status(`failed: ${err}`);
  }
}

const text = new TextEncoder();
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Marks everything called so far as durable once a flush started now resolves (at the end of a batch). */
function markDurable(batchStart) {
  const upTo = progress.called;
  store.flush().then(
    () => {
      if (upTo <= progress.durable) return;
      progress.durable = upTo;
      progress.lags.push(performance.now() - batchStart);
    },
    () => {},
  );
}

/** Publishes from..to in order, a window at a time; stops at once when state.stop is set (the test reloads then). */
async function publish(from, to) {
  let unsettled = 0;
  let wake;
  const settledOne = () => {
    unsettled--;
    wake?.();
  };
  let batchStart = performance.now();
  for (let n = from; n <= to && !state.stop; n++) {
    unsettled++;
    client
      .publish(`${prefix}/${n}`, text.encode(String(n)), { qos: n % 2 === 0 ? 1 : 2 })
      .then(
        () => progress.settled.push(n),
        (err) => progress.failed.push(`${n}: ${err.code}`),
      )
      .finally(settledOne);
    progress.called = n;
    if (n % 8 === 0 || unsettled >= WINDOW || n === to) {
      markDurable(batchStart);
      await nextTask();
      while (unsettled >= WINDOW && !state.stop) await new Promise((resolve) => (wake = resolve));
      batchStart = performance.now();
    }
  }
  while (unsettled > 0 && !state.stop) await new Promise((resolve) => (wake = resolve));
  if (state.stop) return;
  // Everything restored from the store is through as well.
  while ((client.inFlightCount > 0 || client.queuedCount > 0) && !state.stop) await new Promise((resolve) => setTimeout(resolve, 20));
  state.done = true;
  status(`published ${from}..${to}`);
}

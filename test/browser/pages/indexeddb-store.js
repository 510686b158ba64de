// The in-page half of the unit-level tests in test/browser/indexeddb-store.test.ts.
// Each export runs one scenario against dist/browser.js's IndexedDbStore in
// Chromium and returns plain data (states, typed errors as fields) for the
// test to assert on. /gen/store-ops.js is test/helpers/store-ops.ts, bundled
// by the test, so the model check uses the very operation stream the file
// store's tests use.
import { IndexedDbStore, InvalidArgumentError, MemoryStore, StateError } from '/dist/browser.js';
import { applyStreamOp, stateOf } from '/gen/store-ops.js';

const text = new TextEncoder();

function publish(topic, payload, qos, extra = {}) {
  return { type: 'publish', topic, payload: text.encode(payload), qos, retain: false, dup: false, ...extra };
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A store's state as JSON-safe data (bytes as hex); incoming ids sorted, as they are a set. */
function plainState(store) {
  const state = JSON.parse(JSON.stringify(stateOf(store), (_, v) => (v instanceof Uint8Array ? `bytes:${hex(v)}` : v)));
  state.incoming.sort((a, b) => a - b);
  return state;
}

/** A typed error as plain fields (or undefined when nothing was thrown). */
function errorFields(err) {
  if (err === undefined) return undefined;
  return {
    isStateError: err instanceof StateError,
    isInvalidArgument: err instanceof InvalidArgumentError,
    name: err.name,
    code: err.code,
    field: err.field,
    retryable: err.retryable,
    message: err.message,
  };
}

async function rejectionOf(promise) {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return errorFields(err);
  }
}

function thrownBy(fn) {
  try {
    fn();
    return undefined;
  } catch (err) {
    return errorFields(err);
  }
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** A raw IndexedDB connection (not mqttkit's), creating `stores` on upgrade. */
function rawOpen(name, version, stores = []) {
  const req = indexedDB.open(name, version);
  req.onupgradeneeded = () => {
    for (const s of stores) if (!req.result.objectStoreNames.contains(s)) req.result.createObjectStore(s);
  };
  return request(req);
}

async function rawPut(name, store, value, key) {
  const db = await rawOpen(name, 1);
  const tx = db.transaction(store, 'readwrite');
  tx.objectStore(store).put(value, key);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error);
  });
  db.close();
}

async function rawRead(name, store) {
  const db = await rawOpen(name, undefined);
  const all = await request(db.transaction(store).objectStore(store).getAll());
  db.close();
  return all;
}

/** Deterministic [0, 1) numbers (mulberry32). */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

export async function roundTrip(name) {
  const store = await IndexedDbStore.open(name);
  const restoredWhenNew = store.restored;
  const props = {
    userProperties: [['k', 'v']],
    correlationData: new Uint8Array([1, 2, 3]),
    contentType: 'application/json',
    messageExpiryInterval: 60,
    responseTopic: 'reply/here',
    payloadFormatIndicator: true,
  };
  store.putOutgoing({ packetId: 7, phase: 'publish', packet: publish('a/1', 'one', 1, { packetId: 7, properties: props }) });
  store.putOutgoing({ packetId: 3, phase: 'publish', packet: publish('a/2', 'two', 2, { packetId: 3, retain: true }) });
  store.putOutgoing({ packetId: 9, phase: 'publish', packet: publish('a/3', '', 2, { packetId: 9 }) });
  // A phase change moves the entry to the end: PUBRELs resend in PUBREC order.
  store.putOutgoing({ packetId: 3, phase: 'pubrel', packet: store.getOutgoing(3).packet });
  store.addIncoming(42);
  store.addIncoming(65535);
  store.enqueue(publish('q/1', 'first', 0));
  store.enqueue(publish('q/2', 'second', 2, { properties: { userProperties: [['x', 'y']] } }));
  store.requeue(publish('q/0', 'zeroth', 1, { retain: true }));
  const before = plainState(store);
  await store.close();
  const again = await IndexedDbStore.open(name);
  const after = plainState(again);
  const restored = again.restored;
  const firstQueued = again.peekQueue();
  await again.close();
  return { restoredWhenNew, before, after, restored, firstQueuedHasId: firstQueued.packetId !== undefined };
}

export async function removals(name) {
  let store = await IndexedDbStore.open(name);
  for (let id = 1; id <= 5; id++)
    store.putOutgoing({ packetId: id, phase: 'publish', packet: publish(`t/${id}`, 'p', 1, { packetId: id }) });
  store.deleteOutgoing(2);
  store.deleteOutgoing(4);
  store.addIncoming(1);
  store.addIncoming(2);
  store.deleteIncoming(1);
  const packets = ['a', 'b', 'c', 'd'].map((t) => publish(t, t, 1));
  for (const p of packets) store.enqueue(p);
  const removed = store.removeQueued(packets[2]);
  const removedStranger = store.removeQueued(publish('not queued', '', 0));
  const dequeued = store.dequeue().topic;
  await nextTask();
  await store.close();
  store = await IndexedDbStore.open(name);
  const afterRemovals = plainState(store);
  store.clearSession();
  // Recorded after the clear, in the same tick: must survive it.
  store.addIncoming(77);
  store.putOutgoing({ packetId: 8, phase: 'publish', packet: publish('t/8', 'p', 2, { packetId: 8 }) });
  await store.close();
  store = await IndexedDbStore.open(name);
  const afterClear = plainState(store);
  await store.close();
  return { removed, removedStranger, dequeued, afterRemovals, afterClear };
}

/** Random operation streams on an IndexedDbStore and a MemoryStore, reopening the former now and then: same state. */
export async function modelCheck(name, seed, operations, reopenEvery) {
  const random = seededRandom(seed);
  const model = new MemoryStore();
  let store = await IndexedDbStore.open(name);
  const mismatches = [];
  let reopens = 0;
  let transactions = 0;
  for (let n = 0; n < operations; n++) {
    const values = [];
    applyStreamOp(model, n, () => {
      const v = random();
      values.push(v);
      return v;
    });
    let i = 0;
    applyStreamOp(store, n, () => values[i++]);
    if (n % 17 === 0) await nextTask();
    if (n % reopenEvery === reopenEvery - 1) {
      transactions += store.stats.transactions;
      // Every other time without waiting for the tick to end: close() must store what is pending itself.
      if (reopens % 2 === 0) await store.flush();
      await store.close();
      store = await IndexedDbStore.open(name);
      reopens++;
      const got = plainState(store);
      const want = plainState(model);
      for (const part of ['outgoing', 'incoming', 'queue']) {
        if (JSON.stringify(got[part]) !== JSON.stringify(want[part]) && mismatches.length < 3) {
          mismatches.push({ after: n + 1, part, got: got[part], want: want[part] });
        }
      }
    }
  }
  await store.close();
  const final = plainState(model);
  return { reopens, transactions, mismatches, outgoing: final.outgoing.length, queued: final.queue.length };
}

/** Many changes in one tick go to the database in one transaction. */
export async function batching(name) {
  const store = await IndexedDbStore.open(name);
  for (let id = 1; id <= 1000; id++) {
    store.putOutgoing({ packetId: id, phase: 'publish', packet: publish(`b/${id}`, 'x'.repeat(100), 2, { packetId: id }) });
    store.putOutgoing({ packetId: id, phase: 'pubrel', packet: store.getOutgoing(id).packet });
    store.addIncoming(id);
    store.enqueue(publish(`q/${id}`, 'y', 1));
  }
  await store.flush();
  const afterBurst = store.stats.transactions;
  await store.flush();
  const afterIdleFlush = store.stats.transactions;
  await store.close();
  const again = await IndexedDbStore.open(name);
  const restored = again.restored;
  const phases = new Set([...again.outgoing()].map((e) => e.phase));
  await again.close();
  return { afterBurst, afterIdleFlush, restored, phases: [...phases] };
}

/** Each durability hint IndexedDB knows stores the same way. */
export async function durabilities(name) {
  const found = {};
  for (const durability of ['strict', 'relaxed', 'default']) {
    const store = await IndexedDbStore.open(`${name}-${durability}`, { durability });
    store.addIncoming(9);
    await store.flush();
    await store.close();
    const again = await IndexedDbStore.open(`${name}-${durability}`);
    found[durability] = [...again.incoming()];
    await again.close();
  }
  return found;
}

export async function closedStore(name) {
  const store = await IndexedDbStore.open(name);
  store.addIncoming(5);
  await store.close();
  const change = thrownBy(() => store.addIncoming(6));
  const secondClose = await rejectionOf(store.close());
  return { change, secondClose, stillReadable: store.hasIncoming(5), isClosed: store.isClosed };
}

export async function locked(name) {
  const first = await IndexedDbStore.open(name);
  const started = performance.now();
  const second = await rejectionOf(IndexedDbStore.open(name, { openTimeout: 200 }));
  const waited = performance.now() - started;
  await first.close();
  const third = await IndexedDbStore.open(name);
  await third.close();
  return { second, waitedAtLeastTimeout: waited >= 195, reopenedAfterClose: true };
}

export async function foreign(name) {
  const db = await rawOpen(name, 1, ['notes']);
  const tx = db.transaction('notes', 'readwrite');
  tx.objectStore('notes').put('keep me', 1);
  await new Promise((resolve) => (tx.oncomplete = resolve));
  db.close();
  const error = await rejectionOf(IndexedDbStore.open(name));
  return { error, untouched: await rawRead(name, 'notes') };
}

export async function corruptRecord(name) {
  const store = await IndexedDbStore.open(name);
  store.putOutgoing({ packetId: 4, phase: 'publish', packet: publish('ok', 'ok', 1, { packetId: 4 }) });
  await store.close();
  await rawPut(name, 'outgoing', { seq: 9, phase: 'publish', packet: new Uint8Array([0x30, 0x7f, 1]) }, 5);
  const badPacket = await rejectionOf(IndexedDbStore.open(name));
  await rawPut(name, 'outgoing', 'not a record', 5);
  const badValue = await rejectionOf(IndexedDbStore.open(name));
  await rawPut(name, 'meta', 'somebody-else/3', 'format');
  const badFormat = await rejectionOf(IndexedDbStore.open(name));
  return { badPacket, badValue, badFormat };
}

export async function newerVersion(name) {
  const db = await rawOpen(name, 3, ['outgoing']);
  db.close();
  return { error: await rejectionOf(IndexedDbStore.open(name)) };
}

/** A deletion waiting for another connection holds every open of that database: open gives up after openTimeout. */
export async function blocked(name) {
  const holder = await rawOpen(name, 1, ['x']);
  const deletion = indexedDB.deleteDatabase(name);
  const deletionBlocked = await new Promise((resolve) => {
    deletion.onblocked = () => resolve(true);
    deletion.onsuccess = () => resolve(false);
  });
  const error = await rejectionOf(IndexedDbStore.open(name, { openTimeout: 300 }));
  const deleted = new Promise((resolve) => (deletion.onsuccess = resolve));
  holder.close();
  await deleted;
  // The open given up on runs once the deletion is done, before any open queued after it: it must create nothing.
  const after = await rawOpen(name, undefined);
  const storesLeftBehind = [...after.objectStoreNames];
  after.close();
  return { deletionBlocked, error, storesLeftBehind };
}

export async function unavailable(name) {
  const own = Object.getOwnPropertyDescriptor(window, 'indexedDB');
  Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  try {
    return { error: await rejectionOf(IndexedDbStore.open(name)) };
  } finally {
    if (own === undefined) delete window.indexedDB;
    else Object.defineProperty(window, 'indexedDB', own);
  }
}

export async function badOptions() {
  return {
    name: await rejectionOf(IndexedDbStore.open('')),
    durability: await rejectionOf(IndexedDbStore.open('x', { durability: 'fast' })),
    openTimeout: await rejectionOf(IndexedDbStore.open('x', { openTimeout: -1 })),
    onError: await rejectionOf(IndexedDbStore.open('x', { onError: 'log' })),
    created: (await indexedDB.databases()).some((d) => d.name === 'x'),
  };
}

/**
 * A transaction that aborts (as IndexedDB does on QuotaExceededError: injected
 * here by aborting the transaction of any put over 1 MB), then room again: the
 * next transaction stores the whole state, and a reopen finds exactly it.
 */
export async function abortedWrite(name) {
  const found = [];
  const store = await IndexedDbStore.open(name, { onError: (e) => found.push(errorFields(e)) });
  store.putOutgoing({ packetId: 1, phase: 'publish', packet: publish('q/1', 'one', 1, { packetId: 1 }) });
  store.enqueue(publish('q/2', 'two', 2));
  await store.flush();

  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (value, key) {
    const request = put.call(this, value, key);
    if (value instanceof Uint8Array && value.length > 1_000_000) this.transaction.abort();
    return request;
  };
  let failed;
  try {
    store.enqueue(publish('q/big', 'x'.repeat(2_000_000), 1));
    failed = await rejectionOf(store.flush());
    // Made after the failure, before room is back: they wait in memory.
    store.putOutgoing({ packetId: 2, phase: 'publish', packet: publish('q/3', 'three', 2, { packetId: 2 }) });
    store.putOutgoing({ packetId: 1, phase: 'pubrel', packet: store.getOutgoing(1).packet });
    store.dequeue();
    await nextTask();
  } finally {
    IDBObjectStore.prototype.put = put;
  }
  const recovered = await rejectionOf(store.flush());
  const before = plainState(store);
  const stats = store.stats;
  await store.close();
  const again = await IndexedDbStore.open(name);
  const after = plainState(again);
  await again.close();
  return { failed, recovered, same: JSON.stringify(before) === JSON.stringify(after), after, stats, reported: found };
}

let held;
const reported = [];

/** Step 1 of the cleared-site-data scenario: a store with a record, kept open. */
export async function holdStore(name) {
  held = await IndexedDbStore.open(name, { onError: (e) => reported.push(errorFields(e)) });
  held.addIncoming(1);
  await held.flush();
}

/** Step 2, after the test cleared the origin's IndexedDB data: writes fail loudly, memory keeps the state. */
export async function writeAfterClear() {
  held.addIncoming(2);
  // commit() never rejects: a host may wait for it before each network write.
  const commit = await held.commit().then(
    () => 'resolved',
    () => 'rejected',
  );
  const flush = await rejectionOf(held.flush());
  held.addIncoming(3);
  const flushAgain = await rejectionOf(held.flush());
  const close = await rejectionOf(held.close());
  return { commit, flush, flushAgain, close, reported, inMemory: [...held.incoming()] };
}

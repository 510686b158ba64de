/**
 * FileStore: records round-trip through close and open, in order; the file is
 * compacted as it grows; a torn or corrupt last record (cut or flipped at
 * every byte) is dropped and cut off; the fsync policies; the lock; and a
 * child process killed with SIGKILL mid-stream (also mid-compaction) leaves a
 * store that opens to exactly the state after some operation at or past the
 * last one it reported committed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Decoder } from '../../src/codec/decoder.js';
import { encode } from '../../src/codec/encode.js';
import type { Packet, PublishPacket } from '../../src/codec/types.js';
import { InvalidArgumentError, type MqttkitError, StateError } from '../../src/errors.js';
import { createClient } from '../../src/node.js';
import { FileStore, type FileStoreOptions } from '../../src/store/file.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { TransportFactory } from '../../src/transport/types.js';
import { seededRandom } from '../helpers/engine-harness.js';
import { applyStreamOp, type InspectableStore, stateOf, streamPacket } from '../helpers/store-ops.js';

const text = new TextEncoder();
let dir: string;
let path: string;
const opened: FileStore[] = [];

async function open(options: FileStoreOptions = {}, at = path): Promise<FileStore> {
  const store = await FileStore.open(at, { fsync: 'never', ...options });
  opened.push(store);
  return store;
}

async function reopen(store: FileStore, options: FileStoreOptions = {}): Promise<FileStore> {
  await store.close();
  return open(options);
}

function publish(topic: string, payload: string, qos: 0 | 1 | 2, extra: Partial<PublishPacket> = {}): PublishPacket {
  return { type: 'publish', topic, payload: text.encode(payload), qos, retain: false, dup: false, ...extra };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mqttkit-store-'));
  path = join(dir, 'session.db');
});

afterEach(async () => {
  vi.useRealTimers();
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('FileStore: records round-trip', () => {
  it('outgoing entries (ids, phases, packets, order), incoming ids and the queue survive close and open', async () => {
    const store = await open();
    const props = {
      userProperties: [['k', 'v'] as [string, string]],
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
    store.putOutgoing({ packetId: 3, phase: 'pubrel', packet: store.getOutgoing(3)?.packet as PublishPacket });
    store.addIncoming(42);
    store.addIncoming(65_535);
    store.enqueue(publish('q/1', 'first', 0));
    store.enqueue(publish('q/2', 'second', 2, { properties: { userProperties: [['x', 'y']] } }));
    store.requeue(publish('q/0', 'zeroth', 1, { retain: true }));
    const before = stateOf(store);

    const again = await reopen(store);
    expect(stateOf(again)).toEqual(before);
    expect(before.outgoing.map(([id, phase]) => [id, phase])).toEqual([
      [7, 'publish'],
      [9, 'publish'],
      [3, 'pubrel'],
    ]);
    expect(again.restored).toMatchObject({ outgoing: 3, incoming: 2, queued: 3, droppedBytes: 0 });
    expect(again.getOutgoing(7)?.packet.properties).toEqual(props);
    expect(again.peekQueue()?.topic).toBe('q/0');
    expect(again.peekQueue()?.packetId).toBeUndefined();
  });

  it('deletes, dequeues, removals and clearSession are replayed too', async () => {
    const store = await open();
    for (let id = 1; id <= 5; id++)
      store.putOutgoing({ packetId: id, phase: 'publish', packet: publish(`t/${id}`, 'p', 1, { packetId: id }) });
    store.deleteOutgoing(2);
    store.deleteOutgoing(4);
    store.addIncoming(1);
    store.addIncoming(2);
    store.deleteIncoming(1);
    const packets = ['a', 'b', 'c', 'd'].map((t) => publish(t, t, 1));
    for (const p of packets) store.enqueue(p);
    expect(store.removeQueued(packets[2])).toBe(true);
    expect(store.removeQueued(publish('not queued', '', 0))).toBe(false);
    expect(store.dequeue()?.topic).toBe('a');
    let again = await reopen(store);
    expect(stateOf(again).outgoing.map(([id]) => id)).toEqual([1, 3, 5]);
    expect(stateOf(again).incoming).toEqual([2]);
    expect(stateOf(again).queue.map((p) => p.topic)).toEqual(['b', 'd']);

    again.clearSession();
    again = await reopen(again);
    expect(stateOf(again)).toMatchObject({ outgoing: [], incoming: [] });
    expect(stateOf(again).queue.map((p) => p.topic)).toEqual(['b', 'd']);
  });

  it('random operation streams replay to the state a MemoryStore reaches (with compactions on the way)', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = seededRandom(seed);
      const modelRandom = seededRandom(seed);
      const model = new MemoryStore();
      let store = await open({ compactMinBytes: 2_048, compactRatio: 2 });
      let compactions = 0;
      for (let n = 0; n < 1_500; n++) {
        applyStreamOp(model, n, modelRandom);
        applyStreamOp(store, n, random);
        if (n % 97 === 0) store.commit();
        if (n % 500 === 499) {
          compactions += store.stats.compactions;
          store = await reopen(store, { compactMinBytes: 2_048, compactRatio: 2 });
          expect(stateOf(store), `seed ${seed}, after ${n + 1} operations`).toEqual(stateOf(model));
        }
      }
      expect(compactions, `seed ${seed}`).toBeGreaterThan(0);
      await store.close();
      rmSync(path);
    }
  });

  it('records reach the file by the end of the tick they were made in, or at commit()', async () => {
    const store = await open();
    const size = statSync(path).size;
    store.enqueue(publish('t', 'queued', 1));
    expect(store.stats.pendingBytes).toBeGreaterThan(0);
    expect(statSync(path).size).toBe(size);
    await Promise.resolve();
    expect(store.stats.pendingBytes).toBe(0);
    expect(statSync(path).size).toBeGreaterThan(size);

    store.addIncoming(5);
    store.commit();
    expect(store.stats.pendingBytes).toBe(0);
    expect(statSync(path).size).toBe(store.stats.fileBytes);
  });
});

describe('FileStore: compaction', () => {
  it('keeps the file within compactRatio x the live state (past compactMinBytes) and loses nothing', async () => {
    const options = { compactMinBytes: 16 * 1024, compactRatio: 3 };
    let store = await open(options);
    store.enqueue(publish('kept/front', 'stays queued', 2));
    store.addIncoming(77);
    let maxFile = 0;
    for (let i = 0; i < 5_000; i++) {
      const id = (i % 500) + 1;
      const packet = { ...streamPacket(i, 2), packetId: id };
      store.putOutgoing({ packetId: id, phase: 'publish', packet });
      store.putOutgoing({ packetId: id, phase: 'pubrel', packet });
      if (i % 10 !== 0) store.deleteOutgoing(id);
      store.commit();
      maxFile = Math.max(maxFile, statSync(path).size);
    }
    const live = stateOf(store);
    expect(live.outgoing).toHaveLength(500 / 10);
    expect(store.stats.compactions).toBeGreaterThan(3);

    // The live state's own size: the same state written to a fresh store.
    const fresh = await open({}, join(dir, 'fresh.db'));
    for (const entry of store.outgoing()) {
      fresh.putOutgoing({ ...entry, phase: 'publish' });
      if (entry.phase === 'pubrel') fresh.putOutgoing(entry);
    }
    for (const id of store.incoming()) fresh.addIncoming(id);
    for (const p of store.queued()) fresh.enqueue(p);
    fresh.commit();
    const liveBytes = fresh.stats.fileBytes;
    // The live state only grew, so its final size bounds every earlier one; a check that finds compaction not yet
    // worth it looks again 64 KiB later, and one commit's records can come on top.
    expect(maxFile).toBeLessThanOrEqual(Math.max(options.compactMinBytes, 3 * liveBytes) + 64 * 1024 + 2 * 1024);
    store = await reopen(store, options);
    expect(stateOf(store)).toEqual(live);
  });

  it('a compaction cut short before its rename leaves the old file whole; the leftover temp file is removed on open', async () => {
    const store = await open();
    store.enqueue(publish('t', 'survives', 1));
    const before = stateOf(store);
    await store.close();
    writeFileSync(`${path}.compact`, 'MQKS\u0001\u0000\u0000\u0000half a snapshot');
    const again = await open();
    expect(stateOf(again)).toEqual(before);
    expect(existsSync(`${path}.compact`)).toBe(false);
  });
});

describe('FileStore: a torn or corrupt tail', () => {
  /** A closed store whose last record is a publish; returns the file and where that record starts. */
  async function withLastRecord(): Promise<{ bytes: Buffer; lastStart: number; before: ReturnType<typeof stateOf> }> {
    const store = await open();
    store.putOutgoing({ packetId: 1, phase: 'publish', packet: publish('a', 'one', 1, { packetId: 1 }) });
    store.addIncoming(9);
    store.enqueue(publish('b', 'two', 2));
    store.commit();
    const lastStart = store.stats.fileBytes;
    const before = stateOf(store);
    store.enqueue(publish('c/last', 'the record that gets torn', 1, { properties: { userProperties: [['u', 'p']] } }));
    await store.close();
    return { bytes: readFileSync(path), lastStart, before };
  }

  it('cut at every byte offset of the last record: opens with the records before it, cuts the tail, appends after it', async () => {
    const { bytes, lastStart, before } = await withLastRecord();
    expect(bytes.length - lastStart).toBeGreaterThan(30);
    for (let cut = lastStart; cut < bytes.length; cut++) {
      writeFileSync(path, bytes.subarray(0, cut));
      const store = await open();
      expect(stateOf(store), `cut at ${cut}`).toEqual(before);
      expect(store.restored.droppedBytes).toBe(cut - lastStart);
      expect(statSync(path).size).toBe(lastStart);
      store.addIncoming(1_000);
      const again = await reopen(store);
      expect(stateOf(again).incoming).toEqual([...before.incoming, 1_000]);
      await again.close();
    }
  });

  it('any byte of the last record flipped: that record is dropped, the ones before it are kept', async () => {
    const { bytes, lastStart, before } = await withLastRecord();
    for (let at = lastStart; at < bytes.length; at++) {
      const corrupt = Buffer.from(bytes);
      corrupt[at] ^= 0x5a;
      writeFileSync(path, corrupt);
      const store = await open();
      expect(stateOf(store), `byte ${at} flipped`).toEqual(before);
      expect(store.restored.droppedBytes).toBe(bytes.length - lastStart);
      await store.close();
    }
  });

  it('a file that is not a store is refused with MQTTKIT_ERR_STORE_CORRUPT and left untouched (and not locked)', async () => {
    writeFileSync(path, '{"not": "a store"}');
    const error = await FileStore.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('MQTTKIT_ERR_STORE_CORRUPT');
    expect(readFileSync(path, 'utf8')).toBe('{"not": "a store"}');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('an empty or half-created file opens as an empty store', async () => {
    writeFileSync(path, 'MQK');
    const store = await open();
    expect(store.restored).toMatchObject({ outgoing: 0, incoming: 0, queued: 0, records: 0 });
    store.addIncoming(3);
    expect(stateOf(await reopen(store)).incoming).toEqual([3]);
  });
});

describe('FileStore: fsync policies', () => {
  it("'always': every commit that wrote records fsyncs before it returns", async () => {
    const store = await open({ fsync: 'always' });
    store.addIncoming(1);
    store.commit();
    expect(store.stats.fsyncs).toBe(1);
    store.commit(); // nothing new: no write, no fsync
    store.addIncoming(2);
    store.addIncoming(3);
    store.commit();
    expect(store.stats).toMatchObject({ fsyncs: 2, writes: 2 });
  });

  it("'never': commits write without fsync; flush() still syncs everything made so far", async () => {
    const store = await open({ fsync: 'never' });
    for (let i = 1; i <= 10; i++) {
      store.addIncoming(i);
      store.commit();
    }
    expect(store.stats).toMatchObject({ writes: 10, fsyncs: 0 });
    store.addIncoming(11);
    await store.flush();
    expect(store.stats).toMatchObject({ writes: 11, fsyncs: 1, pendingBytes: 0 });
  });

  it('a number: one background fsync that many ms after the first unsynced write', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = await open({ fsync: 250 });
    store.addIncoming(1);
    store.commit();
    store.addIncoming(2);
    store.commit();
    vi.advanceTimersByTime(249);
    expect(store.stats.fsyncs).toBe(0);
    vi.advanceTimersByTime(1);
    await vi.waitFor(() => expect(store.stats.fsyncs).toBe(1));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('bad options are refused with InvalidArgumentError naming the option', async () => {
    const cases: [FileStoreOptions, string][] = [
      [{ fsync: 'sometimes' as 'always' }, 'options.fsync'],
      [{ fsync: -1 }, 'options.fsync'],
      [{ compactRatio: 1 }, 'options.compactRatio'],
      [{ compactMinBytes: 1.5 }, 'options.compactMinBytes'],
    ];
    for (const [options, field] of cases) {
      const error = await FileStore.open(path, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(field);
    }
    expect(existsSync(path)).toBe(false);
  });

  it('a failing write is reported once through onError (MQTTKIT_ERR_STORE_IO); the records stay pending and flush() rejects', async () => {
    const errors: MqttkitError[] = [];
    const store = await open({ onError: (e) => errors.push(e) });
    // Fault injection: a descriptor that is not open makes every write and fsync fail (EBADF).
    const internals = store as unknown as { file: { fd: number; retire(): void } };
    const real = internals.file;
    internals.file = { fd: 2 ** 30, retire: () => real.retire() } as typeof real;
    store.addIncoming(1);
    store.commit();
    store.addIncoming(2);
    store.commit();
    expect(errors.map((e) => e.code)).toEqual(['MQTTKIT_ERR_STORE_IO']);
    expect(store.stats.pendingBytes).toBeGreaterThan(0);
    await expect(store.flush()).rejects.toMatchObject({ code: 'MQTTKIT_ERR_STORE_IO' });
    await expect(store.close()).rejects.toMatchObject({ code: 'MQTTKIT_ERR_STORE_IO' });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('FileStore: lifecycle and lock', () => {
  it('a second open of the same file is refused with MQTTKIT_ERR_STORE_LOCKED until the first is closed', async () => {
    const store = await open();
    const error = await FileStore.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('MQTTKIT_ERR_STORE_LOCKED');
    await store.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    await open();
  });

  it('a lock held by another running process is refused, naming its pid', async () => {
    writeFileSync(`${path}.lock`, `${process.ppid}\n`);
    const error = await FileStore.open(path).catch((e: unknown) => e);
    expect((error as StateError).code).toBe('MQTTKIT_ERR_STORE_LOCKED');
    expect((error as StateError).message).toContain(`process ${process.ppid}`);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('a path in a directory that does not exist is refused with MQTTKIT_ERR_STORE_IO (no lock left behind)', async () => {
    const error = await FileStore.open(join(dir, 'missing', 'session.db')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('MQTTKIT_ERR_STORE_IO');
    await open(); // the in-process registry did not keep the failed path (nor this one)
  });

  it('a stale lock (its process is gone, as after kill -9) is taken over', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid as number;
    await new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(`${path}.lock`, `${pid}\n`);
    const store = await open();
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await store.close();
  });

  it('after close, reads still work and changes throw MQTTKIT_ERR_STORE_CLOSED; close twice is fine', async () => {
    const store = await open();
    store.enqueue(publish('t', 'x', 1));
    await store.close();
    await store.close();
    expect(store.queuedCount).toBe(1);
    expect(() => store.enqueue(publish('t', 'y', 1))).toThrow(expect.objectContaining({ code: 'MQTTKIT_ERR_STORE_CLOSED' }));
    expect(() => store.dequeue()).toThrow(expect.objectContaining({ code: 'MQTTKIT_ERR_STORE_CLOSED' }));
  });
});

describe('FileStore under a client', () => {
  it('write-ahead: when bytes go to the network, every record made so far is already in the file', async () => {
    const store = await open();
    const pendingAtWrite: number[] = [];
    const decoder = new Decoder({ protocolVersion: 5 });
    const factory: TransportFactory = async (_options, handlers) => ({
      encrypted: false,
      write(chunks) {
        pendingAtWrite.push(store.stats.pendingBytes);
        const answers: Packet[] = [];
        for (const chunk of chunks) {
          decoder.feed(chunk);
          for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
            if (p.type === 'connect') answers.push({ type: 'connack', sessionPresent: false, reasonCode: 0 });
            else if (p.type === 'publish' && p.qos === 1) answers.push({ type: 'puback', packetId: p.packetId as number });
            else if (p.type === 'publish' && p.qos === 2) answers.push({ type: 'pubrec', packetId: p.packetId as number });
            else if (p.type === 'pubrel') answers.push({ type: 'pubcomp', packetId: p.packetId });
          }
        }
        for (const a of answers) queueMicrotask(() => handlers.onData(encode(a, 5)));
        return true;
      },
      end() {},
      destroy() {},
    });
    const client = createClient('mqtt://broker', { transport: factory, store, clientId: 'write-ahead', clean: false });
    await new Promise<void>((resolve) => {
      client.on('connect', () => resolve());
      client.start();
    });
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      // A QoS 0 publish first schedules the network write ahead of the store's own end-of-tick write.
      all.push(client.publish('t/0', `zero ${i}`, { qos: 0 }));
      all.push(client.publish('t/1', `one ${i}`, { qos: 1 }));
      all.push(client.publish('t/2', `two ${i}`, { qos: 2 }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    await client.end();
    expect(pendingAtWrite.length).toBeGreaterThan(20);
    expect(pendingAtWrite.filter((bytes) => bytes > 0)).toEqual([]);
    expect(store.outgoingCount).toBe(0);
  });
});

describe('FileStore: a process killed with SIGKILL', () => {
  const CHILD = fileURLToPath(new URL('../fixtures/store-ops-child.ts', import.meta.url));

  /**
   * Runs the child until it reported `target` committed operations, kills it
   * `delay` ms later (so the kill lands anywhere in its loop: mid-append,
   * mid-compaction), and returns the last count it reported.
   */
  async function runAndKill(
    seed: number,
    target: number,
    delay: number,
    compactMinBytes: number,
  ): Promise<{ committed: number; compactions: number; signal: string | null }> {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(seed), String(compactMinBytes)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let committed = 0;
    let compactions = 0;
    let killing = false;
    let rest = '';
    const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^committed (\d+) compactions (\d+)$/.exec(line);
        if (m === null) continue;
        committed = Number(m[1]);
        compactions = Number(m[2]);
        if (committed >= target && !killing) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), delay);
        }
      }
    });
    const signal = await exited;
    return { committed, compactions, signal };
  }

  it('opens to exactly the state after operation k, for some k at or past the last committed report (mid-compaction too)', {
    timeout: 60_000,
  }, async () => {
    const seed = Number(process.env.STORE_KILL_SEED ?? Date.now() % 100_000);
    const random = seededRandom(seed);
    console.log(`store kill test seed ${seed} (STORE_KILL_SEED=${seed} replays it)`);
    for (let run = 0; run < 3; run++) {
      rmSync(path, { force: true });
      const target = 2_000 + Math.floor(random() * 10_000);
      const childSeed = Math.floor(random() * 1e9);
      // Small compaction thresholds so kills land during compactions as well as appends.
      const delay = Math.floor(random() * 25);
      const { committed, compactions, signal } = await runAndKill(childSeed, target, delay, 4_096);
      expect(signal, 'the child ran until it was killed').toBe('SIGKILL');
      const store = await open();
      const restored = stateOf(store);
      const model = new MemoryStore();
      const modelRandom = seededRandom(childSeed);
      let n = 0;
      for (; n < committed; n++) applyStreamOp(model, n, modelRandom);
      const matches = (s: InspectableStore) => JSON.stringify(stateOf(s)) === JSON.stringify(restored);
      let extra = 0;
      while (!matches(model) && extra < 200_000) {
        applyStreamOp(model, n++, modelRandom);
        extra++;
      }
      console.log(
        `run ${run}: killed after ${committed} committed operations (${compactions} compactions); the store holds the state after operation ${n} (${extra} more, dropped tail ${store.restored.droppedBytes} bytes)`,
      );
      expect(stateOf(model)).toEqual(restored);
      await store.close();
    }
  });
});

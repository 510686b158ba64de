/**
 * The engine's pure parts, without an engine: backoff(), PacketIds, Ring,
 * MemoryStore ordering and OutboundAliases.
 */
import { describe, expect, it } from 'vitest';
import type { PublishPacket } from '../../src/codec/types.js';
import { backoff, DEFAULT_BACKOFF } from '../../src/engine/backoff.js';
import { PacketIds } from '../../src/engine/packet-ids.js';
import { OutboundAliases } from '../../src/engine/topic-aliases.js';
import { MemoryStore } from '../../src/store/memory.js';
import { Ring } from '../../src/store/ring.js';

describe('backoff()', () => {
  const policy = { initialDelay: 1_000, maxDelay: 30_000, factor: 2 };

  it('is uniformly random below min(maxDelay, initialDelay * factor^attempt) (full jitter)', () => {
    expect(backoff(0, 0.5, policy)).toBe(500);
    expect(backoff(1, 0.5, policy)).toBe(1_000);
    expect(backoff(3, 0.25, policy)).toBe(2_000);
    expect(backoff(4, 0.999, policy)).toBe(15_984);
  });

  it('random 0 gives 0 and random just below 1 stays below the ceiling', () => {
    expect(backoff(5, 0, policy)).toBe(0);
    const nearlyOne = 1 - Number.EPSILON;
    expect(backoff(0, nearlyOne, policy)).toBe(999);
    expect(backoff(10, nearlyOne, policy)).toBe(29_999);
  });

  it('the ceiling is capped at maxDelay, even for huge attempts (no Infinity, no NaN)', () => {
    expect(backoff(5, 0.5, policy)).toBe(15_000); // 32 000 capped to 30 000
    expect(backoff(1_000, 0.5, policy)).toBe(15_000);
    expect(backoff(Number.MAX_SAFE_INTEGER, 0.5, policy)).toBe(15_000);
  });

  it('the default policy: 1 s doubling to 30 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialDelay: 1_000, maxDelay: 30_000, factor: 2 });
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoff(a, 0.5))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
  });

  it('is a pure function: same inputs, same output', () => {
    for (let a = 0; a < 20; a++) expect(backoff(a, 0.37, policy)).toBe(backoff(a, 0.37, policy));
  });
});

describe('PacketIds', () => {
  it('allocates from 1 upward', () => {
    const ids = new PacketIds();
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 2, 3]);
    expect(ids.inUse).toBe(3);
  });

  it('skips ids still in use', () => {
    const ids = new PacketIds();
    ids.claim(1);
    ids.claim(2);
    ids.claim(4);
    expect(ids.allocate()).toBe(3);
    expect(ids.allocate()).toBe(5);
  });

  it('wraps from 65535 to 1, skipping those still in use', () => {
    const ids = new PacketIds();
    for (let i = 1; i <= 65_534; i++) ids.allocate();
    for (let i = 3; i <= 65_534; i++) ids.release(i);
    expect(ids.allocate()).toBe(65_535);
    expect(ids.allocate()).toBe(3); // 1 and 2 are still in use
    expect(ids.isUsed(1)).toBe(true);
  });

  it('returns 0 when all 65,535 are in use, and an id again once one is released', () => {
    const ids = new PacketIds();
    const seen = new Set<number>();
    for (let i = 0; i < 65_535; i++) seen.add(ids.allocate());
    expect(seen.size).toBe(65_535);
    expect(Math.min(...seen)).toBe(1);
    expect(Math.max(...seen)).toBe(65_535);
    expect(ids.allocate()).toBe(0);
    expect(ids.inUse).toBe(65_535);
    ids.release(4_242);
    expect(ids.allocate()).toBe(4_242);
    expect(ids.allocate()).toBe(0);
  });

  it('release and claim are idempotent', () => {
    const ids = new PacketIds();
    ids.claim(9);
    ids.claim(9);
    expect(ids.inUse).toBe(1);
    ids.release(9);
    ids.release(9);
    ids.release(10);
    expect(ids.inUse).toBe(0);
    expect(ids.isUsed(9)).toBe(false);
  });
});

describe('Ring', () => {
  it('is a FIFO: push / shift / peek / size / iteration', () => {
    const r = new Ring<number>(4);
    for (let i = 0; i < 10; i++) r.push(i);
    expect(r.size).toBe(10);
    expect(r.peek()).toBe(0);
    expect([...r]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([r.shift(), r.shift()]).toEqual([0, 1]);
    expect(r.size).toBe(8);
  });

  it('shift and peek on an empty ring return undefined', () => {
    const r = new Ring<string>();
    expect(r.shift()).toBeUndefined();
    expect(r.peek()).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it('unshift puts an item at the front, also across the wrap and while growing', () => {
    const r = new Ring<number>(4);
    r.push(1);
    r.push(2);
    r.unshift(0);
    r.unshift(-1);
    r.unshift(-2); // full at 4: grows
    expect([...r]).toEqual([-2, -1, 0, 1, 2]);
    expect(r.shift()).toBe(-2);
  });

  it('keeps order when it grows while wrapped', () => {
    const r = new Ring<number>(4);
    for (let i = 0; i < 4; i++) r.push(i);
    r.shift();
    r.shift();
    for (let i = 4; i < 9; i++) r.push(i);
    expect([...r]).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('remove takes out the first match, anywhere, keeping the order of the rest', () => {
    const r = new Ring<number>(4);
    for (let i = 0; i < 6; i++) r.push(i);
    r.shift();
    r.shift();
    r.push(6);
    r.push(7); // wrapped: [2..7]
    expect(r.remove((x) => x === 5)).toBe(5);
    expect(r.remove((x) => x === 2)).toBe(2);
    expect(r.remove((x) => x === 7)).toBe(7);
    expect(r.remove((x) => x === 99)).toBeUndefined();
    expect([...r]).toEqual([3, 4, 6]);
    expect(r.size).toBe(3);
    r.push(8);
    expect([r.shift(), r.shift(), r.shift(), r.shift(), r.shift()]).toEqual([3, 4, 6, 8, undefined]);
  });

  it('clear empties it', () => {
    const r = new Ring<number>();
    for (let i = 0; i < 100; i++) r.push(i);
    r.clear();
    expect(r.size).toBe(0);
    r.push(1);
    expect([...r]).toEqual([1]);
  });

  it('1,000,000 pushes then 1,000,000 shifts, in order, quickly', () => {
    const r = new Ring<number>();
    const n = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) r.push(i);
    let ok = true;
    for (let i = 0; i < n; i++) if (r.shift() !== i) ok = false;
    const ms = performance.now() - t0;
    expect(ok).toBe(true);
    expect(r.size).toBe(0);
    expect(ms).toBeLessThan(2_000);
  });

  it('shift, push and unshift stay O(1) at 1,000,000 entries (200,000 operations at that size)', () => {
    const r = new Ring<number>();
    for (let i = 0; i < 1_000_000; i++) r.push(i);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      const x = r.shift() as number;
      r.push(x);
      r.unshift(r.shift() as number);
    }
    const ms = performance.now() - t0;
    // Array.prototype.shift at this size would move a million entries per call.
    expect(ms).toBeLessThan(1_000);
    expect(r.size).toBe(1_000_000);
    expect(r.peek()).toBe(100_000);
  });
});

describe('MemoryStore ordering', () => {
  const pub = (topic: string): PublishPacket => ({ type: 'publish', topic, payload: new Uint8Array(0), qos: 2, retain: false, dup: false });

  it('outgoing entries iterate in insertion order; a phase change moves an entry to the end [MQTT-4.6.0-1] [MQTT-4.6.0-4]', () => {
    const s = new MemoryStore();
    s.putOutgoing({ packetId: 5, phase: 'publish', packet: pub('a') });
    s.putOutgoing({ packetId: 2, phase: 'publish', packet: pub('b') });
    s.putOutgoing({ packetId: 9, phase: 'publish', packet: pub('c') });
    s.putOutgoing({ packetId: 5, phase: 'pubrel', packet: pub('a') });
    expect([...s.outgoing()].map((e) => [e.packetId, e.phase])).toEqual([
      [2, 'publish'],
      [9, 'publish'],
      [5, 'pubrel'],
    ]);
  });

  it('the queue is FIFO with requeue at the front and removal by identity; clearSession keeps it', () => {
    const s = new MemoryStore();
    const [a, b, c] = [pub('a'), pub('b'), pub('c')];
    s.enqueue(a);
    s.enqueue(b);
    s.requeue(c);
    expect(s.removeQueued(b)).toBe(true);
    expect(s.removeQueued(b)).toBe(false);
    s.addIncoming(3);
    s.clearSession();
    expect(s.hasIncoming(3)).toBe(false);
    expect([s.dequeue(), s.dequeue(), s.dequeue()]).toEqual([c, a, undefined]);
  });
});

describe('OutboundAliases', () => {
  /** What the Outbox does for a PUBLISH that is really sent: look up, then commit. */
  const use = (a: OutboundAliases, topic: string) => {
    const r = a.lookup(topic);
    if (r !== undefined) a.commit(topic, r);
    return r;
  };

  it('maximum 0: never an alias', () => {
    const a = new OutboundAliases();
    a.reset(0);
    for (let i = 0; i < 5; i++) expect(use(a, 't')).toBeUndefined();
  });

  it('first use: none; second use: a new alias, announced; later uses: the same alias, not announced', () => {
    const a = new OutboundAliases();
    a.reset(3);
    expect(use(a, 't')).toBeUndefined();
    expect(use(a, 't')).toEqual({ alias: 1, announce: true });
    expect(use(a, 't')).toEqual({ alias: 1, announce: false });
    expect(use(a, 'u')).toBeUndefined();
    expect(use(a, 'u')).toEqual({ alias: 2, announce: true });
  });

  it('never hands out an alias above the maximum', () => {
    const a = new OutboundAliases();
    a.reset(2);
    const seen = new Set<number>();
    for (let round = 0; round < 5; round++) {
      for (const t of ['a', 'b', 'c', 'd', 'e']) {
        const r = use(a, t);
        if (r !== undefined) seen.add(r.alias);
      }
    }
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it('when all aliases are taken, a topic used more often than the least-used holder takes its alias (announced)', () => {
    const a = new OutboundAliases();
    a.reset(1);
    use(a, 'cold');
    expect(use(a, 'cold')).toEqual({ alias: 1, announce: true });
    use(a, 'hot');
    expect(use(a, 'hot')).toBeUndefined(); // 2 uses, not more than cold's 2
    expect(use(a, 'hot')).toEqual({ alias: 1, announce: true });
    expect(use(a, 'hot')).toEqual({ alias: 1, announce: false });
    expect(use(a, 'cold')).toBeUndefined();
  });

  it('a looked-up alias that is never committed (its PUBLISH was refused) is not in use', () => {
    const a = new OutboundAliases();
    a.reset(2);
    a.lookup('t');
    expect(a.lookup('t')).toEqual({ alias: 1, announce: true }); // not committed
    expect(a.lookup('t')).toEqual({ alias: 1, announce: true }); // still announced, never empty-topic
  });

  it('reset forgets the mappings (a new connection announces again)', () => {
    const a = new OutboundAliases();
    a.reset(2);
    use(a, 't');
    use(a, 't');
    a.reset(2);
    expect(use(a, 't')).toEqual({ alias: 1, announce: true });
  });
});

/**
 * A loopback TCP proxy that breaks connections on purpose (test/fault/): it
 * sits between a client and a real broker on 127.0.0.1 and, driven by a
 * seeded PRNG, cuts connections (RST or FIN), delays bytes, stalls them (a
 * black hole: nothing is forwarded, the sockets stay open) and half-closes
 * them, at a random byte of the stream, usually in the middle of a packet.
 *
 *   const proxy = await FaultProxy.start({ target: broker.port, seed: faultSeed(), name: 'pub', faults: policy });
 *   connect(proxy.url, ...);   // each new connection gets a plan: one fault at a random byte, maybe delays
 *   proxy.stallAll('both');    // or break every open connection now, by hand (stallAll, cutAll)
 *   proxy.calm();              // no more faults; then proxy.stats, proxy.accepted, await proxy.close()
 *
 * Without `faults` it forwards faithfully, which still counts connection
 * attempts and lets a wire tap (`onChunk`) watch the bytes.
 *
 * Replay: the plan of every connection (fault kind, byte offset, delays) is
 * drawn from `seed` in accept order, so FAULT_SEED=<seed> replays the same
 * plans. The kernel's chunking and the timers are not seeded: a replay
 * reproduces the plans, not every byte's timing.
 */

import { createServer, type Server, Socket } from 'node:net';

const HOST = '127.0.0.1';

/** A small, fast, seedable PRNG (sfc32, seeded through splitmix32). Not for cryptography. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A key picked with probability proportional to its weight. */
  pick<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights).filter(([, w]) => (w as number) > 0) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  /** An independent stream for `label` (same seed and label, same stream). */
  fork(label: string): Prng {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Prng(h >>> 0);
  }
}

/** The seed of this run: FAULT_SEED when set (to replay a failure), else a fresh random one. */
export function faultSeed(): number {
  const fromEnv = process.env.FAULT_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`FAULT_SEED must be an integer in [0, 2^32), got ${fromEnv}`);
    return n;
  }
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * `rst`: both sockets reset (socket.resetAndDestroy()). `fin`: both closed
 * with FIN, nothing more forwarded. `half-close`: FIN to one side only; the
 * other direction keeps flowing until its sender closes. `stall`: a black
 * hole in one or both directions, sockets left open.
 */
export type FaultKind = 'rst' | 'fin' | 'half-close' | 'stall';
export type Direction = 'up' | 'down';
export type StallDirection = Direction | 'both';

export interface FaultPolicy {
  /** Relative weights of the fault kinds; a kind left out never happens. */
  kinds: Partial<Record<FaultKind, number>>;
  /** A connection's fault fires after a uniform random number of bytes (both directions together) in this range. */
  bytes: [number, number];
  /** Chance that it fires within the first `earlyBytes` bytes instead (CONNECT, CONNACK, SUBSCRIBE, resends). Default 0.1. */
  earlyChance?: number;
  /** Default 150. */
  earlyBytes?: number;
  /** Chance that a connection gets no fault at all. Default 0. */
  sparedChance?: number;
  /** Chance that a connection's bytes are held back, each chunk by up to `maxDelayMs` (order kept). Default 0. */
  delayChance?: number;
  /** Default 20. */
  maxDelayMs?: number;
  /** At most this many stalls per proxy (each costs the client 1.5x its keep alive); later ones become RSTs. Default: no limit. */
  maxStalls?: number;
}

/** What was decided for one connection, for the logs of a failing run. */
export interface ConnectionPlan {
  id: number;
  fault?: { kind: FaultKind; atByte: number; stall?: StallDirection; halfClose?: 'client' | 'broker' };
  maxDelayMs: number;
}

export interface FaultStats {
  /** Connections accepted from clients. */
  connections: number;
  /** Connections the broker refused (or that failed to reach it): reset at once. */
  refused: number;
  /** Faults that fired, by kind. */
  rst: number;
  fin: number;
  halfClose: number;
  stall: number;
  /** Connections whose bytes were delayed. */
  delayed: number;
  /** Faults that fired in the middle of a chunk the proxy was forwarding (so, usually, mid-packet). */
  midChunk: number;
  bytesUp: number;
  bytesDown: number;
  /** Bytes swallowed by stalls and cuts. */
  dropped: number;
}

/** Total faults that fired. */
export function cutCount(stats: FaultStats): number {
  return stats.rst + stats.fin + stats.halfClose + stats.stall;
}

export interface FaultProxyOptions {
  /** The broker's port on 127.0.0.1. */
  target: number;
  seed: number;
  /** Names this proxy's PRNG stream and its log lines. */
  name?: string;
  /** Random faults for new connections; undefined forwards faithfully. */
  faults?: FaultPolicy;
  /** Sees every chunk as it is forwarded, in order (a wire tap). */
  onChunk?: (connection: number, direction: Direction, chunk: Uint8Array) => void;
  /** A planned fault fired, right after the last byte before it went out in `direction`. */
  onFault?: (connection: number, direction: Direction, kind: FaultKind) => void;
}

type Queued = Uint8Array | 'end' | 'reset';

/** One client connection and its upstream socket to the broker. */
class Pair {
  readonly plan: ConnectionPlan;
  private forwarded = 0;
  private readonly blocked = { up: false, down: false };
  /** A black hole in this direction also swallows the sender's FIN and RST. */
  private readonly silenced = { up: false, down: false };
  private readonly queues: Record<Direction, Queued[]> = { up: [], down: [] };
  private readonly timers: Record<Direction, ReturnType<typeof setTimeout> | undefined> = { up: undefined, down: undefined };
  private readonly releaseAt = { up: 0, down: 0 };
  private readonly awaitingDrain = { up: false, down: false };

  constructor(
    private readonly proxy: FaultProxy,
    readonly client: Socket,
    readonly upstream: Socket,
    plan: ConnectionPlan,
    private readonly random: Prng,
  ) {
    this.plan = plan;
    client.on('data', (chunk: Buffer) => this.receive('up', chunk));
    upstream.on('data', (chunk: Buffer) => this.receive('down', chunk));
    client.on('end', () => this.receive('up', 'end'));
    upstream.on('end', () => this.receive('down', 'end'));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', (hadError) => this.receive('up', hadError ? 'reset' : 'end'));
    upstream.on('close', (hadError) => this.receive('down', hadError ? 'reset' : 'end'));
    client.pause();
  }

  /** The upstream connected: start moving bytes. */
  start(): void {
    this.client.resume();
  }

  get open(): boolean {
    return !this.client.destroyed || !this.upstream.destroyed;
  }

  private source(dir: Direction): Socket {
    return dir === 'up' ? this.client : this.upstream;
  }

  private sink(dir: Direction): Socket {
    return dir === 'up' ? this.upstream : this.client;
  }

  private receive(dir: Direction, item: Queued): void {
    if (this.plan.maxDelayMs === 0 || this.silenced[dir]) {
      this.deliver(dir, item);
      return;
    }
    // Delay mode: hold each chunk back by a random time, never reordering.
    const now = performance.now();
    const at = Math.max(this.releaseAt[dir], now + this.random.next() * this.plan.maxDelayMs);
    this.releaseAt[dir] = at;
    this.queues[dir].push(item);
    if (this.timers[dir] === undefined) this.timers[dir] = setTimeout(() => this.drainQueue(dir), at - now);
  }

  private drainQueue(dir: Direction): void {
    this.timers[dir] = undefined;
    const queue = this.queues[dir];
    this.queues[dir] = [];
    for (const item of queue) this.deliver(dir, item);
  }

  private deliver(dir: Direction, item: Queued): void {
    if (this.silenced[dir]) {
      if (item instanceof Uint8Array) this.proxy.stats.dropped += item.length;
      return;
    }
    if (item === 'end' || item === 'reset') {
      const sink = this.sink(dir);
      if (item === 'reset') resetSocket(sink);
      else if (!sink.writableEnded) sink.end();
      this.blocked[dir] = true;
      return;
    }
    let chunk = item;
    const fault = this.plan.fault;
    if (fault !== undefined && this.forwarded + chunk.length >= fault.atByte) {
      const head = fault.atByte - this.forwarded;
      this.plan.fault = undefined;
      if (head > 0) this.write(dir, chunk.subarray(0, head));
      if (head > 0 && head < chunk.length) this.proxy.stats.midChunk++;
      chunk = chunk.subarray(head);
      this.proxy.options.onFault?.(this.plan.id, dir, fault.kind);
      this.fire(fault);
    }
    if (chunk.length > 0) this.write(dir, chunk);
  }

  private write(dir: Direction, chunk: Uint8Array): void {
    const sink = this.sink(dir);
    if (this.blocked[dir] || sink.destroyed || sink.writableEnded) {
      this.proxy.stats.dropped += chunk.length;
      return;
    }
    this.forwarded += chunk.length;
    if (dir === 'up') this.proxy.stats.bytesUp += chunk.length;
    else this.proxy.stats.bytesDown += chunk.length;
    this.proxy.options.onChunk?.(this.plan.id, dir, chunk);
    if (!sink.write(chunk) && !this.awaitingDrain[dir]) {
      // Backpressure: stop reading the sender until the receiver has taken what it was given.
      const source = this.source(dir);
      this.awaitingDrain[dir] = true;
      source.pause();
      sink.once('drain', () => {
        this.awaitingDrain[dir] = false;
        source.resume();
      });
    }
  }

  /** Applies a fault now. */
  fire(fault: NonNullable<ConnectionPlan['fault']>): void {
    const stats = this.proxy.stats;
    switch (fault.kind) {
      case 'rst':
        stats.rst++;
        this.blocked.up = this.blocked.down = true;
        resetSocket(this.client);
        resetSocket(this.upstream);
        return;
      case 'fin':
        stats.fin++;
        this.blocked.up = this.blocked.down = true;
        this.client.end();
        this.upstream.end();
        return;
      case 'half-close': {
        stats.halfClose++;
        // FIN to one side only; the other direction flows on until its sender closes too.
        const towardsClient = fault.halfClose === 'client';
        this.blocked[towardsClient ? 'down' : 'up'] = true;
        (towardsClient ? this.client : this.upstream).end();
        return;
      }
      case 'stall':
        stats.stall++;
        this.stall(fault.stall ?? 'both');
        return;
    }
  }

  /** A black hole: bytes in `direction` are dropped, and so are the FIN or RST of their sender. */
  stall(direction: StallDirection): void {
    for (const dir of ['up', 'down'] as const) {
      if (direction !== 'both' && direction !== dir) continue;
      this.blocked[dir] = this.silenced[dir] = true;
      for (const item of this.queues[dir]) if (item instanceof Uint8Array) this.proxy.stats.dropped += item.length;
      this.queues[dir] = [];
    }
  }

  /** Drops the pair for good (the proxy is closing). */
  destroy(): void {
    for (const dir of ['up', 'down'] as const) clearTimeout(this.timers[dir]);
    this.client.destroy();
    this.upstream.destroy();
  }
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export class FaultProxy {
  readonly stats: FaultStats = {
    connections: 0,
    refused: 0,
    rst: 0,
    fin: 0,
    halfClose: 0,
    stall: 0,
    delayed: 0,
    midChunk: 0,
    bytesUp: 0,
    bytesDown: 0,
    dropped: 0,
  };
  /** performance.now() of every accepted connection, in order. */
  readonly accepted: number[] = [];
  /** Every connection's plan, in accept order. */
  readonly plans: ConnectionPlan[] = [];
  /** Random faults for new connections (undefined: forward faithfully). Changing it does not touch open connections. */
  faults: FaultPolicy | undefined;
  port = 0;
  private readonly pairs = new Set<Pair>();
  private readonly random: Prng;
  private server: Server | undefined;
  private stallsPlanned = 0;

  private constructor(readonly options: FaultProxyOptions) {
    this.faults = options.faults;
    this.random = new Prng(options.seed).fork(options.name ?? 'proxy');
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy got no port');
    proxy.port = address.port;
    proxy.server = server;
    return proxy;
  }

  get url(): string {
    return `mqtt://${HOST}:${this.port}`;
  }

  get name(): string {
    return this.options.name ?? 'proxy';
  }

  private plan(id: number): ConnectionPlan {
    // Every connection draws the same number of values, so one connection's plan never shifts another's.
    const r = this.random;
    const draws = Array.from({ length: 8 }, () => r.next());
    const policy = this.faults;
    if (policy === undefined) return { id, maxDelayMs: 0 };
    const sub = new Prng(Math.floor(draws[0] * 0x100000000));
    const maxDelayMs = draws[1] < (policy.delayChance ?? 0) ? Math.ceil(draws[2] * (policy.maxDelayMs ?? 20)) : 0;
    if (draws[3] < (policy.sparedChance ?? 0)) return { id, maxDelayMs };
    const early = draws[4] < (policy.earlyChance ?? 0.1);
    const [lo, hi] = early ? [1, policy.earlyBytes ?? 150] : policy.bytes;
    const atByte = lo + Math.floor(draws[5] * (hi - lo + 1));
    let kind = sub.pick(policy.kinds);
    if (kind === 'stall' && this.stallsPlanned++ >= (policy.maxStalls ?? Number.POSITIVE_INFINITY)) kind = 'rst';
    const fault: NonNullable<ConnectionPlan['fault']> = { kind, atByte };
    if (kind === 'stall') fault.stall = draws[6] < 0.5 ? 'both' : draws[6] < 0.75 ? 'up' : 'down';
    if (kind === 'half-close') fault.halfClose = draws[7] < 0.5 ? 'client' : 'broker';
    return { id, fault, maxDelayMs };
  }

  private accept(client: Socket): void {
    const id = ++this.stats.connections;
    this.accepted.push(performance.now());
    const plan = this.plan(id);
    this.plans.push({ ...plan, fault: plan.fault && { ...plan.fault } });
    if (plan.maxDelayMs > 0) this.stats.delayed++;
    client.setNoDelay(true);
    const upstream = new Socket({ allowHalfOpen: true });
    const pair = new Pair(this, client, upstream, plan, this.random.fork(`delays-${id}`));
    this.pairs.add(pair);
    const forget = (): void => {
      if (!pair.open) this.pairs.delete(pair);
    };
    client.on('close', forget);
    upstream.on('close', forget);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      upstream.setNoDelay(true);
      pair.start();
    });
    upstream.once('error', () => {
      // The broker is down (a restart): the client sees its connection reset, as close to "refused" as a proxy gets.
      if (connected) return;
      this.stats.refused++;
      resetSocket(client);
    });
    upstream.connect({ host: HOST, port: this.options.target });
  }

  /** Black-holes every open connection in `direction` now (new connections are not affected). Returns performance.now(). */
  stallAll(direction: StallDirection = 'both'): number {
    for (const pair of this.pairs) {
      this.stats.stall++;
      pair.stall(direction);
    }
    return performance.now();
  }

  /** No more faults: none for new connections, and the planned ones of open connections are called off (stalls in place stay). */
  calm(): void {
    this.faults = undefined;
    for (const pair of this.pairs) pair.plan.fault = undefined;
  }

  /** Cuts every open connection now with `kind`. */
  cutAll(kind: 'rst' | 'fin' = 'rst'): void {
    for (const pair of this.pairs) pair.fire({ kind, atByte: 0 });
  }

  /** One line for the test output. */
  summary(): string {
    const s = this.stats;
    return (
      `[fault] ${this.name}: ${s.connections} connections, ${cutCount(s)} faults ` +
      `(rst ${s.rst}, fin ${s.fin}, half-close ${s.halfClose}, stall ${s.stall}; ${s.midChunk} mid-chunk), ` +
      `${s.delayed} delayed, ${s.refused} refused, ${s.bytesUp} B up, ${s.bytesDown} B down, ${s.dropped} B dropped`
    );
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const pair of this.pairs) pair.destroy();
    this.pairs.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Helpers for the client integration tests (test/integration/client-*.test.ts):
 * a pool that ends every client a test made, waiting for events and messages
 * with deadlines, and a TCP transport the test can cut, hold back and watch.
 */

import { Decoder } from '../../src/codec/decoder.js';
import type { Packet, ProtocolVersion } from '../../src/codec/types.js';
import { type ClientEvents, type ClientOptions, connect, createClient, type MqttClient, type ReceivedMessage } from '../../src/node.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import type { Transport, TransportFactory } from '../../src/transport/types.js';

/** Small reconnect delays so reconnect tests are quick. */
export const FAST_RECONNECT = { initialDelay: 50, maxDelay: 500 } as const;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;

/** A topic (or client id) no other test uses. */
export function unique(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Rejects with a message naming `what` when `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The error `promise` rejects with (fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>, ms = 10_000): Promise<Error & { code?: string; reasonCode?: number }> {
  try {
    await within(promise, ms, 'a rejection');
  } catch (err) {
    return err as Error & { code?: string; reasonCode?: number };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** The next `event` of `client`. */
export function nextEvent<K extends keyof ClientEvents>(client: MqttClient, event: K, ms = 10_000): Promise<ClientEvents[K]> {
  return within(
    new Promise<ClientEvents[K]>((resolve) => {
      client.once(event, (...args) => resolve(args));
    }),
    ms,
    `client event "${String(event)}"`,
  );
}

/** Counts a client's events from now on. */
export function countEvents(client: MqttClient, ...events: (keyof ClientEvents)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    counts[event] = 0;
    client.on(event, () => {
      counts[event]++;
    });
  }
  return counts;
}

/**
 * Records every message a client receives (through the 'message' event,
 * attached before the client connects when given a client not yet started).
 */
export class Inbox {
  readonly messages: ReceivedMessage[] = [];
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];

  constructor(client: MqttClient, filter: (m: ReceivedMessage) => boolean = () => true) {
    client.on('message', (m) => {
      if (!filter(m)) return;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test()) return true;
        w.resolve();
        return false;
      });
    });
  }

  texts(): string[] {
    return this.messages.map((m) => m.text());
  }

  /** Resolves once at least `n` messages have arrived. */
  async count(n: number, ms = 10_000): Promise<ReceivedMessage[]> {
    if (this.messages.length < n) {
      await within(
        new Promise<void>((resolve) => this.waiters.push({ test: () => this.messages.length >= n, resolve })),
        ms,
        `${n} messages (got ${this.messages.length})`,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}; got ${this.messages.length}: ${JSON.stringify(this.texts().slice(0, 20))}`);
      });
    }
    return this.messages;
  }
}

/** Ends, at test end, every client made through it. */
export class ClientPool {
  private readonly clients = new Set<MqttClient>();

  track<T extends MqttClient>(client: T): T {
    this.clients.add(client);
    return client;
  }

  create(url: string, options: ClientOptions = {}): MqttClient {
    return this.track(createClient(url, options));
  }

  async connect(url: string, options: ClientOptions = {}): Promise<MqttClient> {
    return this.track(await connect(url, options));
  }

  /** Force-ends every client (never throws; a stuck end() is abandoned after 2 s). */
  async endAll(): Promise<void> {
    const all = [...this.clients];
    this.clients.clear();
    await Promise.all(all.map((c) => within(c.end({ force: true }), 2_000, 'end()').catch(() => undefined)));
  }
}

/**
 * A transport around the real one that a test controls: `kill()` destroys
 * the open connections (the broker sees the socket close without DISCONNECT),
 * `hold()` makes new connection attempts wait until `release()`, and every
 * chunk written is kept so the test can decode what the client sent.
 */
export class ControlledTransport {
  readonly open = new Set<Transport>();
  readonly written: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];
  /** Connection attempts started. */
  attempts = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(private readonly base: TransportFactory = tcpTransport) {}

  readonly factory: TransportFactory = async (options, handlers) => {
    this.attempts++;
    if (this.gate !== undefined) await this.gate;
    const inner = await this.base(options, {
      onData: (chunk) => {
        this.received.push(chunk.slice());
        handlers.onData(chunk);
      },
      onClose: (error) => {
        this.open.delete(outer);
        handlers.onClose(error);
      },
    });
    const written = this.written;
    const outer: Transport = {
      get encrypted() {
        return inner.encrypted;
      },
      write(chunks) {
        for (const c of chunks) written.push(c.slice());
        return inner.write(chunks);
      },
      end: () => inner.end(),
      destroy: (error) => inner.destroy(error),
      get onDrain() {
        return inner.onDrain;
      },
      set onDrain(fn) {
        inner.onDrain = fn;
      },
    };
    this.open.add(outer);
    return outer;
  };

  /** Destroys every open connection. */
  kill(): void {
    for (const t of [...this.open]) t.destroy(new Error('killed by the test'));
  }

  /** New connection attempts wait until {@link release}. */
  hold(): void {
    this.gate ??= new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  release(): void {
    this.openGate?.();
    this.gate = this.openGate = undefined;
  }

  /** Everything the client wrote, decoded as `version` packets. */
  sentPackets(version: ProtocolVersion): Packet[] {
    return decodeAll(this.written, version);
  }

  /** Everything the broker sent (over every connection, in order), decoded as `version` packets. */
  receivedPackets(version: ProtocolVersion): Packet[] {
    return decodeAll(this.received, version);
  }
}

/** Decodes a byte stream that starts at a packet boundary. */
export function decodeAll(chunks: readonly Uint8Array[], version: ProtocolVersion): Packet[] {
  const decoder = new Decoder({ protocolVersion: version });
  const packets: Packet[] = [];
  for (const chunk of chunks) {
    decoder.feed(chunk);
    for (let p = decoder.next(); p !== undefined; p = decoder.next()) packets.push(p);
  }
  return packets;
}

/** Resolves once the broker's log matches `pattern` (Mosquitto's stderr arrives a little after the fact). */
export async function waitForLog(logs: () => string, pattern: RegExp | string, ms = 5_000): Promise<void> {
  const matches = () => (typeof pattern === 'string' ? logs().includes(pattern) : pattern.test(logs()));
  const deadline = Date.now() + ms;
  while (!matches()) {
    if (Date.now() > deadline) throw new Error(`the broker log did not show ${String(pattern)} within ${ms} ms; log:\n${logs()}`);
    await sleep(20);
  }
}

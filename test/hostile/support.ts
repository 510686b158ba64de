/**
 * What the hostile-broker tests share: a watch on the process for unhandled
 * rejections and uncaught exceptions, a recorder of a client's events, and a
 * client factory that ends every client a test made.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { MqttkitError } from '../../src/errors.js';
import { type ClientOptions, createClient, type MqttClient } from '../../src/node.js';
import { within } from '../helpers/clients.js';
import type { ScriptedBroker } from '../helpers/scripted-broker.js';

/** Reconnect fast enough for tests (and deterministic enough to count attempts). */
export const FAST = { initialDelay: 20, maxDelay: 100 } as const;

/**
 * Fails the test if anything reached the process as an unhandled rejection or
 * an uncaught exception while it ran (a client must report through its events
 * and promises, never crash its host).
 */
export function guardProcess(): void {
  let problems: unknown[] = [];
  const onProblem = (err: unknown) => problems.push(err);
  beforeEach(() => {
    problems = [];
    process.on('unhandledRejection', onProblem);
    process.on('uncaughtException', onProblem);
  });
  afterEach(async () => {
    // Let rejections from the test's last tick surface before looking.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onProblem);
    process.off('uncaughtException', onProblem);
    expect(problems).toEqual([]);
  });
}

/** Everything a client reported, in order. */
export class Recorder {
  readonly errors: MqttkitError[] = [];
  readonly offline: (Error | undefined)[] = [];
  readonly reconnects: { attempt: number; delay: number; error?: Error }[] = [];
  readonly closes: (MqttkitError | undefined)[] = [];
  connects = 0;

  constructor(readonly client: MqttClient) {
    client.on('error', (e) => this.errors.push(e));
    client.on('offline', (e) => this.offline.push(e.error));
    client.on('reconnect', (e) => this.reconnects.push(e));
    client.on('close', (e) => this.closes.push(e.error));
    client.on('connect', () => this.connects++);
  }

  /** Resolves once the client has connected `n` times in all. */
  connected(n: number, ms = 10_000): Promise<void> {
    return this.until(() => this.connects >= n, ms, `${n} connections (got ${this.connects})`);
  }

  /** Resolves once the client went offline `n` times in all. */
  wentOffline(n: number, ms = 10_000): Promise<void> {
    return this.until(() => this.offline.length >= n, ms, `${n} offline events (got ${this.offline.length})`);
  }

  /** Resolves once the client closed for good. */
  closed(ms = 10_000): Promise<void> {
    return this.until(() => this.closes.length > 0, ms, 'the client to close');
  }

  /** Resolves once `test` holds, checked after each of the client's events. */
  until(test: () => boolean, ms: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    const client = this.client;
    return within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!test()) return;
          for (const e of EVENTS) client.off(e, check);
          resolve();
        };
        for (const e of EVENTS) client.on(e, check);
      }),
      ms,
      what,
    );
  }
}

const EVENTS = ['error', 'offline', 'reconnect', 'close', 'connect', 'message'] as const;

/** Makes clients and brokers for one test file, and ends them after each test. */
export class Fixture {
  private clients: MqttClient[] = [];
  private brokers: ScriptedBroker[] = [];

  constructor() {
    afterEach(async () => {
      const clients = this.clients;
      const brokers = this.brokers;
      this.clients = [];
      this.brokers = [];
      await Promise.all(clients.map((c) => within(c.end({ force: true }), 2_000, 'end()').catch(() => undefined)));
      await Promise.all(brokers.map((b) => b.close()));
    });
  }

  broker(b: ScriptedBroker): ScriptedBroker {
    this.brokers.push(b);
    return b;
  }

  /** A client for `broker` (not started) and a recorder of its events. */
  client(broker: ScriptedBroker, options: ClientOptions = {}): Recorder {
    const client = createClient(broker.url, { clientId: 'hostile', reconnect: FAST, ...options });
    this.clients.push(client);
    return new Recorder(client);
  }
}

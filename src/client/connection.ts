/**
 * One transport at a time, for the client: opens it, coalesces writes, closes it.
 *
 * Design: every open gets a generation number, so a late event from a
 * transport that was already replaced or closed never reaches the engine.
 * Writes made in one tick are batched into one transport write (one syscall
 * for many small packets); a batch past 64 KiB is written at once.
 */
import type { MqttkitError } from '../errors.js';
import type { TlsOptions, Transport, TransportFactory } from '../transport/types.js';

const FLUSH_AT_BYTES = 65_536;

export interface ConnectionEvents {
  onOpen(): void;
  onData(chunk: Uint8Array): void;
  onClose(error?: Error): void;
  /** Runs after each batch is handed to the transport (QoS 0 publishes resolve once written). */
  onFlushed(): void;
  /**
   * Runs before bytes go to the transport: a persistent store writes its records first (write-ahead).
   * A promise holds this write, and every later one, until it settles.
   */
  beforeWrite?(): void | Promise<void>;
  /** The transport's send buffer filled up (false) or drained (true). */
  onWritable(writable: boolean): void;
}

export class Connection {
  private transport: Transport | undefined;
  private generation = 0;
  private opening: AbortController | undefined;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  /** False from a write that found the send buffer full until the transport drains. */
  private writable = true;
  /** Batches waiting, in order, for their store records to become durable (see beforeWrite). */
  private held: { chunks: Uint8Array[]; ready: boolean }[] = [];

  constructor(
    private readonly factory: TransportFactory,
    private readonly target: { url: URL; tls?: TlsOptions; connectTimeout?: number; protocolVersion?: 3 | 4 | 5 },
    private readonly events: ConnectionEvents,
  ) {}

  /** Packets waiting for the next flush, or for their store records before being written. */
  get pendingWrites(): number {
    return this.batch.length + this.held.length;
  }

  open(): void {
    const generation = ++this.generation;
    const controller = new AbortController();
    this.opening = controller;
    const current = () => generation === this.generation;
    this.factory(
      { ...this.target, signal: controller.signal },
      {
        onData: (chunk) => {
          if (current()) this.events.onData(chunk);
        },
        onClose: (error) => {
          if (!current()) return;
          this.transport = undefined;
          this.events.onClose(error);
        },
      },
    ).then(
      (transport) => {
        if (!current()) {
          transport.destroy();
          return;
        }
        this.opening = undefined;
        this.transport = transport;
        this.writable = true;
        transport.onDrain = () => {
          if (!current() || this.writable) return;
          this.writable = true;
          this.events.onWritable(true);
        };
        this.events.onOpen();
      },
      (error: Error) => {
        if (!current()) return;
        this.opening = undefined;
        this.events.onClose(error);
      },
    );
  }

  write(bytes: Uint8Array): void {
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    if (this.batchBytes >= FLUSH_AT_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.batch.length > 0) {
      const chunks = this.batch;
      this.batch = [];
      this.batchBytes = 0;
      const committed = this.events.beforeWrite?.();
      const durable = committed instanceof Promise ? committed : undefined;
      if (durable === undefined && this.held.length === 0) this.writeNow(chunks);
      else this.hold(chunks, durable);
    }
    // QoS 0 publishes settle once written: not while anything is held.
    if (this.held.length === 0) this.events.onFlushed();
  }

  private writeNow(chunks: Uint8Array[]): void {
    // Bytes for a connection that is gone are dropped: the engine resends what matters.
    const transport = this.transport;
    if (transport !== undefined && !transport.write(chunks) && this.writable) {
      // A peer that stops reading must not make us buffer without bound: publishes queue (bounded) until it drains.
      this.writable = false;
      this.events.onWritable(false);
    }
  }

  /** Holds a batch until its store records are durable; batches leave in order. */
  private hold(chunks: Uint8Array[], durable: Promise<void> | undefined): void {
    const entry = { chunks, ready: durable === undefined };
    this.held.push(entry);
    if (durable === undefined) return;
    const generation = this.generation;
    void durable.then(() => {
      // A batch for a connection that is gone stays unsent: the engine resends what matters.
      if (generation !== this.generation) return;
      entry.ready = true;
      while (this.held.length > 0 && this.held[0].ready) this.writeNow((this.held.shift() as { chunks: Uint8Array[] }).chunks);
      if (this.held.length === 0) this.events.onFlushed();
    });
  }

  /** Writes what is queued (a final DISCONNECT), then closes; a keep alive timeout closes at once. */
  close(error: MqttkitError | undefined): void {
    this.generation++;
    this.opening?.abort();
    this.opening = undefined;
    const transport = this.transport;
    this.transport = undefined;
    // Held batches are dropped (their records are not durable yet; the engine resends what matters), and
    // so is a final batch behind them; otherwise the final batch (a DISCONNECT) goes out before the close.
    const canWrite = this.held.length === 0;
    this.held = [];
    if (transport !== undefined && this.batch.length > 0 && canWrite) {
      void this.events.beforeWrite?.();
      transport.write(this.batch);
    }
    this.batch = [];
    this.batchBytes = 0;
    if (transport === undefined) return;
    if (error?.code === 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT') transport.destroy(error);
    else transport.end();
  }

  /** Stops an attempt in progress (the client is ending). */
  abortOpening(): void {
    this.opening?.abort();
  }
}

/**
 * A fake MQTT broker for tests, on 127.0.0.1 and a free port, whose behaviour
 * on each connection is a script: accept CONNECT and answer CONNACK with
 * chosen properties, then send packets (encoded with our codec) or raw bytes,
 * stop reading, never answer PINGREQ, close... It is how the hostile tests
 * play a broker that breaks the rules on purpose.
 *
 * - Every connection attempt gets a {@link ScriptedConnection} (numbered from
 *   1), so a test counts attempts and picks behaviour per attempt.
 * - What the client sent is decoded (the protocol level follows its CONNECT)
 *   and kept in order; `next()` waits for the next packet.
 * - Nothing is answered unless the script says so: no PINGRESP, no acks.
 * - An error thrown by a script is recorded in `scriptErrors` (the test
 *   asserts there are none) and closes that connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Decoder } from '../../src/codec/decoder.js';
import { encode } from '../../src/codec/encode.js';
import type { ConnackProperties, ConnectPacket, Packet, PacketType, ProtocolVersion } from '../../src/codec/types.js';

export type Script = (connection: ScriptedConnection) => void | Promise<void>;

export interface ScriptedBrokerOptions {
  /** Keep every decoded packet in `received` (default true; off for long runs that only count). */
  record?: boolean;
}

type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

interface Waiter {
  type: PacketType | undefined;
  resolve: (p: Packet) => void;
  reject: (e: Error) => void;
}

export class ScriptedConnection {
  /** Packets the client sent on this connection, in order (when recording). */
  readonly received: Packet[] = [];
  /** Bytes the client sent on this connection (read so far). */
  bytesReceived = 0;
  /** Protocol level from the client's CONNECT (5 until it arrives). */
  version: ProtocolVersion = 5;
  /** The client's CONNECT, once it arrived. */
  connect: ConnectPacket | undefined;
  /** Set when the socket closed: who closed it first, and whether the client's last packet was DISCONNECT. */
  closedBy: 'client' | 'broker' | undefined;
  /** Resolves when the socket has closed (either side). */
  readonly closed: Promise<void>;
  /** A decoding failure of what the client sent (a client bug), if any. */
  decodeError: Error | undefined;

  private readonly decoder = new Decoder({ protocolVersion: 5 });
  private readonly unread: Packet[] = [];
  private readonly waiters: Waiter[] = [];
  private answeringPings = false;
  private acking = false;
  private markClosed!: () => void;

  constructor(
    /** 1 for the first connection attempt, 2 for the second... */
    readonly index: number,
    readonly socket: Socket,
    private readonly record: boolean,
  ) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.closedBy ??= 'client';
    });
    socket.on('error', () => {
      this.closedBy ??= 'client';
    });
    socket.on('close', () => {
      this.closedBy ??= 'client';
      for (const w of this.waiters.splice(0))
        w.reject(new Error(`connection ${this.index} closed while waiting for ${w.type ?? 'a packet'}`));
      this.markClosed();
    });
  }

  /** The last packet the client sent, if any (recording on). */
  get last(): Packet | undefined {
    return this.received[this.received.length - 1];
  }

  /** Encodes `packet` at the connection's protocol level (or `version`) and sends it. */
  send(packet: Packet, version: ProtocolVersion = this.version): void {
    this.sendRaw(encode(packet, version));
  }

  sendRaw(bytes: Uint8Array): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(bytes);
  }

  /** The next packet the client sends (of `type`, skipping others), or a rejection when the connection closes or `ms` pass. */
  next<T extends PacketType>(type?: T, ms = 10_000): Promise<PacketOf<T>> {
    const i = this.unread.findIndex((p) => type === undefined || p.type === type);
    if (i !== -1) {
      const [p] = this.unread.splice(0, i + 1).slice(-1);
      return Promise.resolve(p as PacketOf<T>);
    }
    if (this.socket.destroyed) return Promise.reject(new Error(`connection ${this.index} is closed; no ${type ?? 'packet'} came`));
    return new Promise<PacketOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        reject(new Error(`connection ${this.index}: no ${type ?? 'packet'} within ${ms} ms`));
      }, ms);
      const waiter: Waiter = {
        type,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p as PacketOf<T>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for CONNECT and answers CONNACK success. Returns the CONNECT. */
  async accept(properties?: ConnackProperties, sessionPresent = false): Promise<ConnectPacket> {
    const connect = await this.next('connect');
    this.connack(properties, sessionPresent);
    return connect;
  }

  /** Sends a CONNACK (success unless `reasonCode` is given; properties only on MQTT 5). */
  connack(properties?: ConnackProperties, sessionPresent = false, reasonCode = 0): void {
    this.send({
      type: 'connack',
      sessionPresent,
      reasonCode,
      ...(properties !== undefined && this.version === 5 ? { properties } : {}),
    });
  }

  /** Answers every PINGREQ from now on (scripts stay silent otherwise). */
  answerPings(): void {
    this.answeringPings = true;
  }

  /** Acknowledges the client's QoS 1/2 publishes from now on (PUBACK, PUBREC, then PUBCOMP for its PUBREL). */
  autoAck(): void {
    this.acking = true;
  }

  /** Stops reading: the kernel's buffers fill and the client's writes back up. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Closes the connection cleanly (FIN) after what was written. */
  end(): void {
    this.closedBy ??= 'broker';
    this.socket.end();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.closedBy ??= 'broker';
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (this.decodeError !== undefined) return;
    try {
      this.decoder.feed(chunk);
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next()) this.onPacket(p);
    } catch (err) {
      this.decodeError = err as Error;
    }
  }

  private ack(p: Packet): void {
    if (p.type === 'publish' && p.qos === 1) this.send({ type: 'puback', packetId: p.packetId as number });
    else if (p.type === 'publish' && p.qos === 2) this.send({ type: 'pubrec', packetId: p.packetId as number });
    else if (p.type === 'pubrel') this.send({ type: 'pubcomp', packetId: p.packetId });
  }

  private onPacket(p: Packet): void {
    if (p.type === 'connect') {
      this.version = p.protocolVersion ?? 4;
      this.connect = p;
    }
    if (this.record) this.received.push(p);
    if (p.type === 'pingreq' && this.answeringPings) this.send({ type: 'pingresp' });
    if (this.acking) this.ack(p);
    const i = this.waiters.findIndex((w) => w.type === undefined || w.type === p.type);
    if (i !== -1) {
      // Packets before the one a waiter wants are passed over, as next() does with unread ones.
      this.unread.length = 0;
      this.waiters.splice(i, 1)[0].resolve(p);
      return;
    }
    this.unread.push(p);
    // Nobody reads them in long runs: keep only the recent ones.
    if (this.unread.length > 1_000) this.unread.splice(0, this.unread.length - 1_000);
  }
}

export class ScriptedBroker {
  /** Every connection attempt, in order (when recording; otherwise only open ones are kept). */
  readonly connections: ScriptedConnection[] = [];
  /** Errors thrown by scripts. */
  readonly scriptErrors: Error[] = [];
  /** Connection attempts accepted so far. */
  attempts = 0;

  private readonly open = new Set<Socket>();
  private readonly attemptWaiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: Server,
    private readonly script: Script,
    private readonly record: boolean,
  ) {
    server.on('connection', (socket) => this.onConnection(socket));
  }

  /** Starts a broker on 127.0.0.1 and a free port, running `script` for every connection. */
  static async start(script: Script, options: ScriptedBrokerOptions = {}): Promise<ScriptedBroker> {
    const server = createServer();
    const broker = new ScriptedBroker(server, script, options.record ?? true);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return broker;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the scripted broker is not listening');
    return address.port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The connection of attempt `index` (1-based). */
  connection(index: number): ScriptedConnection {
    const c = this.connections.find((x) => x.index === index);
    if (c === undefined) throw new Error(`no connection attempt ${index} (attempts so far: ${this.attempts})`);
    return c;
  }

  /** Resolves once `n` connection attempts have arrived; rejects after `ms`. */
  waitForAttempts(n: number, ms = 10_000): Promise<void> {
    if (this.attempts >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.attempts} of ${n} connection attempts within ${ms} ms`)), ms);
      this.attemptWaiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Closes every connection and the listening socket. */
  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.attempts++;
    this.open.add(socket);
    const connection = new ScriptedConnection(this.attempts, socket, this.record);
    this.connections.push(connection);
    void connection.closed.then(() => {
      this.open.delete(socket);
      if (!this.record) this.connections.splice(this.connections.indexOf(connection), 1);
    });
    for (const w of this.attemptWaiters.filter((x) => this.attempts >= x.n)) {
      this.attemptWaiters.splice(this.attemptWaiters.indexOf(w), 1);
      w.resolve();
    }
    Promise.resolve()
      .then(() => this.script(connection))
      .catch((err: unknown) => {
        // A script waiting for a packet on a connection the client closed is the client's choice, not a script bug.
        if (!socket.destroyed) {
          this.scriptErrors.push(err as Error);
          socket.destroy();
        }
      });
  }
}

/**
 * The Node transports over real sockets, all on 127.0.0.1: a node:net echo
 * server, node:tls servers with throwaway certificates, and a private Mosquitto.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createServer as createTlsServer,
  type TlsOptions as NodeTlsServerOptions,
  type TLSSocket,
  type Server as TlsServer,
} from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder, encode } from '../../src/codec/index.js';
import { ConnectionError, InvalidArgumentError } from '../../src/errors.js';
import { toConnectionError } from '../../src/transport/errors.js';
import { tcpTransport, tlsTransport, transportForUrl } from '../../src/transport/index.js';
import { endpointOf } from '../../src/transport/node-socket.js';
import { createTlsTransport, type TlsTransport } from '../../src/transport/tls.js';
import type { TlsOptions, Transport, TransportFactory, TransportHandlers } from '../../src/transport/types.js';
import { concat, hex } from '../helpers/bytes.js';
import { describeWithMosquitto, freePorts, generateCerts, type Mosquitto, startMosquitto, type TestCerts } from '../helpers/mosquitto.js';

const HOST = '127.0.0.1';

// ---------------------------------------------------------------- helpers

/** Records what a transport reports. */
class Recorder implements TransportHandlers {
  readonly chunks: Uint8Array[] = [];
  received = 0;
  closeCalls = 0;
  closeError: Error | undefined;
  readonly closed: Promise<Error | undefined>;
  private resolveClosed!: (error: Error | undefined) => void;
  private waiters: Array<{ bytes: number; resolve(): void }> = [];

  constructor() {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    this.waiters = this.waiters.filter((w) => {
      if (this.received < w.bytes) return true;
      w.resolve();
      return false;
    });
  }

  onClose(error?: Error): void {
    this.closeCalls++;
    this.closeError = error;
    this.resolveClosed(error);
  }

  /** Resolves once `bytes` bytes in all have arrived. */
  async bytes(bytes: number): Promise<Uint8Array> {
    if (this.received < bytes) await new Promise<void>((resolve) => this.waiters.push({ bytes, resolve }));
    return concat(this.chunks);
  }
}

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function expectRejection(promise: Promise<unknown>): Promise<ConnectionError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectionError);
    return err as ConnectionError;
  }
  throw new Error('expected the promise to reject');
}

interface TestServer<S extends Socket> {
  port: number;
  url(scheme: string): URL;
  /** Sockets accepted so far (TLS: after the handshake). */
  readonly sockets: S[];
  /** Resolves with the next accepted socket. */
  next(): Promise<S>;
  close(): Promise<void>;
}

async function listen<S extends Socket>(server: Server | TlsServer, event: 'connection' | 'secureConnection'): Promise<TestServer<S>> {
  const sockets: S[] = [];
  let waiting: Array<(socket: S) => void> = [];
  server.on(event, (socket: S) => {
    sockets.push(socket);
    socket.on('error', () => {});
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve(socket);
  });
  // Handshake failures on the server side are expected in several tests.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const port = address.port;
  return {
    port,
    url: (scheme) => new URL(`${scheme}://${HOST}:${port}`),
    sockets,
    next: () => new Promise<S>((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that echoes every byte back. */
function echoServer(): Promise<TestServer<Socket>> {
  return listen(
    createServer((socket) => socket.pipe(socket)),
    'connection',
  );
}

/** A TCP server that accepts, reads and discards, and never answers (a TLS handshake never completes). */
function silentServer(): Promise<TestServer<Socket>> {
  return listen(
    createServer((socket) => socket.resume()),
    'connection',
  );
}

/** Resolves once the server side of a connection has closed (the client let go). */
async function serverSideClosed(socket: Socket): Promise<void> {
  if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
}

function tlsEchoServer(options: NodeTlsServerOptions): Promise<TestServer<TLSSocket>> {
  return listen(
    createTlsServer(options, (socket) => socket.pipe(socket)),
    'secureConnection',
  );
}

/** Opens, sends `text`, waits for the echo. */
async function roundTrip(factory: TransportFactory, url: URL, tls?: TlsOptions): Promise<{ transport: Transport; rec: Recorder }> {
  const rec = new Recorder();
  const transport = await factory({ url, tls }, rec);
  transport.write([ascii('ping')]);
  expect(new TextDecoder().decode(await rec.bytes(4))).toBe('ping');
  return { transport, rec };
}

// ---------------------------------------------------------------- URL schemes and errors

describe('transportForUrl', () => {
  it('maps mqtt:/tcp: to TCP and mqtts:/tls:/ssl: to TLS', () => {
    for (const scheme of ['mqtt', 'tcp']) expect(transportForUrl(new URL(`${scheme}://h`))).toBe(tcpTransport);
    for (const scheme of ['mqtts', 'tls', 'ssl']) expect(transportForUrl(new URL(`${scheme}://h`))).toBe(tlsTransport);
  });

  it.each(['http', 'foo'])('rejects %s: with an InvalidArgumentError naming the scheme', (scheme) => {
    let error: unknown;
    try {
      transportForUrl(new URL(`${scheme}://h`));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const e = error as InvalidArgumentError;
    expect(e.field).toBe('url');
    expect(e.message).toContain(`"${scheme}:"`);
    expect(e.message).toContain('mqtt:, tcp:, mqtts:, tls:, ssl:');
    expect(e.message).toContain('ws:, wss:');
  });
});

describe('endpoints', () => {
  it('uses the default port, strips IPv6 brackets, and rejects URLs without a host or with port 0', () => {
    expect(endpointOf(new URL('mqtt://broker.example'), 1883)).toEqual({
      host: 'broker.example',
      port: 1883,
      target: 'broker.example:1883',
    });
    expect(endpointOf(new URL('mqtts://broker.example:1234'), 8883).port).toBe(1234);
    expect(endpointOf(new URL('mqtt://[::1]:1884'), 1883)).toEqual({ host: '::1', port: 1884, target: '[::1]:1884' });
    expect(() => endpointOf(new URL('mqtt:///path'), 1883)).toThrow(InvalidArgumentError);
    expect(() => endpointOf(new URL('mqtt://h:0'), 1883)).toThrow(InvalidArgumentError);
  });

  it('rejects a negative connectTimeout', async () => {
    await expect(tcpTransport({ url: new URL(`mqtt://${HOST}:9`), connectTimeout: -1 }, new Recorder())).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('error mapping', () => {
  const map = (code: string, phase: 'connecting' | 'open' = 'connecting', message = 'boom') =>
    toConnectionError(Object.assign(new Error(message), { code }), 'h:1', phase);

  it.each([
    ['ECONNREFUSED', 'MQTTKIT_ERR_CONNECTION_REFUSED', true],
    ['ENOTFOUND', 'MQTTKIT_ERR_DNS', true],
    ['EAI_AGAIN', 'MQTTKIT_ERR_DNS', true],
    ['ETIMEDOUT', 'MQTTKIT_ERR_CONNECT_TIMEOUT', true],
    ['ECONNRESET', 'MQTTKIT_ERR_CONNECTION_RESET', true],
    ['EPIPE', 'MQTTKIT_ERR_CONNECTION_RESET', true],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'MQTTKIT_ERR_TLS_CERTIFICATE', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'MQTTKIT_ERR_TLS_CERTIFICATE', false],
    ['CERT_HAS_EXPIRED', 'MQTTKIT_ERR_TLS_CERTIFICATE', false],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'MQTTKIT_ERR_TLS_CERTIFICATE', false],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'MQTTKIT_ERR_TLS_CERTIFICATE', false],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'MQTTKIT_ERR_TLS_HANDSHAKE', false],
    ['EHOSTUNREACH', 'MQTTKIT_ERR_TRANSPORT', true],
  ])('%s -> %s (retryable %s)', (platformCode, code, retryable) => {
    const error = map(platformCode);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect((error.cause as { code: string }).code).toBe(platformCode);
  });

  it('names the reason for certificate failures and distinguishes errors on an open link', () => {
    expect(map('CERT_HAS_EXPIRED', 'connecting', 'certificate has expired').message).toBe(
      'TLS certificate of h:1 rejected: certificate has expired (CERT_HAS_EXPIRED)',
    );
    expect(map('ETIMEDOUT', 'open').code).toBe('MQTTKIT_ERR_CONNECTION_RESET');
    expect(map('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'open').code).toBe('MQTTKIT_ERR_TRANSPORT');
    const existing = new ConnectionError('x', 'MQTTKIT_ERR_ABORTED');
    expect(toConnectionError(existing, 'h:1', 'open')).toBe(existing);
  });
});

// ---------------------------------------------------------------- TCP

describe('tcpTransport', () => {
  let echo: TestServer<Socket>;
  beforeAll(async () => {
    echo = await echoServer();
  });
  afterAll(() => echo.close());

  it('echoes bytes; chunks arrive as Buffers; not encrypted', async () => {
    const { transport, rec } = await roundTrip(tcpTransport, echo.url('mqtt'));
    expect(transport.encrypted).toBe(false);
    expect(Buffer.isBuffer(rec.chunks[0])).toBe(true);
    transport.end();
    expect(await rec.closed).toBeUndefined();
    expect(rec.closeCalls).toBe(1);
  });

  it('delivers 1,000 chunks written in one write() intact and in order, mixed with large and empty ones', async () => {
    const rec = new Recorder();
    const transport = await tcpTransport({ url: echo.url('tcp') }, rec);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) {
      const chunk = new Uint8Array(30);
      for (let k = 0; k < 30; k++) chunk[k] = (i * 7 + k) & 0xff;
      chunks.push(chunk);
      if (i % 250 === 0) chunks.push(new Uint8Array(0), new Uint8Array(100_000).fill(i & 0xff));
    }
    const sent = concat(chunks);
    transport.write(chunks);
    const got = await rec.bytes(sent.length);
    expect(got.length).toBe(sent.length);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(sent))).toBe(0);
    transport.destroy();
    await rec.closed;
  });

  it('calls onClose once, without an error, when the server closes cleanly', async () => {
    const rec = new Recorder();
    const accepted = echo.next();
    await tcpTransport({ url: echo.url('mqtt') }, rec);
    (await accepted).end();
    expect(await rec.closed).toBeUndefined();
    await tick();
    expect(rec.closeCalls).toBe(1);
  });

  it('end() flushes what was written, then closes', async () => {
    const server = await listen<Socket>(createServer(), 'connection');
    const accepted = server.next();
    const rec = new Recorder();
    const transport = await tcpTransport({ url: server.url('mqtt') }, rec);
    const socket = await accepted;
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    transport.write([new Uint8Array(500_000).fill(1), ascii('last')]);
    transport.end();
    transport.end();
    await ended;
    socket.end();
    expect(Buffer.concat(received).length).toBe(500_004);
    expect(await rec.closed).toBeUndefined();
    expect(rec.closeCalls).toBe(1);
    expect(transport.write([ascii('late')])).toBe(false);
    await server.close();
  });

  it('destroy(err) closes at once and reports that error once', async () => {
    const rec = new Recorder();
    const transport = await tcpTransport({ url: echo.url('mqtt') }, rec);
    const reason = new Error('protocol violation');
    transport.destroy(reason);
    transport.destroy(new Error('second'));
    expect(await rec.closed).toBe(reason);
    await tick();
    expect(rec.closeCalls).toBe(1);
    expect(transport.write([ascii('x')])).toBe(false);
  });

  it('closes with the error when onData throws', async () => {
    const rec = new Recorder();
    const bug = new Error('handler bug');
    const transport = await tcpTransport(
      { url: echo.url('mqtt') },
      {
        onData: () => {
          throw bug;
        },
        onClose: (e) => rec.onClose(e),
      },
    );
    transport.write([ascii('x')]);
    expect(await rec.closed).toBe(bug);
  });

  it('reports a reset by the peer as MQTTKIT_ERR_CONNECTION_RESET', async () => {
    const server = await listen<Socket>(
      createServer((socket) => socket.once('data', () => socket.resetAndDestroy())),
      'connection',
    );
    const rec = new Recorder();
    const transport = await tcpTransport({ url: server.url('mqtt') }, rec);
    transport.write([ascii('x')]);
    const error = await rec.closed;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('MQTTKIT_ERR_CONNECTION_RESET');
    expect((error as ConnectionError).retryable).toBe(true);
    expect(rec.closeCalls).toBe(1);
    await server.close();
  });

  it('returns false under backpressure and calls onDrain once the peer reads', async () => {
    const server = await listen<Socket>(
      createServer((socket) => socket.pause()),
      'connection',
    );
    const accepted = server.next();
    const rec = new Recorder();
    const transport = await tcpTransport({ url: server.url('mqtt') }, rec);
    const socket = await accepted;
    let drained = 0;
    const drain = new Promise<void>((resolve) => {
      transport.onDrain = () => {
        drained++;
        resolve();
      };
    });
    const block = new Uint8Array(1 << 20);
    let writes = 0;
    while (transport.write([block, ascii('x')])) {
      if (++writes > 256) throw new Error('the socket never pushed back');
    }
    expect(drained).toBe(0);
    socket.resume();
    await drain;
    expect(drained).toBe(1);
    transport.destroy();
    await rec.closed;
    await server.close();
  });

  it('rejects with MQTTKIT_ERR_CONNECTION_REFUSED (retryable) on a closed port, without calling onClose', async () => {
    const [port] = await freePorts(1);
    const rec = new Recorder();
    const error = await expectRejection(tcpTransport({ url: new URL(`mqtt://${HOST}:${port}`) }, rec));
    expect(error.code).toBe('MQTTKIT_ERR_CONNECTION_REFUSED');
    expect(error.retryable).toBe(true);
    expect((error.cause as { code: string }).code).toBe('ECONNREFUSED');
    expect(error.message).toContain(`${HOST}:${port}`);
    await tick();
    expect(rec.closeCalls).toBe(0);
  });

  it('rejects with MQTTKIT_ERR_ABORTED when the signal is already aborted, without connecting', async () => {
    const server = await silentServer();
    const reason = new Error('user gave up');
    const error = await expectRejection(tcpTransport({ url: server.url('mqtt'), signal: AbortSignal.abort(reason) }, new Recorder()));
    expect(error.code).toBe('MQTTKIT_ERR_ABORTED');
    expect(error.retryable).toBe(false);
    expect(error.cause).toBe(reason);
    await tick(50);
    expect(server.sockets.length).toBe(0);
    await server.close();
  });

  it('rejects with MQTTKIT_ERR_ABORTED when aborted while connecting, and destroys the socket', async () => {
    const server = await silentServer();
    const controller = new AbortController();
    const attempt = tcpTransport({ url: server.url('mqtt'), signal: controller.signal }, new Recorder());
    controller.abort();
    const error = await expectRejection(attempt);
    expect(error.code).toBe('MQTTKIT_ERR_ABORTED');
    await tick(50);
    for (const socket of server.sockets) await serverSideClosed(socket);
    await server.close();
  });
});

// ---------------------------------------------------------------- TLS

describe('tlsTransport', () => {
  let dir: string;
  let certs: TestCerts;
  let server: TestServer<TLSSocket>;
  let trusted: TlsOptions;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqttkit-tls-'));
    certs = await generateCerts(dir);
    server = await tlsEchoServer({ cert: certs.serverCert.pem, key: certs.serverKey.pem, ALPNProtocols: ['mqtt'] });
    trusted = { ca: certs.ca.pem };
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects to a server the CA vouches for; no SNI for an IP address', async () => {
    const accepted = server.next();
    const { transport, rec } = await roundTrip(tlsTransport, server.url('mqtts'), trusted);
    const t = transport as TlsTransport;
    expect(t.encrypted).toBe(true);
    expect(t.authorized).toBe(true);
    expect(t.alpnProtocol).toBe(false);
    expect((await accepted).servername).toBe(false);
    transport.end();
    expect(await rec.closed).toBeUndefined();
    expect(rec.closeCalls).toBe(1);
  });

  it('sends the explicit servername as SNI and verifies the certificate against it', async () => {
    const accepted = server.next();
    const { transport } = await roundTrip(tlsTransport, server.url('tls'), { ...trusted, servername: 'localhost' });
    expect((await accepted).servername).toBe('localhost');
    transport.destroy();
  });

  it('rejects an untrusted certificate with MQTTKIT_ERR_TLS_CERTIFICATE, not retryable', async () => {
    const error = await expectRejection(tlsTransport({ url: server.url('mqtts') }, new Recorder()));
    expect(error.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
    expect(error.retryable).toBe(false);
    const cause = error.cause as Error & { code: string };
    expect(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']).toContain(cause.code);
    expect(error.message).toContain(cause.message);
  });

  it('rejects a host name mismatch with MQTTKIT_ERR_TLS_CERTIFICATE', async () => {
    const error = await expectRejection(
      tlsTransport({ url: server.url('mqtts'), tls: { ...trusted, servername: 'example.com' } }, new Recorder()),
    );
    expect(error.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
    expect(error.retryable).toBe(false);
    expect((error.cause as { code: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('connects to an untrusted server with rejectUnauthorized: false', async () => {
    const { transport } = await roundTrip(tlsTransport, server.url('ssl'), { rejectUnauthorized: false });
    expect((transport as TlsTransport).authorized).toBe(false);
    transport.destroy();
  });

  it('negotiates ALPN', async () => {
    const { transport } = await roundTrip(tlsTransport, server.url('mqtts'), { ...trusted, alpnProtocols: ['mqtt'] });
    expect((transport as TlsTransport).alpnProtocol).toBe('mqtt');
    transport.destroy();
  });

  it('resumes the TLS session on reconnect, per factory and per options', async () => {
    const factory = createTlsTransport();
    const first = await roundTrip(factory, server.url('mqtts'), trusted);
    expect((first.transport as TlsTransport).sessionReused).toBe(false);
    first.transport.end();
    await first.rec.closed;

    const second = await roundTrip(factory, server.url('mqtts'), trusted);
    expect((second.transport as TlsTransport).sessionReused).toBe(true);
    second.transport.destroy();

    const otherFactory = await roundTrip(createTlsTransport(), server.url('mqtts'), trusted);
    expect((otherFactory.transport as TlsTransport).sessionReused).toBe(false);
    otherFactory.transport.destroy();

    const otherOptions = await roundTrip(factory, server.url('mqtts'), { ...trusted, servername: 'localhost' });
    expect((otherOptions.transport as TlsTransport).sessionReused).toBe(false);
    otherOptions.transport.destroy();

    const disabled = createTlsTransport({ sessionCacheSize: 0 });
    (await roundTrip(disabled, server.url('mqtts'), trusted)).transport.destroy();
    const again = await roundTrip(disabled, server.url('mqtts'), trusted);
    expect((again.transport as TlsTransport).sessionReused).toBe(false);
    again.transport.destroy();
  });

  it('presents a client certificate for mutual TLS', async () => {
    const mtls = await tlsEchoServer({
      cert: certs.serverCert.pem,
      key: certs.serverKey.pem,
      ca: certs.ca.pem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const accepted = mtls.next();
    const { transport } = await roundTrip(tlsTransport, mtls.url('mqtts'), {
      ...trusted,
      cert: certs.clientCert.pem,
      key: new TextEncoder().encode(certs.clientKey.pem),
    });
    expect((await accepted).getPeerCertificate().subject.CN).toBe('mqttkit test client');
    transport.destroy();
    await mtls.close();
  });

  it('rejects unreadable TLS options with an InvalidArgumentError', async () => {
    await expect(
      tlsTransport({ url: server.url('mqtts'), tls: { key: 'not a key', cert: 'not a cert' } }, new Recorder()),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('rejects with MQTTKIT_ERR_TLS_HANDSHAKE when the server does not speak TLS', async () => {
    const echo = await echoServer();
    const error = await expectRejection(tlsTransport({ url: echo.url('mqtts'), tls: trusted }, new Recorder()));
    expect(error.code).toBe('MQTTKIT_ERR_TLS_HANDSHAKE');
    await echo.close();
  });

  it('times out a handshake that never completes with MQTTKIT_ERR_CONNECT_TIMEOUT, closing the socket', async () => {
    const silent = await silentServer();
    const accepted = silent.next();
    const started = Date.now();
    const error = await expectRejection(tlsTransport({ url: silent.url('mqtts'), connectTimeout: 300, tls: trusted }, new Recorder()));
    expect(error.code).toBe('MQTTKIT_ERR_CONNECT_TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('TLS handshake');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const socket = await accepted;
    await serverSideClosed(socket);
    await silent.close();
  });

  it('rejects with MQTTKIT_ERR_ABORTED when aborted during the handshake', async () => {
    const silent = await silentServer();
    const accepted = silent.next();
    const controller = new AbortController();
    const attempt = tlsTransport({ url: silent.url('mqtts'), signal: controller.signal, tls: trusted }, new Recorder());
    const socket = await accepted;
    controller.abort();
    const error = await expectRejection(attempt);
    expect(error.code).toBe('MQTTKIT_ERR_ABORTED');
    expect(error.retryable).toBe(false);
    await serverSideClosed(socket);
    await silent.close();
  });
});

// ---------------------------------------------------------------- Mosquitto

/** MQTT 3.1.1 CONNECT: client id 'test', keep alive 60, clean session. */
const CONNECT_311 = '101000044d5154540402003c000474657374';
const CONNACK_ACCEPTED = '20020000';

async function mqttConnect(factory: TransportFactory, url: string, tls?: TlsOptions, connect = fromHex(CONNECT_311)): Promise<string> {
  const rec = new Recorder();
  const transport = await factory({ url: new URL(url), tls }, rec);
  transport.write([connect]);
  const connack = await rec.bytes(4);
  transport.end();
  await rec.closed;
  return hex(connack);
}

describeWithMosquitto('against Mosquitto', () => {
  let broker: Mosquitto;

  beforeAll(async () => {
    const started = await startMosquitto({ tls: true, websockets: true, persistence: true });
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = started;
  });
  afterAll(() => broker?.stop());

  it('the CONNECT bytes are what the codec encodes', () => {
    expect(hex(encode({ type: 'connect', clientId: 'test', clean: true, keepAlive: 60 }, 4))).toBe(CONNECT_311);
  });

  it('answers CONNECT with CONNACK over TCP', async () => {
    const connack = await mqttConnect(tcpTransport, broker.url);
    expect(connack).toBe(CONNACK_ACCEPTED);
    const packet = new Decoder({ protocolVersion: 4 }).push(fromHex(connack))[0];
    expect(packet).toMatchObject({ type: 'connack', sessionPresent: false, reasonCode: 0 });
  });

  it('answers CONNECT with CONNACK over TLS', async () => {
    expect(broker.tlsUrl).toBeDefined();
    expect(await mqttConnect(tlsTransport, broker.tlsUrl ?? '', { ca: broker.certs?.ca.pem })).toBe(CONNACK_ACCEPTED);
    expect(broker.logs()).toMatch(/New client connected .* as test/);
  });

  it('upgrades a websockets request', async () => {
    const rec = new Recorder();
    const transport = await tcpTransport({ url: new URL(broker.url.replace(String(broker.port), String(broker.wsPort))) }, rec);
    transport.write([
      ascii(
        `GET /mqtt HTTP/1.1\r\nHost: ${HOST}:${broker.wsPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n',
      ),
    ]);
    await rec.bytes(12);
    expect(new TextDecoder().decode(concat(rec.chunks))).toMatch(/^HTTP\/1\.1 101 /);
    transport.destroy();
  });

  it('restarts on the same ports', async () => {
    const pid = broker.pid;
    await broker.restart();
    expect(broker.pid).not.toBe(pid);
    expect(await mqttConnect(tcpTransport, broker.url)).toBe(CONNACK_ACCEPTED);
  });

  it.each(['auto', 'builtin'] as const)('checks passwords from a password file (%s hasher), then stops', async (passwordHasher) => {
    const auth = await startMosquitto({ users: { alice: 's3cret' }, passwordHasher });
    if (auth === undefined) throw new Error('unreachable');
    try {
      const login = (username: string, password: string) =>
        mqttConnect(
          tcpTransport,
          auth.url,
          undefined,
          encode({ type: 'connect', clientId: 'test', clean: true, keepAlive: 60, username, password: ascii(password) }, 4),
        );
      expect(await login('alice', 's3cret')).toBe(CONNACK_ACCEPTED);
      expect(await login('alice', 'wrong')).toBe('20020005');
      expect(await mqttConnect(tcpTransport, auth.url)).toBe('20020005');
    } finally {
      await auth.stop();
    }
    const error = await expectRejection(tcpTransport({ url: new URL(auth.url) }, new Recorder()));
    expect(error.code).toBe('MQTTKIT_ERR_CONNECTION_REFUSED');
  });
});

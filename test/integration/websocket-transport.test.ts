/**
 * The Node WebSocket transport against small servers on 127.0.0.1 that do
 * what a real broker rarely does on cue: split one packet across frames and
 * pack several into one, refuse the upgrade with an HTTP status, pick the
 * wrong subprotocol, never answer, send a text frame, stop reading.
 */

import { createServer as createHttpServer, type Server as HttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import { Decoder, encode, type Packet } from '../../src/codec/index.js';
import { ConnectionError, MalformedPacketError } from '../../src/errors.js';
import { connect, createClient, createWebSocketTransport, type MqttClient } from '../../src/node.js';
import type { UpgradeResponse } from '../../src/transport/errors.js';
import type { Transport, TransportHandlers, TransportOptions } from '../../src/transport/types.js';
import { nodeWebSocketTransport } from '../../src/transport/websocket-node.js';
import { concat } from '../helpers/bytes.js';
import { FAST_RECONNECT, Inbox, nextEvent, rejectionOf } from '../helpers/clients.js';
import { freePorts } from '../helpers/mosquitto.js';

const HOST = '127.0.0.1';

/** Records what a transport reports. */
class Recorder implements TransportHandlers {
  readonly chunks: Uint8Array[] = [];
  closeCalls = 0;
  readonly closed: Promise<Error | undefined>;
  private resolveClosed!: (error: Error | undefined) => void;
  throwOnData: Error | undefined;

  constructor() {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    if (this.throwOnData !== undefined) throw this.throwOnData;
  }

  onClose(error?: Error): void {
    this.closeCalls++;
    this.resolveClosed(error);
  }
}

interface ClientFrame {
  binary: boolean;
  bytes: Uint8Array;
}

/** A WebSocket server standing in for a broker; `serve` runs the broker's side of each connection. */
interface FakeBroker {
  url: string;
  frames: ClientFrame[];
  requests: IncomingHttpHeaders[];
  sockets: ServerSocket[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeBroker(
  serve: (socket: ServerSocket, packet: Packet, version: 3 | 4 | 5) => void = answerConnect,
  protocol: (offered: Set<string>) => string | false = (offered) => [...offered][0] ?? false,
): Promise<FakeBroker> {
  const frames: ClientFrame[] = [];
  const requests: IncomingHttpHeaders[] = [];
  const sockets: ServerSocket[] = [];
  const server = new WebSocketServer({ host: HOST, port: 0, handleProtocols: protocol });
  server.on('connection', (socket, request) => {
    requests.push(request.headers);
    sockets.push(socket);
    const decoder = new Decoder();
    socket.on('message', (data: Buffer, binary) => {
      const bytes = new Uint8Array(data);
      frames.push({ binary, bytes });
      let packets: Packet[];
      try {
        packets = decoder.push(bytes);
      } catch {
        return; // Tests that only count bytes send no MQTT.
      }
      for (const packet of packets) serve(socket, packet, decoder.protocolVersion as 3 | 4 | 5);
    });
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const broker = {
    url: `ws://${HOST}:${address.port}/mqtt`,
    frames,
    requests,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(broker.close);
  return broker;
}

/** Accepts every CONNECT. */
function answerConnect(socket: ServerSocket, packet: Packet, version: 3 | 4 | 5): void {
  if (packet.type === 'connect') socket.send(encode({ type: 'connack', sessionPresent: false, reasonCode: 0 }, version));
}

/** An HTTP server that answers every request (upgrades included) with `status`. */
async function refusingServer(status: number, headers: Record<string, string> = {}): Promise<string> {
  const server: HttpServer = createHttpServer((_request, response) => {
    response.writeHead(status, headers).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `ws://${HOST}:${address.port}/mqtt`;
}

/** A TCP server that accepts connections, reads what comes, and never says a word. */
async function silentServer(): Promise<{ url: string; sockets: Socket[]; closed: Socket[] }> {
  const sockets: Socket[] = [];
  const closed: Socket[] = [];
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('close', () => closed.push(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `ws://${HOST}:${address.port}/mqtt`, sockets, closed };
}

function open(url: string, handlers: TransportHandlers = new Recorder(), options: Partial<TransportOptions> = {}): Promise<Transport> {
  return nodeWebSocketTransport({ url: new URL(url), ...options }, handlers);
}

async function connectionError(promise: Promise<unknown>): Promise<ConnectionError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

function track(client: MqttClient): MqttClient {
  cleanups.push(() => client.end({ force: true }));
  return client;
}

describe('frames', () => {
  it('reassembles a CONNACK sent one byte per frame, and splits frames holding several packets, one cut mid-packet [MQTT-6.0.0-2]', async () => {
    const pubacks: number[] = [];
    const broker = await fakeBroker((socket, packet, version) => {
      if (packet.type === 'connect') {
        for (const byte of encode({ type: 'connack', sessionPresent: false, reasonCode: 0 }, version)) socket.send(Uint8Array.of(byte));
      } else if (packet.type === 'subscribe') {
        const publish = (topic: string, text: string, qos: 0 | 1, packetId?: number) =>
          encode({ type: 'publish', topic, payload: new TextEncoder().encode(text), qos, retain: false, dup: false, packetId }, version);
        const suback = encode({ type: 'suback', packetId: packet.packetId, reasonCodes: [1] }, version);
        const second = publish('t/2', 'second, QoS 1, cut in two', 1, 7);
        const cut = 5;
        socket.send(concat([suback, publish('t/1', 'first', 0), second.subarray(0, cut)]));
        socket.send(concat([second.subarray(cut), publish('t/3', 'third', 0)]));
      } else if (packet.type === 'puback') {
        pubacks.push(packet.packetId);
      }
    });
    const client = track(await connect(broker.url, { protocolVersion: 4, clientId: 'frames', reconnect: false }));
    const inbox = new Inbox(client);
    const sub = await client.subscribe('t/#', { qos: 1 });
    expect(sub.reasonCodes).toEqual([1]);
    const messages = await inbox.count(3);
    expect(messages.map((m) => [m.topic, m.qos, m.text()])).toEqual([
      ['t/1', 0, 'first'],
      ['t/2', 1, 'second, QoS 1, cut in two'],
      ['t/3', 0, 'third'],
    ]);
    await vi.waitFor(() => expect(pubacks).toEqual([7]));
  });

  it('the client sends binary frames only, each holding whole packets; 100 publishes of one tick share one frame [MQTT-6.0.0-1]', async () => {
    const broker = await fakeBroker();
    const client = track(await connect(broker.url, { protocolVersion: 5, clientId: 'binary', reconnect: false }));
    const before = broker.frames.length;
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.publish('t', `message ${i}`)));
    await vi.waitFor(() => expect(broker.frames.length).toBeGreaterThan(before));
    expect(broker.frames.length - before).toBe(1);
    expect(new Decoder().push(broker.frames[before].bytes)).toHaveLength(100);
    for (const frame of broker.frames) {
      expect(frame.binary).toBe(true);
      const decoder = new Decoder();
      expect(decoder.push(frame.bytes).length).toBeGreaterThan(0);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('a text frame from the server closes the connection with a MalformedPacketError [MQTT-6.0.0-1]', async () => {
    const broker = await fakeBroker();
    const recorder = new Recorder();
    await open(broker.url, recorder);
    broker.sockets[0]?.send('CONNACK as text');
    const error = await recorder.closed;
    expect(error).toBeInstanceOf(MalformedPacketError);
    expect(error?.message).toMatch(/text frame/);
    expect(recorder.closeCalls).toBe(1);
  });
});

describe('handshake', () => {
  it.each([
    [5, 'mqtt'],
    [4, 'mqtt'],
    [3, 'mqttv3.1'],
  ] as const)('MQTT protocol level %i offers the subprotocol "%s" [MQTT-6.0.0-3]', async (protocolVersion, subprotocol) => {
    const broker = await fakeBroker();
    track(await connect(broker.url, { protocolVersion, clientId: 'subprotocol', reconnect: false }));
    track(
      await connect(broker.url, { protocolVersion, clientId: 'own-transport', reconnect: false, transport: createWebSocketTransport() }),
    );
    expect(broker.requests.map((h) => h['sec-websocket-protocol'])).toEqual([subprotocol, subprotocol]);
  });

  it('sends the configured headers; URL credentials go in CONNECT, not in an HTTP Authorization header', async () => {
    const connects: Packet[] = [];
    const broker = await fakeBroker((socket, packet, version) => {
      connects.push(packet);
      answerConnect(socket, packet, version);
    });
    const withCredentials = broker.url.replace('ws://', 'ws://alice:s3cret@');
    const transport = createWebSocketTransport({ headers: { 'X-Api-Key': 'k-123' } });
    track(await connect(withCredentials, { protocolVersion: 4, clientId: 'headers', transport, reconnect: false }));
    expect(broker.requests[0]?.['x-api-key']).toBe('k-123');
    expect(broker.requests[0]?.authorization).toBeUndefined();
    expect(connects[0]).toMatchObject({ type: 'connect', username: 'alice' });
  });

  it.each([
    [401, false],
    [403, false],
    [404, false],
    [503, true],
  ])(
    'HTTP %i on the upgrade rejects with MQTTKIT_ERR_WEBSOCKET_UPGRADE (retryable: %s) carrying the response',
    async (status, retryable) => {
      const url = await refusingServer(status, { 'WWW-Authenticate': 'Bearer realm="mqtt"' });
      const error = await connectionError(open(url));
      expect(error.code).toBe('MQTTKIT_ERR_WEBSOCKET_UPGRADE');
      expect(error.retryable).toBe(retryable);
      expect(error.message).toContain(`HTTP ${status}`);
      const response = error.cause as UpgradeResponse;
      expect(response.status).toBe(status);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="mqtt"');
    },
  );

  it('the client follows the reconnect policy: HTTP 401 stops it, HTTP 503 schedules a reconnect', async () => {
    const unauthorized = track(createClient(await refusingServer(401), { reconnect: FAST_RECONNECT }));
    const closed = nextEvent(unauthorized, 'close');
    unauthorized.start();
    expect((await closed)[0].error?.code).toBe('MQTTKIT_ERR_WEBSOCKET_UPGRADE');

    const unavailable = track(createClient(await refusingServer(503), { reconnect: FAST_RECONNECT }));
    const reconnect = nextEvent(unavailable, 'reconnect');
    unavailable.start();
    expect((await reconnect)[0].error).toMatchObject({ code: 'MQTTKIT_ERR_WEBSOCKET_UPGRADE', retryable: true });
  });

  it.each([
    ['a subprotocol that is not MQTT', () => 'chat' as const, '"chat"'],
    ['no subprotocol', () => false as const, 'none'],
  ])('a server that picks %s fails with MQTTKIT_ERR_WEBSOCKET_PROTOCOL, not retryable', async (_what, pick, named) => {
    const broker = await fakeBroker(answerConnect, pick);
    const error = await connectionError(open(broker.url));
    expect(error.code).toBe('MQTTKIT_ERR_WEBSOCKET_PROTOCOL');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(named);
  });

  it('a closed port rejects with MQTTKIT_ERR_CONNECTION_REFUSED (retryable) and the platform error as cause', async () => {
    const [port] = await freePorts(1);
    const error = await connectionError(open(`ws://${HOST}:${port}/mqtt`));
    expect(error.code).toBe('MQTTKIT_ERR_CONNECTION_REFUSED');
    expect(error.retryable).toBe(true);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('an upgrade that never completes times out with MQTTKIT_ERR_CONNECT_TIMEOUT and the socket is closed', async () => {
    const silent = await silentServer();
    const error = await connectionError(open(silent.url, new Recorder(), { connectTimeout: 300 }));
    expect(error.code).toBe('MQTTKIT_ERR_CONNECT_TIMEOUT');
    expect(error.retryable).toBe(true);
    await vi.waitFor(() => expect(silent.closed).toHaveLength(1));
  });

  it('an AbortSignal cancels the attempt: before it starts, and while the upgrade is pending (MQTTKIT_ERR_ABORTED)', async () => {
    const silent = await silentServer();
    const early = await connectionError(open(silent.url, new Recorder(), { signal: AbortSignal.abort() }));
    expect(early.code).toBe('MQTTKIT_ERR_ABORTED');
    const controller = new AbortController();
    const pending = open(silent.url, new Recorder(), { signal: controller.signal });
    await vi.waitFor(() => expect(silent.sockets).toHaveLength(1));
    controller.abort(new Error('user left'));
    const late = await connectionError(pending);
    expect(late.code).toBe('MQTTKIT_ERR_ABORTED');
    expect(late.retryable).toBe(false);
  });

  it('uses a WebSocket class or factory the caller supplies', async () => {
    const broker = await fakeBroker();
    const made: string[] = [];
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols: string[], options?: object) {
        super(url, protocols, options);
        made.push('class');
      }
    }
    const viaClass = createWebSocketTransport({ WebSocket: CountingWebSocket });
    const viaFactory = createWebSocketTransport({
      createWebSocket: (url, protocols) => {
        made.push('factory');
        return new WebSocket(url, protocols);
      },
    });
    for (const transport of [viaClass, viaFactory]) {
      const recorder = new Recorder();
      const opened = await transport({ url: new URL(broker.url) }, recorder);
      opened.write([encode({ type: 'connect', clientId: 'own', clean: true, keepAlive: 0 }, 4)]);
      await vi.waitFor(() => expect(recorder.chunks.length).toBeGreaterThan(0));
      // Standard binaryType 'arraybuffer' for classes other than `ws` itself; the transport still hands on Uint8Arrays.
      expect(recorder.chunks[0]).toBeInstanceOf(Uint8Array);
      expect(Array.from(concat(recorder.chunks))).toEqual([0x20, 0x02, 0x00, 0x00]);
      opened.destroy();
    }
    expect(made).toEqual(['class', 'factory']);
  });
});

describe('an open connection', () => {
  it('end() closes with code 1000 and reports the close once, without an error', async () => {
    const broker = await fakeBroker();
    const recorder = new Recorder();
    const transport = await open(broker.url, recorder);
    const serverClosed = new Promise<number>((resolve) => broker.sockets[0]?.once('close', (code) => resolve(code)));
    transport.end();
    expect(await recorder.closed).toBeUndefined();
    expect(await serverClosed).toBe(1000);
    expect(recorder.closeCalls).toBe(1);
  });

  it.each([
    ['closes normally (1000)', (s: ServerSocket) => s.close(1000), undefined],
    ['drops the TCP connection (1006)', (s: ServerSocket) => s.terminate(), 'MQTTKIT_ERR_CONNECTION_RESET'],
    ['closes with 1011', (s: ServerSocket) => s.close(1011, 'broker restarting'), 'MQTTKIT_ERR_TRANSPORT'],
  ])('the server %s: onClose reports %s', async (_what, closeIt, code) => {
    const broker = await fakeBroker();
    const recorder = new Recorder();
    await open(broker.url, recorder);
    const socket = broker.sockets[0];
    if (socket === undefined) throw new Error('no server socket');
    closeIt(socket);
    const error = await recorder.closed;
    if (code === undefined) expect(error).toBeUndefined();
    else expect(error).toMatchObject({ code, retryable: true });
    expect(recorder.closeCalls).toBe(1);
  });

  it('destroy(error) reports that error once; a throwing onData closes with its error', async () => {
    const broker = await fakeBroker();
    const recorder = new Recorder();
    const transport = await open(broker.url, recorder);
    const reason = new Error('keep alive timeout');
    transport.destroy(reason);
    transport.destroy(new Error('second'));
    expect(await recorder.closed).toBe(reason);
    expect(transport.write([Uint8Array.of(0xc0, 0)])).toBe(false);

    const throwing = new Recorder();
    throwing.throwOnData = new Error('handler failed');
    const other = await open(broker.url, throwing);
    other.write([encode({ type: 'connect', clientId: 'x', clean: true, keepAlive: 0 }, 4)]);
    expect(await throwing.closed).toBe(throwing.throwOnData);
    expect(throwing.closeCalls).toBe(1);
  });

  it('write() returns false above the high-water mark, and onDrain fires once the server reads again', async () => {
    const broker = await fakeBroker(() => undefined);
    const transport = await open(broker.url);
    const socket = broker.sockets[0];
    if (socket === undefined) throw new Error('no server socket');
    socket.pause();
    const drained = new Promise<void>((resolve) => {
      transport.onDrain = resolve;
    });
    const chunk = new Uint8Array(64 * 1024);
    let written = 0;
    while (transport.write([chunk])) {
      written += chunk.length;
      if (written > 256 * 1024 * 1024) throw new Error('never saw backpressure');
    }
    socket.resume();
    await drained;
    expect(transport.write([Uint8Array.of(0xc0, 0)])).toBe(true);
    transport.destroy();
  });
});

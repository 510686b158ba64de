/**
 * The platform-neutral WebSocket transport (src/transport/websocket.ts, what
 * the browser builds use) driven by a scripted WebSocket with only the
 * standard API, behaving as browsers do: failures without reasons, no
 * `terminate()`, no drain event. Also the browser entry's URL rules.
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect as browserConnect, createClient as browserCreateClient } from '../../src/browser.js';
import { ConnectionError, InvalidArgumentError, MalformedPacketError } from '../../src/errors.js';
import { transportForUrl as browserTransportForUrl } from '../../src/transport/browser.js';
import { transportForUrl } from '../../src/transport/index.js';
import type { TransportHandlers } from '../../src/transport/types.js';
import { createWebSocketTransport, type WebSocketEvent, type WebSocketLike, websocketTransport } from '../../src/transport/websocket.js';
import { nodeWebSocketTransport } from '../../src/transport/websocket-node.js';
import { rejectionOf } from '../helpers/clients.js';

type Listener = (event: WebSocketEvent) => void;

/** A WebSocket with the standard API only, scripted by the test. */
class ScriptedSocket implements WebSocketLike {
  binaryType = 'blob';
  protocol = '';
  readyState = 0;
  bufferedAmountReads = 0;
  buffered = 0;
  readonly sent: Uint8Array[] = [];
  closeCalls: Array<number | undefined> = [];
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  get bufferedAmount(): number {
    this.bufferedAmountReads++;
    return this.buffered;
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(data: Uint8Array): void {
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closeCalls.push(code);
  }

  emit(type: 'open' | 'message' | 'error' | 'close', event: Partial<WebSocketEvent> = {}): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ type, ...event });
  }

  /** Opens, agreeing to the first subprotocol offered. */
  accept(): void {
    this.protocol = this.protocols[0] ?? '';
    this.readyState = 1;
    this.emit('open');
  }
}

class Recorder implements TransportHandlers {
  readonly chunks: Uint8Array[] = [];
  readonly closes: Array<Error | undefined> = [];
  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }
  onClose(error?: Error): void {
    this.closes.push(error);
  }
}

/** A transport factory over scripted sockets, and the sockets it made. */
function scripted() {
  const sockets: ScriptedSocket[] = [];
  const factory = createWebSocketTransport({
    createWebSocket: (url, protocols) => {
      const socket = new ScriptedSocket(url, protocols);
      sockets.push(socket);
      return socket;
    },
  });
  const last = (): ScriptedSocket => {
    const socket = sockets.at(-1);
    if (socket === undefined) throw new Error('no socket yet');
    return socket;
  };
  return { factory, sockets, last };
}

async function opened(url = 'ws://broker.test:8080/mqtt') {
  const s = scripted();
  const recorder = new Recorder();
  const pending = s.factory({ url: new URL(url) }, recorder);
  s.last().accept();
  return { ...s, recorder, transport: await pending, socket: s.last() };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('opening', () => {
  it('opens the URL without credentials or fragment, offering "mqtt", with binaryType arraybuffer', async () => {
    const { socket, transport } = await opened('wss://alice:s3cret@broker.test/mqtt?x=1#frag');
    expect(socket.url).toBe('wss://broker.test/mqtt?x=1');
    expect(socket.protocols).toEqual(['mqtt']);
    expect(socket.binaryType).toBe('arraybuffer');
    expect(transport.encrypted).toBe(true);
  });

  it('a failure the browser does not explain (error, then close 1006) is MQTTKIT_ERR_TRANSPORT, retryable, with the event as cause', async () => {
    const s = scripted();
    const pending = s.factory({ url: new URL('ws://broker.test/mqtt') }, new Recorder());
    s.last().emit('error');
    s.last().emit('close', { code: 1006 });
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'MQTTKIT_ERR_TRANSPORT', retryable: true });
    expect((error.cause as WebSocketEvent).type).toBe('error');
  });

  it('an error event that carries the platform error maps its code (ENOTFOUND: MQTTKIT_ERR_DNS)', async () => {
    const s = scripted();
    const pending = s.factory({ url: new URL('ws://no-such-host.test/mqtt') }, new Recorder());
    s.last().emit('error', { error: Object.assign(new Error('getaddrinfo ENOTFOUND no-such-host.test'), { code: 'ENOTFOUND' }) });
    const error = await rejectionOf(pending);
    expect(error).toMatchObject({ code: 'MQTTKIT_ERR_DNS', retryable: true });
    expect(error.message).toContain('no-such-host.test');
  });

  it('a WebSocket class that opens without the MQTT subprotocol fails with MQTTKIT_ERR_WEBSOCKET_PROTOCOL and is closed', async () => {
    const s = scripted();
    const pending = s.factory({ url: new URL('ws://broker.test/mqtt') }, new Recorder());
    s.last().emit('open');
    expect(await rejectionOf(pending)).toMatchObject({ code: 'MQTTKIT_ERR_WEBSOCKET_PROTOCOL', retryable: false });
    expect(s.last().closeCalls).toHaveLength(1);
  });

  it('without a global WebSocket, says how to supply one; a constructor SyntaxError is an invalid URL', async () => {
    vi.stubGlobal('WebSocket', undefined);
    const missing = await rejectionOf(websocketTransport({ url: new URL('ws://broker.test/') }, new Recorder()));
    expect(missing).toBeInstanceOf(InvalidArgumentError);
    expect(missing).toMatchObject({ field: 'WebSocket' });

    const syntax = createWebSocketTransport({
      createWebSocket: () => {
        throw Object.assign(new Error("The URL's scheme must be either 'ws' or 'wss'"), { name: 'SyntaxError' });
      },
    });
    expect(await rejectionOf(syntax({ url: new URL('ws://broker.test/') }, new Recorder()))).toMatchObject({ field: 'url' });
    expect(await rejectionOf(syntax({ url: new URL('mqtt://broker.test/') }, new Recorder()))).toBeInstanceOf(InvalidArgumentError);
  });

  it('times out and honours an AbortSignal, closing the socket', async () => {
    vi.useFakeTimers();
    const s = scripted();
    const timedOut = s.factory({ url: new URL('ws://broker.test/mqtt'), connectTimeout: 1_000 }, new Recorder());
    const settled = rejectionOf(timedOut);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled).toMatchObject({ code: 'MQTTKIT_ERR_CONNECT_TIMEOUT' });
    expect(s.last().closeCalls).toHaveLength(1);

    const controller = new AbortController();
    const aborted = s.factory({ url: new URL('ws://broker.test/mqtt'), signal: controller.signal }, new Recorder());
    controller.abort();
    expect(await rejectionOf(aborted)).toMatchObject({ code: 'MQTTKIT_ERR_ABORTED', retryable: false });
    expect(s.last().closeCalls).toHaveLength(1);
  });
});

describe('an open connection', () => {
  it('hands on ArrayBuffers and views as Uint8Arrays; a text frame or a Blob closes with MalformedPacketError [MQTT-6.0.0-1]', async () => {
    const { socket, recorder } = await opened();
    socket.emit('message', { data: Uint8Array.of(0x20, 0x02).buffer });
    socket.emit('message', { data: new DataView(Uint8Array.of(9, 0x00, 0x00, 9).buffer, 1, 2) });
    expect(recorder.chunks.map((c) => Array.from(c))).toEqual([
      [0x20, 0x02],
      [0x00, 0x00],
    ]);
    socket.emit('message', { data: 'text' });
    await Promise.resolve();
    expect(recorder.closes).toHaveLength(1);
    expect(recorder.closes[0]).toBeInstanceOf(MalformedPacketError);

    const other = await opened();
    other.socket.emit('message', { data: { size: 4, type: '' } });
    await Promise.resolve();
    expect(other.recorder.closes[0]?.message).toMatch(/binaryType/);
  });

  it('coalesces small chunks into one frame and passes large ones uncopied', async () => {
    const { socket, transport } = await opened();
    const large = new Uint8Array(4096);
    transport.write([Uint8Array.of(1), Uint8Array.of(2, 3), large, Uint8Array.of(4), new Uint8Array(0)]);
    expect(socket.sent.map((f) => f.length)).toEqual([3, 4096, 1]);
    expect(socket.sent[1]).toBe(large);
  });

  it('write() returns false above the high-water mark; bufferedAmount is polled sparingly until it halves, then onDrain fires once', async () => {
    vi.useFakeTimers();
    const { socket, transport } = await opened();
    let drains = 0;
    transport.onDrain = () => drains++;
    socket.buffered = 100 * 1024;
    expect(transport.write([new Uint8Array(10)])).toBe(false);
    const readsBefore = socket.bufferedAmountReads;
    await vi.advanceTimersByTimeAsync(2_000);
    // 10, 20, 40, 80, 160 ms, then every 200 ms: 13 looks in 2 s of stall.
    expect(socket.bufferedAmountReads - readsBefore).toBe(13);
    expect(drains).toBe(0);
    socket.buffered = 32 * 1024;
    await vi.advanceTimersByTimeAsync(200);
    expect(drains).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(drains).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('destroy() reports the close at once although the browser close event comes later (or never)', async () => {
    const { socket, transport, recorder } = await opened();
    const reason = new Error('keep alive timeout');
    transport.destroy(reason);
    expect(socket.closeCalls).toEqual([undefined]);
    await Promise.resolve();
    expect(recorder.closes).toEqual([reason]);
    socket.emit('close', { code: 1005 });
    expect(recorder.closes).toHaveLength(1);
  });

  it('end() closes with 1000; if the closing handshake never completes the close is reported after 5 s, once', async () => {
    vi.useFakeTimers();
    const { socket, transport, recorder } = await opened();
    transport.end();
    expect(socket.closeCalls).toEqual([1000]);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(recorder.closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(recorder.closes).toEqual([undefined]);
    socket.emit('close', { code: 1000 });
    expect(recorder.closes).toHaveLength(1);
  });
});

describe('URL schemes', () => {
  it('Node maps ws: and wss: to the `ws` transport', () => {
    expect(transportForUrl(new URL('ws://h/mqtt'))).toBe(nodeWebSocketTransport);
    expect(transportForUrl(new URL('wss://h/mqtt'))).toBe(nodeWebSocketTransport);
  });

  it.each(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ssl:'])(
    'the browser entry refuses %s URLs: raw TCP is not available in browsers, use ws:/wss:',
    async (scheme) => {
      const url = `${scheme}//broker.test:1883`;
      expect(browserTransportForUrl(new URL('wss://h/mqtt'))).toBe(websocketTransport);
      let thrown: unknown;
      try {
        browserCreateClient(url);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect(thrown).toMatchObject({ field: 'url', message: expect.stringMatching(/raw TCP.*not available in browsers.*ws: or wss:/) });
      expect(await rejectionOf(browserConnect(url))).toBeInstanceOf(InvalidArgumentError);
    },
  );
});

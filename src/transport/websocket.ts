/**
 * MQTT over WebSocket (ws:, wss:) on any platform. The transport is driven by
 * a WebSocket constructor: the global one in browsers, the `ws` package on
 * Node (websocket-node.ts plugs it in). No platform imports here, so the
 * browser build can use this file as it is.
 *
 * Wire rules: MQTT packets travel in binary frames only, and a text frame from
 * the server closes the connection [MQTT-6.0.0-1]; a packet may span frames and
 * a frame may hold several packets [MQTT-6.0.0-2], so each frame's bytes go to
 * the client's streaming decoder as they come; the subprotocol offered is
 * `mqtt` [MQTT-6.0.0-3] (`mqttv3.1` for MQTT 3.1, which predates that rule).
 *
 * Backpressure: WebSocket has no drain event. Once `bufferedAmount` passes the
 * high-water mark, `write()` returns false and the transport polls
 * `bufferedAmount` (after 10 ms, then doubling up to 200 ms, so a long stall
 * costs a few timer ticks a second) until it is down to half the mark, then
 * calls `onDrain`.
 */

import { InvalidArgumentError, MalformedPacketError, MqttkitError } from '../errors.js';
import {
  abortedError,
  connectTimeoutError,
  subprotocolError,
  toConnectionError,
  webSocketClosedError,
  webSocketFailedError,
} from './errors.js';
import { connectTimeoutOf } from './options.js';
import type { Transport, TransportFactory, TransportHandlers, TransportOptions } from './types.js';

/** The parts of a WebSocket event the transport reads (open, message, error, close). */
export interface WebSocketEvent {
  /** `open`, `message`, `error` or `close`. */
  readonly type: string;
  /** message: an ArrayBuffer or a Uint8Array (Node's `ws`) for binary frames, a string for text frames. */
  readonly data?: unknown;
  /** close: the close code (1000 normal, 1006 lost without a close frame, ...). */
  readonly code?: number;
  /** close: the reason text the peer sent, if any. */
  readonly reason?: string;
  /** error, on Node's `ws`: the underlying error (ECONNREFUSED, a TLS failure, ...). Browsers give none. */
  readonly error?: unknown;
}

/** What the transport needs of a WebSocket: the standard API, which browsers and `ws` both have. */
export interface WebSocketLike {
  /** Set by the transport to `arraybuffer` (or `nodebuffer` for `ws`) before any message arrives. */
  binaryType: string;
  /** Bytes queued by `send` and not yet sent; the transport uses it for backpressure. */
  readonly bufferedAmount: number;
  /** The subprotocol the server agreed to ('' for none). */
  readonly protocol: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed (the standard constants). */
  readonly readyState: number;
  /** Sends one binary frame. */
  send(data: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens to one of the four events the transport uses. */
  addEventListener(type: 'open' | 'message' | 'error' | 'close', listener: (event: WebSocketEvent) => void): void;
}

/** A WebSocket class: the browser's `WebSocket`, or a compatible one. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/** Options of {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions {
  /** The WebSocket class to use (default: the global `WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** Makes each socket yourself (takes precedence over `WebSocket`), e.g. to go through a proxy. */
  createWebSocket?: (url: string, protocols: string[]) => WebSocketLike;
  /** `write()` returns false once this many bytes wait in the send buffer (default 64 KiB). */
  highWaterMark?: number;
}

/**
 * One socket being opened, as a platform adapter hands it to the transport.
 * @internal
 */
export interface OpeningWebSocket {
  socket: WebSocketLike;
  /** `arraybuffer` (standard), or `nodebuffer` where the socket is Node's `ws` (frames arrive as Uint8Arrays, uncopied). */
  binaryType: string;
  /** What the platform knows about a failed opening beyond the standard error event (Node: the HTTP status, the subprotocol). */
  explainFailure?(target: string): MqttkitError | undefined;
}

/**
 * Starts opening a socket to `url` offering `protocols`.
 * @internal
 */
export type OpenWebSocket = (url: string, protocols: string[], options: TransportOptions) => OpeningWebSocket;

const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
const FIRST_DRAIN_POLL = 10;
const MAX_DRAIN_POLL = 200;
/** After `end()`, wait this long for the closing handshake before reporting the close ourselves. */
const END_TIMEOUT = 5_000;
/** Chunks shorter than this share a frame with their short neighbours; longer ones get a frame of their own (no copy). */
const COALESCE_BELOW = 1024;

/** The subprotocol for an MQTT version: `mqttv3.1` for 3.1, `mqtt` for 3.1.1 and 5. */
export function subprotocolFor(protocolVersion: 3 | 4 | 5 | undefined): string {
  return protocolVersion === 3 ? 'mqttv3.1' : 'mqtt';
}

/** The URL to open: ws: or wss:, without credentials (they belong in CONNECT) and fragment (WebSocket forbids one). */
function webSocketUrl(url: URL): { href: string; target: string; secure: boolean } {
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new InvalidArgumentError(`a WebSocket transport needs a ws: or wss: URL, got ${url.protocol}`, 'url');
  }
  if (url.hostname === '') throw new InvalidArgumentError(`the URL ${url.href} has no host`, 'url');
  const clean = new URL(url.href);
  clean.username = '';
  clean.password = '';
  clean.hash = '';
  const secure = url.protocol === 'wss:';
  return { href: clean.href, target: `${clean.hostname}:${clean.port || (secure ? 443 : 80)}`, secure };
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  // A pending poll must not keep a Node process alive on its own.
  (timer as { unref?: () => void }).unref?.();
}

/** Chunks as frames: short neighbours copied into one, long chunks passed as they are. */
function framesOf(chunks: readonly Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const n = chunks.length;
  let i = 0;
  while (i < n) {
    const chunk = chunks[i];
    let j = i + 1;
    let size = chunk.length;
    if (size < COALESCE_BELOW) {
      while (j < n && chunks[j].length < COALESCE_BELOW) size += chunks[j++].length;
    }
    if (j - i === 1) {
      if (size > 0) frames.push(chunk);
    } else {
      const frame = new Uint8Array(size);
      let offset = 0;
      for (let k = i; k < j; k++) {
        frame.set(chunks[k], offset);
        offset += chunks[k].length;
      }
      frames.push(frame);
    }
    i = j;
  }
  return frames;
}

/**
 * A WebSocket as a {@link Transport}. `onClose` is called exactly once after
 * the factory resolved: on the socket's close event, at once after
 * `destroy()`, or {@link END_TIMEOUT} after `end()` if the closing handshake
 * never completes. A normal closure (1000, or no code) and our own `end()`
 * close without an error.
 */
class WebSocketTransport implements Transport {
  readonly encrypted: boolean;
  onDrain?: () => void;

  /** `ending`: after end(), still receiving until the closing handshake is done; `closing`: after destroy(). */
  private state: 'connecting' | 'open' | 'ending' | 'closing' | 'closed' = 'connecting';
  private closeError: Error | undefined;
  /** Why opening failed, kept in case it failed before {@link opened} was called. */
  private openError: Error | undefined;
  private firstError: WebSocketEvent | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private drainDelay = FIRST_DRAIN_POLL;
  private pending: { resolve(): void; reject(error: Error): void; cleanup(): void } | undefined;

  constructor(
    private readonly opening: OpeningWebSocket,
    private readonly where: { href: string; target: string; secure: boolean; protocol: string },
    private readonly handlers: TransportHandlers,
    private readonly highWaterMark: number,
  ) {
    this.encrypted = where.secure;
    const socket = opening.socket;
    socket.binaryType = opening.binaryType;
    // Listeners stay for the socket's life: `ws` throws on an error event nobody listens to.
    socket.addEventListener('open', () => this.handleOpen());
    socket.addEventListener('message', (event) => this.handleMessage(event));
    socket.addEventListener('error', (event) => this.handleError(event));
    socket.addEventListener('close', (event) => this.handleClose(event));
  }

  private get socket(): WebSocketLike {
    return this.opening.socket;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.state !== 'open') return false;
    try {
      for (const frame of framesOf(chunks)) this.socket.send(frame);
    } catch (err) {
      this.destroy(toConnectionError(err, this.where.target, 'open'));
      return false;
    }
    if (this.socket.bufferedAmount <= this.highWaterMark) return true;
    if (this.drainTimer === undefined) {
      this.drainDelay = FIRST_DRAIN_POLL;
      this.pollDrainLater();
    }
    return false;
  }

  end(): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.stopDrainPolls();
    this.timer = setTimeout(() => this.finish(), END_TIMEOUT);
    unref(this.timer);
    try {
      this.socket.close(1000);
    } catch {
      this.finish();
    }
  }

  destroy(error?: Error): void {
    if (this.state === 'closed') return;
    if (this.state === 'connecting') {
      this.fail(error ?? webSocketFailedError(this.where.href, undefined));
      return;
    }
    if (error !== undefined && this.closeError === undefined) this.closeError = error;
    this.state = 'closing';
    this.kill();
    // Browsers report the close only after the closing handshake; the owner learns of it now.
    queueMicrotask(() => this.finish());
  }

  /**
   * Resolves once the socket is open with the MQTT subprotocol; rejects on
   * error, close, timeout or abort (closing the socket).
   * @internal
   */
  opened(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.state !== 'connecting') return this.openError === undefined ? Promise.resolve() : Promise.reject(this.openError);
    return new Promise((resolve, reject) => {
      const onAbort = () => this.fail(abortedError(this.where.href, signal?.reason));
      this.pending = {
        resolve,
        reject,
        cleanup: () => {
          if (this.timer !== undefined) clearTimeout(this.timer);
          this.timer = undefined;
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeout > 0) {
        this.timer = setTimeout(() => this.fail(connectTimeoutError(this.where.href, timeout, 'WebSocket connection to')), timeout);
      }
      if (signal !== undefined) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  private handleOpen(): void {
    if (this.state !== 'connecting') return;
    const { protocol } = this.where;
    // Browsers and `ws` refuse a wrong subprotocol themselves; a lax WebSocket class might not.
    if (this.socket.protocol !== protocol) {
      this.fail(subprotocolError(this.where.href, protocol, this.socket.protocol));
      return;
    }
    this.state = 'open';
    const pending = this.pending;
    this.pending = undefined;
    pending?.cleanup();
    pending?.resolve();
  }

  private handleMessage(event: WebSocketEvent): void {
    if (this.state !== 'open' && this.state !== 'ending') return;
    const data = event.data;
    let chunk: Uint8Array;
    if (data instanceof Uint8Array) chunk = data;
    else if (data instanceof ArrayBuffer) chunk = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      const what = typeof data === 'string' ? 'a text frame' : 'a frame that is not an ArrayBuffer (is binaryType "arraybuffer"?)';
      this.destroy(
        new MalformedPacketError(`the server sent ${what}; MQTT over WebSocket uses binary frames only [MQTT-6.0.0-1]`, 'frame'),
      );
      return;
    }
    try {
      this.handlers.onData(chunk);
    } catch (err) {
      // The owner's handler threw: close with that error rather than throw into the socket's event loop.
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private handleError(event: WebSocketEvent): void {
    this.firstError ??= event;
    if (this.state === 'connecting') {
      this.fail(this.openingError());
    } else if (this.closeError === undefined && event.error !== undefined && event.error !== null) {
      this.closeError = toConnectionError(event.error, this.where.target, 'open');
    }
  }

  private handleClose(event: WebSocketEvent): void {
    if (this.state === 'connecting') {
      this.fail(this.openingError());
      return;
    }
    if (this.state === 'closed') return;
    const code = event.code ?? 1005;
    if (this.closeError === undefined && this.state === 'open' && code !== 1000 && code !== 1005) {
      this.closeError = webSocketClosedError(this.where.href, code, event.reason ?? '');
    }
    this.finish();
  }

  /** Why opening failed: the platform's account if it has one, else the error event's cause. */
  private openingError(): MqttkitError {
    const explained = this.opening.explainFailure?.(this.where.href);
    if (explained !== undefined) return explained;
    const cause = this.firstError?.error;
    if (cause !== undefined && cause !== null) return toConnectionError(cause, this.where.target, 'connecting');
    return webSocketFailedError(this.where.href, this.firstError);
  }

  /** Fails a connecting transport: rejects the factory's promise and closes the socket. */
  private fail(error: Error): void {
    if (this.state !== 'connecting') return;
    this.state = 'closed';
    this.openError = error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.cleanup();
    pending?.reject(error);
    this.kill();
  }

  /** Reports the close to the owner, once. */
  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopDrainPolls();
    this.handlers.onClose(this.closeError);
  }

  /** Closes the socket now: `ws` can drop it at once (terminate); the standard API only knows close(). */
  private kill(): void {
    const socket = this.socket as WebSocketLike & { terminate?: () => void };
    try {
      if (typeof socket.terminate === 'function') socket.terminate();
      else socket.close();
    } catch {
      // Already closing or closed.
    }
  }

  private pollDrainLater(): void {
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.state !== 'open') return;
      if (this.socket.bufferedAmount <= this.highWaterMark / 2) {
        this.onDrain?.();
        return;
      }
      this.drainDelay = Math.min(this.drainDelay * 2, MAX_DRAIN_POLL);
      this.pollDrainLater();
    }, this.drainDelay);
    unref(this.drainTimer);
  }

  private stopDrainPolls(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }
}

/**
 * A transport factory over sockets that `open` makes: the platform-neutral
 * part that websocket-node.ts and the browser share.
 * @internal
 */
export function webSocketTransportWith(open: OpenWebSocket, highWaterMark = DEFAULT_HIGH_WATER_MARK): TransportFactory {
  if (typeof highWaterMark !== 'number' || !(highWaterMark >= 0)) {
    throw new InvalidArgumentError(`highWaterMark must be a number of bytes >= 0, got ${String(highWaterMark)}`, 'highWaterMark');
  }
  return async (options, handlers) => {
    const url = webSocketUrl(options.url);
    const timeout = connectTimeoutOf(options);
    const signal = options.signal;
    if (signal?.aborted) throw abortedError(url.href, signal.reason);
    const protocol = subprotocolFor(options.protocolVersion);
    let opening: OpeningWebSocket;
    try {
      opening = open(url.href, [protocol], options);
    } catch (err) {
      if (err instanceof MqttkitError) throw err;
      if (err instanceof Error && err.name === 'SyntaxError') {
        throw new InvalidArgumentError(`the URL ${url.href} cannot be opened as a WebSocket: ${err.message}`, 'url', undefined, err);
      }
      throw toConnectionError(err, url.target, 'connecting');
    }
    const transport = new WebSocketTransport(opening, { ...url, protocol }, handlers, highWaterMark);
    await transport.opened(timeout, signal);
    return transport;
  };
}

/**
 * Makes a WebSocket transport factory that uses the global `WebSocket` (or
 * the class or factory given). On Node, the entry point exports a version
 * that uses the `ws` package and also takes headers and TLS options.
 * Throws InvalidArgumentError for a bad `highWaterMark`; a missing global WebSocket shows when connecting.
 *
 * @example
 * ```ts
 * // Browser: a larger send buffer before publishes wait, for a dashboard that sends bursts.
 * const transport = createWebSocketTransport({ highWaterMark: 1024 * 1024 });
 * const client = await connect('wss://broker.example:8884/mqtt', { transport });
 * ```
 */
export function createWebSocketTransport(settings: WebSocketTransportOptions = {}): TransportFactory {
  const open: OpenWebSocket = (url, protocols) => {
    if (settings.createWebSocket !== undefined) return { socket: settings.createWebSocket(url, protocols), binaryType: 'arraybuffer' };
    const WebSocketClass: WebSocketConstructor | undefined = settings.WebSocket ?? globalThis.WebSocket;
    if (typeof WebSocketClass !== 'function') {
      throw new InvalidArgumentError('there is no global WebSocket here: pass createWebSocketTransport({ WebSocket })', 'WebSocket');
    }
    return { socket: new WebSocketClass(url, protocols), binaryType: 'arraybuffer' };
  };
  return webSocketTransportWith(open, settings.highWaterMark);
}

/**
 * The default WebSocket transport: the global `WebSocket`, for ws: and wss: URLs.
 *
 * @example
 * ```ts
 * const client = await connect('wss://broker.example:8884/mqtt', { transport: websocketTransport });
 * ```
 */
export const websocketTransport: TransportFactory = /* @__PURE__ */ createWebSocketTransport();

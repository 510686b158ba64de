/**
 * MQTT over WebSocket on Node: the platform-neutral transport of
 * websocket.ts with the `ws` package underneath. Node only.
 *
 * What Node adds over the browser: extra headers on the upgrade request, TLS
 * options for wss: (the same {@link TlsOptions} as mqtts:), and failures that
 * say why: `ws` reports the socket's error code (refused, DNS, TLS) and lets
 * us see the HTTP response that refused the upgrade and the subprotocol the
 * server chose, so they become MQTTKIT_ERR_WEBSOCKET_UPGRADE (with the status)
 * and MQTTKIT_ERR_WEBSOCKET_PROTOCOL instead of a bare "failed".
 *
 * `ws` is told not to offer permessage-deflate: MQTT packets are small, and
 * compression costs CPU and a zlib context per connection for little gain.
 * Frames arrive as Node Buffers (binaryType `nodebuffer`), which are
 * Uint8Arrays, so nothing is copied on the way to the decoder. `ws` refuses
 * messages over 100 MiB (its default maxPayload; the connection closes with
 * code 1009), which only MQTT packets of that size would reach.
 */

import type { IncomingMessage } from 'node:http';
import WebSocket, { type ClientOptions as WsClientOptions } from 'ws';
import { subprotocolError, type UpgradeResponse, upgradeRefusedError } from './errors.js';
import { pem, pems } from './tls.js';
import type { TlsOptions, TransportFactory, TransportOptions } from './types.js';
import { type OpenWebSocket, type WebSocketLike, type WebSocketTransportOptions, webSocketTransportWith } from './websocket.js';

/** A `ws`-compatible WebSocket class: called as `new WebSocket(url, protocols, wsOptions)`. */
export type NodeWebSocketConstructor = new (url: string, protocols: string[], options?: object) => WebSocketLike;

/** Options of the Node `createWebSocketTransport`: the browser's, plus headers and TLS. */
export interface NodeWebSocketTransportOptions extends WebSocketTransportOptions {
  /**
   * The WebSocket class (default: the `ws` package). Called with `ws`'s
   * options as a third argument (headers, TLS), which other classes may ignore.
   */
  WebSocket?: NodeWebSocketConstructor;
  /** Extra HTTP headers for the upgrade request, e.g. `Authorization` or `Cookie`. */
  headers?: Record<string, string>;
  /** TLS settings for wss:; the client's `tls` option, when given, overrides them field by field. */
  tls?: TlsOptions;
}

/** The events of `ws`'s EventEmitter API that tell why an upgrade failed. */
interface UpgradeEvents {
  on(event: 'unexpected-response', listener: (request: unknown, response: IncomingMessage) => void): unknown;
  on(event: 'upgrade', listener: (response: IncomingMessage) => void): unknown;
  terminate(): void;
}

function hasUpgradeEvents(socket: WebSocketLike): socket is WebSocketLike & UpgradeEvents {
  const candidate = socket as Partial<UpgradeEvents>;
  return typeof candidate.on === 'function' && typeof candidate.terminate === 'function';
}

/**
 * Watches the upgrade of a `ws` socket and returns what explains its failure.
 * Listening for 'unexpected-response' stops `ws` from failing the handshake
 * on its own, so we terminate it, after noting the status.
 */
function watchUpgrade(
  socket: WebSocketLike,
  protocol: string,
): ((target: string) => ReturnType<typeof upgradeRefusedError> | undefined) | undefined {
  if (!hasUpgradeEvents(socket)) return undefined;
  let refused: UpgradeResponse | undefined;
  let upgraded = false;
  let chosen: string | undefined;
  socket.on('unexpected-response', (_request, response) => {
    refused = { status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers };
    response.resume();
    socket.terminate();
  });
  socket.on('upgrade', (response) => {
    upgraded = true;
    const header = response.headers['sec-websocket-protocol'];
    chosen = typeof header === 'string' ? header.trim() : undefined;
  });
  return (target) => {
    if (refused !== undefined) return upgradeRefusedError(target, refused);
    if (upgraded && chosen !== protocol) return subprotocolError(target, protocol, chosen);
    return undefined;
  };
}

/** `ws`'s options for one connection: headers, no compression, and TLS settings for wss:. */
function wsOptions(settings: NodeWebSocketTransportOptions, options: TransportOptions): WsClientOptions {
  const result: WsClientOptions & { servername?: string; ALPNProtocols?: string[] } = { perMessageDeflate: false };
  if (settings.headers !== undefined) result.headers = { ...settings.headers };
  if (options.url.protocol !== 'wss:') return result;
  const tls: TlsOptions = { ...settings.tls, ...options.tls };
  if (tls.ca !== undefined) result.ca = pems(tls.ca);
  if (tls.cert !== undefined) result.cert = pem(tls.cert);
  if (tls.key !== undefined) result.key = pem(tls.key);
  if (tls.passphrase !== undefined) result.passphrase = tls.passphrase;
  if (tls.rejectUnauthorized !== undefined) result.rejectUnauthorized = tls.rejectUnauthorized;
  if (tls.servername !== undefined) result.servername = tls.servername;
  if (tls.alpnProtocols !== undefined) result.ALPNProtocols = tls.alpnProtocols;
  return result;
}

/**
 * Makes a WebSocket transport factory for Node (ws: and wss:), using the
 * `ws` package unless another class or factory is given.
 *
 * @example
 * const transport = createWebSocketTransport({ headers: { Authorization: `Bearer ${token}` } });
 * const client = await connect('wss://broker.example/mqtt', { transport, tls: { ca } });
 */
export function createNodeWebSocketTransport(settings: NodeWebSocketTransportOptions = {}): TransportFactory {
  const open: OpenWebSocket = (url, protocols, options) => {
    if (settings.createWebSocket !== undefined) return { socket: settings.createWebSocket(url, protocols), binaryType: 'arraybuffer' };
    const WebSocketClass = settings.WebSocket ?? WebSocket;
    const socket = new WebSocketClass(url, protocols, wsOptions(settings, options));
    return {
      socket,
      // Only `ws` itself is sure to know 'nodebuffer'; other classes get the standard value.
      binaryType: WebSocketClass === WebSocket ? 'nodebuffer' : 'arraybuffer',
      explainFailure: watchUpgrade(socket, protocols[0]),
    };
  };
  return webSocketTransportWith(open, settings.highWaterMark);
}

/**
 * The default WebSocket transport on Node (`ws`, no extra headers; TLS from the client's `tls` option).
 *
 * @example
 * ```ts
 * // ws: and wss: URLs pick it by themselves; naming it is only needed to force it.
 * const client = await connect('ws://localhost:8080/mqtt', { transport: websocketTransport });
 * ```
 */
export const nodeWebSocketTransport: TransportFactory = /* @__PURE__ */ createNodeWebSocketTransport();

/**
 * Node transports and the URL-scheme lookup. Node only: this module imports
 * node:net, node:tls and `ws` (the browser entry uses browser.ts instead).
 */

import { InvalidArgumentError } from '../errors.js';
import { tcpTransport } from './tcp.js';
import { tlsTransport } from './tls.js';
import type { TransportFactory } from './types.js';
import { nodeWebSocketTransport } from './websocket-node.js';

export type { UpgradeResponse } from './errors.js';
export { DEFAULT_CONNECT_TIMEOUT } from './options.js';
export { DEFAULT_TCP_PORT, tcpTransport } from './tcp.js';
export {
  createTlsTransport,
  DEFAULT_TLS_PORT,
  type TlsTransport,
  type TlsTransportFactory,
  type TlsTransportFactoryOptions,
  tlsTransport,
} from './tls.js';
export type { TlsOptions, Transport, TransportFactory, TransportHandlers, TransportOptions } from './types.js';
export type { WebSocketConstructor, WebSocketEvent, WebSocketLike, WebSocketTransportOptions } from './websocket.js';
export {
  createNodeWebSocketTransport,
  type NodeWebSocketConstructor,
  type NodeWebSocketTransportOptions,
  nodeWebSocketTransport,
} from './websocket-node.js';

const SUPPORTED = 'mqtt:, tcp:, mqtts:, tls:, ssl:, ws:, wss:';

/**
 * The transport for a URL's scheme: mqtt: and tcp: use TCP; mqtts:, tls: and ssl: TLS; ws: and wss: WebSocket (`ws`).
 * Throws InvalidArgumentError for any other scheme. The client calls it when `options.transport` is not given.
 *
 * @example
 * ```ts
 * const factory = transportForUrl(new URL('mqtts://broker.example')); // tlsTransport
 * ```
 */
export function transportForUrl(url: URL): TransportFactory {
  switch (url.protocol) {
    case 'mqtt:':
    case 'tcp:':
      return tcpTransport;
    case 'mqtts:':
    case 'tls:':
    case 'ssl:':
      return tlsTransport;
    case 'ws:':
    case 'wss:':
      return nodeWebSocketTransport;
    default:
      throw new InvalidArgumentError(`unsupported URL scheme "${url.protocol}" in url ${url.href}: supported are ${SUPPORTED}`, 'url');
  }
}

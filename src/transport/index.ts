/**
 * Node transports and the URL-scheme lookup. Node only: this module imports
 * node:net and node:tls (the browser entry will use WebSocket alone).
 */

import { InvalidArgumentError } from '../errors.js';
import { tcpTransport } from './tcp.js';
import { tlsTransport } from './tls.js';
import type { TransportFactory } from './types.js';

export { DEFAULT_CONNECT_TIMEOUT } from './node-socket.js';
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

const SUPPORTED = 'mqtt:, tcp:, mqtts:, tls:, ssl:';

/** The transport for a URL's scheme: mqtt: and tcp: use TCP; mqtts:, tls: and ssl: use TLS. */
export function transportForUrl(url: URL): TransportFactory {
  switch (url.protocol) {
    case 'mqtt:':
    case 'tcp:':
      return tcpTransport;
    case 'mqtts:':
    case 'tls:':
    case 'ssl:':
      return tlsTransport;
    default:
      throw new InvalidArgumentError(
        `unsupported URL scheme "${url.protocol}" in url ${url.href}: supported are ${SUPPORTED} (ws: and wss: are not supported yet)`,
        'url',
      );
  }
}

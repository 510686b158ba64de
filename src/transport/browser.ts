/**
 * The browser's transports: WebSocket only. Browsers cannot open raw TCP
 * sockets, so mqtt:, mqtts:, tcp:, tls: and ssl: URLs are refused with an
 * error that says what to use instead.
 */

import { InvalidArgumentError } from '../errors.js';
import type { TransportFactory } from './types.js';
import { websocketTransport } from './websocket.js';

const RAW_TCP: ReadonlySet<string> = new Set(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ssl:']);

/**
 * The transport for a URL's scheme in a browser: ws: and wss: use the global WebSocket.
 * Throws InvalidArgumentError for other schemes, saying to use the broker's WebSocket listener for mqtt: URLs.
 *
 * @example
 * ```ts
 * const factory = transportForUrl(new URL('wss://broker.example:8884/mqtt')); // websocketTransport
 * ```
 */
export function transportForUrl(url: URL): TransportFactory {
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return websocketTransport;
  if (RAW_TCP.has(url.protocol)) {
    throw new InvalidArgumentError(
      `${url.protocol} URLs need raw TCP, which is not available in browsers: use the broker's WebSocket listener with a ws: or wss: URL (e.g. wss://broker.example:8884/mqtt)`,
      'url',
    );
  }
  throw new InvalidArgumentError(`unsupported URL scheme "${url.protocol}" in url ${url.href}: browsers support ws: and wss:`, 'url');
}

/**
 * MQTT over plain TCP (mqtt:, tcp:) with node:net. Node only.
 *
 * Nagle is off (MQTT packets are small and latency matters; writes are
 * coalesced by {@link NodeSocketTransport.write} instead). TCP keepalive stays
 * off: MQTT's own keep alive finds dead links.
 */

import { connect } from 'node:net';
import { endpointOf, NodeSocketTransport, openSocket } from './node-socket.js';
import type { TransportFactory } from './types.js';

/** The IANA port for MQTT over TCP. */
export const DEFAULT_TCP_PORT = 1883;

/**
 * Opens a TCP connection to the URL's host and port (default 1883). mqtt: and tcp: URLs use it by default.
 *
 * @example
 * ```ts
 * const client = await connect('mqtt://localhost:1883', { transport: tcpTransport });
 * ```
 */
export const tcpTransport: TransportFactory = async (options, handlers) => {
  const endpoint = endpointOf(options.url, DEFAULT_TCP_PORT);
  return openSocket({
    options,
    endpoint,
    readyEvent: 'connect',
    connect: () => connect({ host: endpoint.host, port: endpoint.port }),
    wrap: (socket) => new NodeSocketTransport(socket, false, endpoint.target, handlers),
  });
};

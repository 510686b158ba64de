/**
 * MQTT over TLS (mqtts:, tls:, ssl:) with node:tls. Node only.
 *
 * The promise resolves only after the handshake ('secureConnect'), so the
 * server's certificate has been verified (unless `rejectUnauthorized` is
 * false) before a byte of MQTT is sent.
 *
 * TLS session resumption: each factory made by {@link createTlsTransport}
 * keeps the last session ticket per connection target in its own small LRU
 * cache and offers it on the next connect, so a reconnect skips the full
 * handshake. The cache lives in the factory, not in module state, so two
 * clients with their own factories never share sessions; {@link tlsTransport}
 * is a default instance shared by whoever uses it. The cache key covers host,
 * port, server name and a digest of every security-relevant option (CA,
 * client certificate and key, rejectUnauthorized, ALPN): a session is never
 * resumed under different credentials or weaker verification. Sessions are
 * only cached from connections that opened, and dropped when an attempt fails.
 */

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { InvalidArgumentError } from '../errors.js';
import { endpointOf, NodeSocketTransport, openSocket } from './node-socket.js';
import type { TlsOptions, Transport, TransportHandlers, TransportOptions } from './types.js';

/** The IANA port for MQTT over TLS. */
export const DEFAULT_TLS_PORT = 8883;

/** A TLS transport, with what the handshake settled. */
export interface TlsTransport extends Transport {
  readonly encrypted: true;
  /** Whether the handshake resumed a cached session (no full handshake). */
  readonly sessionReused: boolean;
  /** The protocol ALPN agreed on, or false when none was. */
  readonly alpnProtocol: string | false;
  /** Whether the server's certificate verified; false only with `rejectUnauthorized: false`. */
  readonly authorized: boolean;
}

export type TlsTransportFactory = (options: TransportOptions, handlers: TransportHandlers) => Promise<TlsTransport>;

export interface TlsTransportFactoryOptions {
  /** Targets whose last TLS session is kept for resumption (default 100; 0 turns resumption off). */
  sessionCacheSize?: number;
}

class NodeTlsTransport extends NodeSocketTransport<TLSSocket> implements TlsTransport {
  declare readonly encrypted: true;

  get sessionReused(): boolean {
    return this.socket.isSessionReused();
  }

  get alpnProtocol(): string | false {
    return this.socket.alpnProtocol ?? false;
  }

  get authorized(): boolean {
    return this.socket.authorized;
  }
}

/** A least-recently-used map of session tickets. */
class SessionCache {
  private readonly sessions = new Map<string, Buffer>();

  constructor(private readonly limit: number) {}

  get(key: string): Buffer | undefined {
    const session = this.sessions.get(key);
    if (session !== undefined) {
      this.sessions.delete(key);
      this.sessions.set(key, session);
    }
    return session;
  }

  set(key: string, session: Buffer): void {
    if (this.limit <= 0) return;
    this.sessions.delete(key);
    this.sessions.set(key, session);
    if (this.sessions.size > this.limit) {
      const oldest = this.sessions.keys().next();
      if (oldest.done !== true) this.sessions.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.sessions.delete(key);
  }
}

type Pem = string | Uint8Array;

/** A Uint8Array as a Buffer over the same memory (node:tls's types want Buffers). */
export function pem(value: Pem): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function pems(value: Pem | Pem[]): string | Buffer | Array<string | Buffer> {
  return Array.isArray(value) ? value.map(pem) : pem(value);
}

/** The SNI name: the explicit one or the URL's host, but never an IP address (SNI forbids them). */
function serverNameOf(host: string, tls: TlsOptions): string | undefined {
  const name = tls.servername ?? host;
  return name === '' || isIP(name) !== 0 ? undefined : name;
}

/** A digest of everything that decides whether a cached session may be offered. */
function sessionKey(target: string, servername: string | undefined, tls: TlsOptions): string {
  const hash = createHash('sha256');
  const add = (label: string, value: Pem | Pem[] | string[] | boolean | undefined): void => {
    hash.update(`${label}\0`);
    if (value === undefined) return;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      hash.update(typeof item === 'boolean' ? String(item) : item);
      hash.update('\0');
    }
  };
  add('ca', tls.ca);
  add('cert', tls.cert);
  add('key', tls.key);
  add('passphrase', tls.passphrase);
  add('reject', tls.rejectUnauthorized !== false);
  add('alpn', tls.alpnProtocols);
  return `${target}|${servername ?? ''}|${hash.digest('base64')}`;
}

/**
 * Makes a TLS transport factory with its own session cache (for session resumption on reconnect). Use one per
 * client to keep sessions apart, or to size or turn off the cache; TLS settings themselves come from the
 * client's `tls` option.
 *
 * @example
 * ```ts
 * const client = await connect('mqtts://broker.example:8883', {
 *   transport: createTlsTransport({ sessionCacheSize: 0 }), // never resume TLS sessions
 *   tls: { ca: readFileSync('ca.pem', 'utf8'), cert: readFileSync('device.crt', 'utf8'), key: readFileSync('device.key', 'utf8') },
 * });
 * ```
 */
export function createTlsTransport(factoryOptions: TlsTransportFactoryOptions = {}): TlsTransportFactory {
  const cache = new SessionCache(factoryOptions.sessionCacheSize ?? 100);

  return async (options, handlers) => {
    const endpoint = endpointOf(options.url, DEFAULT_TLS_PORT);
    const tls = options.tls ?? {};
    const servername = serverNameOf(endpoint.host, tls);
    const key = sessionKey(endpoint.target, servername, tls);
    const connectOptions: ConnectionOptions = {
      host: endpoint.host,
      port: endpoint.port,
      servername,
      rejectUnauthorized: tls.rejectUnauthorized !== false,
      session: cache.get(key),
    };
    if (tls.ca !== undefined) connectOptions.ca = pems(tls.ca);
    if (tls.cert !== undefined) connectOptions.cert = pem(tls.cert);
    if (tls.key !== undefined) connectOptions.key = pem(tls.key);
    if (tls.passphrase !== undefined) connectOptions.passphrase = tls.passphrase;
    if (tls.alpnProtocols !== undefined) connectOptions.ALPNProtocols = tls.alpnProtocols;

    let opened = false;
    let early: Buffer | undefined;
    try {
      const transport = await openSocket({
        options,
        endpoint,
        readyEvent: 'secureConnect',
        connect: () => {
          let socket: TLSSocket;
          try {
            socket = connect(connectOptions);
          } catch (err) {
            // Unreadable CA, certificate or key, or a wrong passphrase: the caller's options, not the network.
            throw new InvalidArgumentError(
              `invalid TLS options: ${err instanceof Error ? err.message : String(err)}`,
              'tls',
              undefined,
              err,
            );
          }
          // TLS 1.3 tickets arrive after the handshake; TLS 1.2 ones during it (kept until it succeeded).
          socket.on('session', (session: Buffer) => {
            if (opened) cache.set(key, session);
            else early = session;
          });
          return socket;
        },
        wrap: (socket) => new NodeTlsTransport(socket, true, endpoint.target, handlers),
      });
      opened = true;
      if (early !== undefined) cache.set(key, early);
      return transport;
    } catch (err) {
      cache.delete(key);
      throw err;
    }
  };
}

/**
 * The default TLS transport factory (default port 8883), with a session cache shared by its users. mqtts:, tls:
 * and ssl: URLs use it by default.
 *
 * @example
 * ```ts
 * const client = await connect('mqtts://broker.example', { transport: tlsTransport, tls: { servername: 'broker.example' } });
 * ```
 */
export const tlsTransport: TlsTransportFactory = createTlsTransport();

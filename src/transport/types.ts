/**
 * A transport moves bytes and reports when it closes. It knows nothing of MQTT.
 *
 * Design: a transport is passed per client (never registered globally). The
 * client calls a {@link TransportFactory} for every connection attempt; the
 * factory resolves once the byte stream is open (TCP connected, TLS handshake
 * done, WebSocket upgraded) and rejects with a ConnectionError otherwise.
 * Incoming bytes and the close go to the handlers given to the factory, so no
 * byte can arrive before someone listens.
 */

/** Where a transport delivers what it receives; given to the {@link TransportFactory} with each connection. */
export interface TransportHandlers {
  /**
   * A chunk of received bytes, in order. The chunk is the receiver's to keep.
   * May be called before the factory's promise has settled (bytes that arrive
   * right after opening are not held back). If it throws, the transport is
   * destroyed with that error.
   */
  onData(chunk: Uint8Array): void;
  /**
   * The stream closed, for good; `error` says why when it was not a clean
   * close (or is the error given to `destroy`). Called exactly once when the
   * factory resolved, whoever closed (`end()`, `destroy()`, the peer, a
   * network error), possibly before the owner's `await` has resumed; never
   * called when the factory rejects.
   */
  onClose(error?: Error): void;
}

/**
 * An open byte stream to the broker, as a {@link TransportFactory} returns it. Implement it (with a factory) to
 * carry MQTT over something mqttkit does not ship: a serial line, a proxy, an in-memory pipe for tests.
 */
export interface Transport {
  /** Whether bytes are encrypted on the wire (TLS, wss). */
  readonly encrypted: boolean;
  /**
   * Writes the chunks in order, as one write where the platform allows (so
   * many small packets cost one syscall). Returns false when the platform's
   * send buffer is above its high-water mark; `onDrain` (if given) fires when it empties.
   */
  write(chunks: readonly Uint8Array[]): boolean;
  /** Flushes what was written, then closes the stream. */
  end(): void;
  /** Closes at once, dropping unsent bytes. */
  destroy(error?: Error): void;
  /** Set by the owner to learn when a full send buffer has drained. */
  onDrain?: () => void;
}

/** What the client tells a {@link TransportFactory} about the connection to open. */
export interface TransportOptions {
  /** The broker's URL; the scheme picks the transport (mqtt/tcp, mqtts/tls/ssl, ws, wss). */
  url: URL;
  /** Give up opening after this many milliseconds (default 30 000). */
  connectTimeout?: number;
  /** Aborting cancels the attempt. */
  signal?: AbortSignal;
  /** TLS settings for mqtts:, tls:, ssl: and wss:. */
  tls?: TlsOptions;
  /**
   * The MQTT version the connection will carry (3 = 3.1, 4 = 3.1.1, 5).
   * Byte-stream transports ignore it; WebSocket names it in the handshake
   * (subprotocol `mqttv3.1` for 3.1, `mqtt` otherwise), before any MQTT byte.
   */
  protocolVersion?: 3 | 4 | 5;
}

/** TLS settings; certificates are verified unless `rejectUnauthorized` is false. */
export interface TlsOptions {
  /** Trusted CA certificates (PEM); default: the platform's store. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string | Uint8Array;
  /** Client private key (PEM) for mutual TLS. */
  key?: string | Uint8Array;
  /** Passphrase of `key`. */
  passphrase?: string;
  /** Verify the server's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Server name for SNI and certificate checks (default: the URL's host name). */
  servername?: string;
  /** ALPN protocols to offer, e.g. ['mqtt'] for AWS IoT on port 443. */
  alpnProtocols?: string[];
}

/**
 * Opens one connection. Users may pass their own to reach brokers through anything that moves bytes.
 * Resolves once the stream is open; rejects with a ConnectionError otherwise. Give it as `ClientOptions.transport`.
 *
 * @example
 * ```ts
 * // Log every connection attempt, then open it with the stock WebSocket transport.
 * const logged: TransportFactory = (options, handlers) => {
 *   console.log('connecting to', options.url.host);
 *   return websocketTransport(options, handlers);
 * };
 * const client = await connect('ws://localhost:8080/mqtt', { transport: logged });
 * ```
 */
export type TransportFactory = (options: TransportOptions, handlers: TransportHandlers) => Promise<Transport>;

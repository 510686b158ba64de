/**
 * One CLI run against the broker, shared by pub and sub: build the client
 * from the config, connect, do the work, disconnect, and turn how it went
 * into an exit status.
 */
import { readFile } from 'node:fs/promises';
import { type ClientOptions, createClient, type MqttClient, transportForUrl } from '../node.js';
import type { TlsOptions } from '../transport/types.js';
import type { CommonConfig } from './config.js';
import type { RunControl } from './control.js';
import { CliTimeoutError, describeFailure, ExitCode, type ExitCodeValue, exitCodeFor } from './exit-codes.js';
import type { Log } from './log.js';
import { usageError } from './parse.js';
import { tracingTransport } from './trace.js';

/** How long a clean disconnect may take (in-flight acks, DISCONNECT) before the connection is simply closed. */
const CLOSE_GRACE_MS = 2_000;

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw usageError(flag, `cannot read "${path}" (${code})`);
  }
}

async function tlsOptions(config: CommonConfig): Promise<TlsOptions | undefined> {
  const files = config.tls;
  if (files === undefined) return undefined;
  const tls: TlsOptions = {};
  if (files.caFile !== undefined) tls.ca = await readPem(files.caFile, '--cafile');
  if (files.certFile !== undefined) tls.cert = await readPem(files.certFile, '--cert');
  if (files.keyFile !== undefined) tls.key = await readPem(files.keyFile, '--key');
  if (files.insecure) tls.rejectUnauthorized = false;
  if (files.alpn !== undefined) tls.alpnProtocols = [files.alpn];
  return tls;
}

/** The SDK's client options for a CLI config (reads the TLS files). */
export async function clientOptions(config: CommonConfig, log: Log): Promise<ClientOptions> {
  const options: ClientOptions = {
    protocolVersion: config.protocolVersion,
    clean: config.clean,
    // The first connection failing ends the command (connect() never retries); after that, a
    // dropped connection is retried like mosquitto_sub does, with backoff.
    reconnect: { initialDelay: 500, maxDelay: 10_000 },
  };
  if (config.clientId !== undefined) options.clientId = config.clientId;
  if (config.keepAlive !== undefined) options.keepAlive = config.keepAlive;
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  if (config.connectProperties !== undefined) options.properties = config.connectProperties;
  if (config.will !== undefined) options.will = config.will;
  const tls = await tlsOptions(config);
  if (tls !== undefined) options.tls = tls;
  if (log.debugging) options.transport = tracingTransport(transportForUrl(new URL(config.url)), config.protocolVersion, log);
  return options;
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href.replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Reports connection changes after the first connect: silent while all is
 * well, one line when it is not. `ending()` tells it the loss is ours.
 */
function watchConnection(client: MqttClient, log: Log): { ending(): void } {
  let connected = false;
  let ending = false;
  client.on('connect', ({ sessionPresent }) => {
    log.debug(
      `connected as ${JSON.stringify(client.clientId)} (MQTT ${client.protocolVersion === 5 ? '5' : client.protocolVersion === 4 ? '3.1.1' : '3.1'}, session present: ${sessionPresent})`,
    );
    if (connected) log.warn('reconnected');
    connected = true;
  });
  client.on('offline', ({ error }) => {
    if (connected && !ending) log.warn(`connection lost${error === undefined ? '' : `: ${error.message}`}`);
  });
  client.on('reconnect', ({ delay }) => {
    if (connected) log.debug(`reconnecting in ${delay} ms`);
  });
  client.on('disconnect', (packet) => {
    const reasonString = packet.properties?.reasonString;
    log.warn(
      `the broker disconnected this client (reason 0x${(packet.reasonCode ?? 0).toString(16).padStart(2, '0')}${reasonString ? `: ${reasonString}` : ''})`,
    );
  });
  client.on('error', (err) => log.warn(err.message));
  return {
    ending: () => {
      ending = true;
    },
  };
}

export interface RunHooks {
  /** Runs before connecting (e.g. to listen for messages a persistent session delivers right after CONNACK). */
  beforeConnect?: (client: MqttClient) => void;
  /** The work, once connected. */
  work: (client: MqttClient) => Promise<void>;
  /** Runs before exiting, whatever happened (e.g. to flush stdout). */
  finally?: () => Promise<void>;
}

/** Resolves when the client stops for good; rejects when it stopped because of an error. */
export function closedWithError(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('close', ({ error }) => (error === undefined ? resolve() : reject(error)));
  });
}

async function close(client: MqttClient, config: CommonConfig, force: boolean): Promise<void> {
  if (client.state === 'closed') return;
  const ending = client.end({ force, properties: config.disconnectProperties }).catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GRACE_MS);
  });
  await Promise.race([ending, grace]);
  clearTimeout(timer);
}

/** Connects, runs the work, disconnects; returns the exit status (and prints the error, if any). */
export async function runWithClient(config: CommonConfig, log: Log, control: RunControl, hooks: RunHooks): Promise<ExitCodeValue> {
  let client: MqttClient | undefined;
  let watch: { ending(): void } | undefined;
  let failure: unknown;
  try {
    const options = await clientOptions(config, log);
    client = createClient(config.url, options);
    watch = watchConnection(client, log);
    hooks.beforeConnect?.(client);
    log.debug(`connecting to ${shown(config.url)}`);
    await client.connect({ signal: control.stop });
    await hooks.work(client);
  } catch (err) {
    failure = err;
  }
  // A stop explains whatever the operations failed with (they were aborted by it).
  if (control.reason === 'timeout') failure = new CliTimeoutError(control.timeoutMs ?? 0);
  else if (control.reason === 'interrupted') failure = undefined;
  watch?.ending();
  if (client !== undefined) await close(client, config, failure !== undefined);
  await hooks.finally?.();
  control.dispose();
  if (failure === undefined) return ExitCode.ok;
  log.error(describeFailure(failure));
  return exitCodeFor(failure);
}

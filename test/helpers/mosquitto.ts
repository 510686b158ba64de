/**
 * Starts private Mosquitto brokers for the integration tests: each on free
 * ports of 127.0.0.1, with its own config file, temp dir and log, and never
 * the system broker on 1883. Also makes throwaway TLS certificates with the
 * `openssl` CLI.
 *
 *   const broker = await startMosquitto({ tls: true });
 *   // broker.url, broker.tlsUrl, broker.certs, broker.logs(), await broker.restart(), await broker.stop()
 *
 * Without a mosquitto binary, `startMosquitto` returns undefined (tests skip
 * through {@link describeWithMosquitto}); when `CI` is set it throws instead,
 * so CI cannot skip the broker tests silently.
 *
 * Logs go to stderr (`log_dest stderr`): mosquitto block-buffers stdout when it
 * is a pipe, so a `log_dest stdout` log would arrive only at exit.
 *
 * Caveat: Mosquitto 2.0.x ignores the bind address of websockets listeners
 * (libwebsockets binds every interface), so `websockets: true` listens on all
 * interfaces while that broker runs. The tests only ever connect to 127.0.0.1.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from 'vitest';

const run = promisify(execFile);

const HOST = '127.0.0.1';
const MAX_LOG = 4 * 1024 * 1024;
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/opt/homebrew/sbin', '/opt/homebrew/bin', '/usr/local/opt/mosquitto/sbin'];

/** A PEM file on disk and its contents. */
export interface PemFile {
  path: string;
  pem: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1 / localhost, and a client certificate, all signed by the CA. */
export interface TestCerts {
  dir: string;
  ca: PemFile;
  caKey: PemFile;
  /** SAN IP:127.0.0.1, DNS:localhost; CN localhost. */
  serverCert: PemFile;
  serverKey: PemFile;
  /** CN `mqttkit test client`, extendedKeyUsage clientAuth. */
  clientCert: PemFile;
  clientKey: PemFile;
}

export interface MosquittoOptions {
  /** Add a TLS listener; `true` makes fresh certificates with {@link generateCerts}. */
  tls?: boolean | TestCerts;
  /** With `tls`: clients must present a certificate signed by the CA. */
  requireClientCertificate?: boolean;
  /** Add a websockets listener (and a TLS websockets listener when `tls` is set too). */
  websockets?: boolean;
  /** Keep sessions and retained messages across {@link Mosquitto.restart} (persistence_location in the temp dir). */
  persistence?: boolean;
  /** Users and passwords for a password file; anonymous clients are then refused. */
  users?: Record<string, string>;
  /** How to hash the password file: `mosquitto_passwd` when installed (default), or our own PBKDF2 writer. */
  passwordHasher?: 'auto' | 'builtin';
  /** Extra global config lines, written before the listeners. */
  config?: string[];
  /** How long to wait for the ports to accept connections (default 10 s). */
  startTimeout?: number;
}

export interface Mosquitto {
  /** Plain MQTT port (127.0.0.1). */
  readonly port: number;
  readonly tlsPort?: number;
  readonly wsPort?: number;
  readonly wssPort?: number;
  /** `mqtt://127.0.0.1:port` */
  readonly url: string;
  readonly tlsUrl?: string;
  readonly wsUrl?: string;
  readonly wssUrl?: string;
  /** The certificates of the TLS listeners. */
  readonly certs?: TestCerts;
  /** The broker's temp dir (config, password file, persistence, certificates). */
  readonly dir: string;
  readonly configFile: string;
  /** PID of the running broker process (changes on restart). */
  readonly pid: number;
  /** Everything the broker logged, across restarts. */
  logs(): string;
  /** Stops the broker (SIGTERM, then SIGKILL after 5 s) and deletes its temp dir. */
  stop(): Promise<void>;
  /**
   * Stops the broker with `signal` (default SIGTERM, which also saves persistence;
   * SIGKILL simulates a crash) and starts it again on the same ports and config.
   */
  restart(options?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
}

/** Brokers started by this process and still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks for an executable on PATH and in the sbin directories (often not on a non-root PATH). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN_DIRS];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}

/** The mosquitto binary: `$MOSQUITTO_BIN`, else found on PATH or in an sbin directory. */
export function mosquittoPath(): string | undefined {
  const fromEnv = process.env.MOSQUITTO_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return isExecutable(fromEnv) ? fromEnv : undefined;
  return findExecutable('mosquitto');
}

export function opensslPath(): string | undefined {
  return findExecutable('openssl');
}

const MISSING_NOTICE = 'skipping: Mosquitto not found; install it with `apt-get install -y mosquitto`';
let noticeShown = false;

/**
 * `describe` that skips (with a one-line notice) when Mosquitto is not
 * installed, except under CI, where the suite runs and `startMosquitto` fails loudly.
 */
export function describeWithMosquitto(name: string, fn: () => void): void {
  const skip = mosquittoPath() === undefined && !process.env.CI;
  if (skip && !noticeShown) {
    noticeShown = true;
    console.warn(MISSING_NOTICE);
  }
  describe.skipIf(skip)(name, fn);
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port assigned');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves once 127.0.0.1:port accepts a TCP connection (the probe is closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function openssl(bin: string, cwd: string, args: string[]): Promise<void> {
  try {
    await run(bin, args, { cwd });
  } catch (err) {
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr) : '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr || String(err)}`);
  }
}

const OPENSSL_CONFIG = `# written by test/helpers/mosquitto.ts
[req]
distinguished_name = dn
prompt = no

[dn]
CN = placeholder

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/**
 * Creates a CA, a server certificate (SAN IP:127.0.0.1, DNS:localhost) and a
 * client certificate in `dir` with the openssl CLI (P-256 keys: fast to make).
 */
export async function generateCerts(dir: string): Promise<TestCerts> {
  const bin = opensslPath();
  if (bin === undefined) throw new Error('openssl not installed: the TLS tests need the openssl CLI (apt-get install -y openssl)');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
  const genKey = (file: string) => openssl(bin, dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  const serial = () => `0x${randomBytes(8).toString('hex')}`;

  await Promise.all([genKey('ca.key'), genKey('server.key'), genKey('client.key')]);
  await openssl(bin, dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '3650',
    '-config',
    'openssl.cnf',
    '-extensions',
    'ca_ext',
    '-subj',
    '/CN=mqttkit test CA',
    '-set_serial',
    serial(),
    '-out',
    'ca.crt',
  ]);
  const sign = async (name: string, subject: string, extensions: string): Promise<void> => {
    await openssl(bin, dir, ['req', '-new', '-key', `${name}.key`, '-config', 'openssl.cnf', '-subj', subject, '-out', `${name}.csr`]);
    await openssl(bin, dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      serial(),
      '-days',
      '825',
      '-sha256',
      '-extfile',
      'openssl.cnf',
      '-extensions',
      extensions,
      '-out',
      `${name}.crt`,
    ]);
  };
  await Promise.all([sign('server', '/CN=localhost', 'server_ext'), sign('client', '/CN=mqttkit test client', 'client_ext')]);

  const load = async (file: string): Promise<PemFile> => {
    const path = join(dir, file);
    return { path, pem: await readFile(path, 'utf8') };
  };
  const [ca, caKey, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
    ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'client.crt', 'client.key'].map(load),
  );
  return { dir, ca, caKey, serverCert, serverKey, clientCert, clientKey };
}

/** A password file line in mosquitto 2.0's `$7$` format: PBKDF2-SHA512, 101 iterations, 12-byte salt. */
function hashPassword(user: string, password: string): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `${user}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

async function writePasswordFile(path: string, users: Record<string, string>, hasher: 'auto' | 'builtin'): Promise<void> {
  const tool = hasher === 'auto' ? findExecutable('mosquitto_passwd') : undefined;
  const entries = Object.entries(users);
  if (tool === undefined) {
    await writeFile(path, `${entries.map(([user, password]) => hashPassword(user, password)).join('\n')}\n`, { mode: 0o600 });
    return;
  }
  await writeFile(path, '', { mode: 0o600 });
  for (const [user, password] of entries) await run(tool, ['-b', path, user, password]);
}

/**
 * Starts a private Mosquitto (see the module comment). Returns undefined when
 * mosquitto is not installed, unless `CI` is set (then it throws).
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto | undefined> {
  const bin = mosquittoPath();
  if (bin === undefined) {
    if (process.env.CI) throw new Error('mosquitto not installed: CI must install it (apt-get install -y mosquitto)');
    return undefined;
  }
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'mqttkit-mosquitto-'));
  try {
    return await launch(bin, dir, options);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface Ports {
  port: number;
  tlsPort?: number;
  wsPort?: number;
  wssPort?: number;
}

async function launch(bin: string, dir: string, options: MosquittoOptions): Promise<Mosquitto> {
  const certs = options.tls === true ? await generateCerts(join(dir, 'certs')) : options.tls === false ? undefined : options.tls;
  const passwordFile = options.users === undefined ? undefined : join(dir, 'passwd');
  if (passwordFile !== undefined && options.users !== undefined) {
    await writePasswordFile(passwordFile, options.users, options.passwordHasher ?? 'auto');
  }
  const persistenceDir = join(dir, 'data');
  if (options.persistence) await mkdir(persistenceDir);
  const configFile = join(dir, 'mosquitto.conf');
  const log: string[] = [];
  let logSize = 0;
  const append = (text: string): void => {
    log.push(text);
    logSize += text.length;
    while (logSize > MAX_LOG && log.length > 1) logSize -= log.shift()?.length ?? 0;
  };

  const writeConfig = async (ports: Ports): Promise<void> => {
    const lines = ['# written by test/helpers/mosquitto.ts'];
    // Started as root, mosquitto would switch to the `mosquitto` user, which cannot read our 0700 temp dir.
    if (process.getuid?.() === 0) lines.push('user root');
    lines.push('log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information');
    lines.push('log_timestamp true', 'connection_messages true');
    lines.push(`allow_anonymous ${passwordFile === undefined}`);
    if (passwordFile !== undefined) lines.push(`password_file ${passwordFile}`);
    lines.push(`persistence ${options.persistence === true}`);
    if (options.persistence) lines.push(`persistence_location ${persistenceDir}/`);
    lines.push(...(options.config ?? []));
    const tlsLines = (): string[] => {
      if (certs === undefined) return [];
      const out = [`cafile ${certs.ca.path}`, `certfile ${certs.serverCert.path}`, `keyfile ${certs.serverKey.path}`];
      if (options.requireClientCertificate) out.push('require_certificate true');
      return out;
    };
    lines.push('', `listener ${ports.port} ${HOST}`);
    if (ports.tlsPort !== undefined) lines.push('', `listener ${ports.tlsPort} ${HOST}`, ...tlsLines());
    // Mosquitto 2.0.x ignores the address here for websockets (see the module comment); we still ask for 127.0.0.1.
    if (ports.wsPort !== undefined) lines.push('', `listener ${ports.wsPort} ${HOST}`, 'protocol websockets');
    if (ports.wssPort !== undefined) lines.push('', `listener ${ports.wssPort} ${HOST}`, 'protocol websockets', ...tlsLines());
    await writeFile(configFile, `${lines.join('\n')}\n`);
  };

  let child: ChildProcess | undefined;

  const spawnAndWait = async (ports: Ports): Promise<void> => {
    append(`--- starting ${bin} -c ${configFile}\n`);
    const proc = spawn(bin, ['-c', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.stdout?.setEncoding('utf8').on('data', append);
    proc.stderr?.setEncoding('utf8').on('data', append);
    let exited: string | undefined;
    proc.once('error', (err) => {
      exited = `could not run ${bin}: ${err.message}`;
    });
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      exited ??= `mosquitto exited (${signal ?? `code ${code}`})`;
    });
    const wanted = [ports.port, ports.tlsPort, ports.wsPort, ports.wssPort].filter((p): p is number => p !== undefined);
    const deadline = Date.now() + (options.startTimeout ?? 10_000);
    for (const port of wanted) {
      for (;;) {
        if (exited !== undefined) throw new Error(`${exited} before listening on ${port}; log:\n${log.join('')}`);
        if (await accepts(port)) break;
        if (Date.now() > deadline) {
          await terminate('SIGKILL');
          throw new Error(`mosquitto did not listen on ${HOST}:${port} within ${options.startTimeout ?? 10_000} ms; log:\n${log.join('')}`);
        }
        await sleep(25);
      }
    }
  };

  const terminate = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(killer);
  };

  // A freshly picked port can be taken by someone else before mosquitto binds it: retry with new ones.
  let ports: Ports | undefined;
  for (let attempt = 1; ports === undefined; attempt++) {
    const [port, tlsPort, wsPort, wssPort] = await freePorts(4);
    const candidate: Ports = {
      port,
      tlsPort: certs !== undefined ? tlsPort : undefined,
      wsPort: options.websockets ? wsPort : undefined,
      wssPort: options.websockets && certs !== undefined ? wssPort : undefined,
    };
    await writeConfig(candidate);
    try {
      await spawnAndWait(candidate);
      ports = candidate;
    } catch (err) {
      await terminate('SIGKILL');
      if (attempt >= 3 || !log.join('').includes('in use')) throw err;
    }
  }
  if (passwordFile !== undefined) await chmod(passwordFile, 0o600);

  const started = ports;
  const url = (scheme: string, port: number | undefined) => (port === undefined ? undefined : `${scheme}://${HOST}:${port}`);
  let stopped = false;
  return {
    ...started,
    url: `mqtt://${HOST}:${started.port}`,
    tlsUrl: url('mqtts', started.tlsPort),
    wsUrl: url('ws', started.wsPort),
    wssUrl: url('wss', started.wssPort),
    certs,
    dir,
    configFile,
    get pid(): number {
      return child?.pid ?? -1;
    },
    logs: () => log.join(''),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await terminate('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    async restart(restartOptions = {}): Promise<void> {
      if (stopped) throw new Error('restart() after stop()');
      await terminate(restartOptions.signal ?? 'SIGTERM');
      await spawnAndWait(started);
    },
  };
}

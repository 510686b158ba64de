/**
 * Parsed flags -> what to do: the broker URL, the client options, and the
 * pub or sub specifics. Everything a user can get wrong on the command line
 * is caught here, before any file is read or socket opened, with an error
 * naming the flag.
 */

import { topicFilterProblem, topicNameProblem } from '../codec/topics.js';
import type {
  ConnectProperties,
  DisconnectProperties,
  PublishProperties,
  QoS,
  SubscribeProperties,
  WillProperties,
} from '../codec/types.js';
import { compileFormat, type OutputOptions } from './format.js';
import { type ParsedArgs, usageError } from './parse.js';
import { parseProperties } from './properties.js';

export type ProtocolVersion = 3 | 4 | 5;

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecure: boolean;
  alpn?: string;
}

export interface WillConfig {
  topic: string;
  payload: string;
  qos: QoS;
  retain: boolean;
  properties?: WillProperties;
}

export interface CommonConfig {
  /** The broker URL (may carry user:password@ from -L). */
  url: string;
  protocolVersion: ProtocolVersion;
  clientId?: string;
  clean: boolean;
  keepAlive?: number;
  username?: string;
  password?: string;
  will?: WillConfig;
  connectProperties?: ConnectProperties;
  disconnectProperties?: DisconnectProperties;
  /** TLS settings to load, when the flags asked for TLS. */
  tls?: TlsFiles;
  /** -W in milliseconds. */
  timeoutMs?: number;
  debug: boolean;
  quiet: boolean;
}

export type MessageSource =
  | { kind: 'message'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'stdin-all' }
  | { kind: 'stdin-lines' }
  | { kind: 'null' };

export interface PubConfig extends CommonConfig {
  topic: string;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
  source: MessageSource;
}

export interface SubConfig extends CommonConfig {
  topics: string[];
  qos: QoS;
  subscribeProperties?: SubscribeProperties;
  count?: number;
  output: OutputOptions;
  filterOut: string[];
  noRetained: boolean;
  retainedOnly: boolean;
  exitOnSubscribe: boolean;
}

const MQTT_SCHEMES = new Set(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ssl:']);
const TLS_SCHEMES = new Set(['mqtts:', 'tls:', 'ssl:', 'wss:']);
const MAX_U32 = 0xffff_ffff;

function integer(raw: string, flag: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usageError(flag, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function qos(raw: string | undefined, flag: string): QoS {
  if (raw === undefined) return 0;
  if (raw !== '0' && raw !== '1' && raw !== '2') throw usageError(flag, `must be 0, 1 or 2, got "${raw}"`);
  return Number(raw) as QoS;
}

export function protocolVersion(raw: string | undefined): ProtocolVersion {
  switch (raw?.toLowerCase()) {
    case undefined:
    case '5':
    case 'mqttv5':
      return 5;
    case '311':
    case 'mqttv311':
      return 4;
    case '31':
    case 'mqttv31':
      return 3;
    default:
      throw usageError('-V', `must be 5 (mqttv5), 311 (mqttv311) or 31 (mqttv31), got "${raw}"`);
  }
}

function seconds(raw: string, flag: string): number {
  const n = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(n > 0) || n > 2_000_000) throw usageError(flag, `must be a number of seconds above 0, got "${raw}"`);
  return Math.round(n * 1000);
}

function sessionExpiry(raw: string): number {
  if (raw === '-1' || raw === '∞') return MAX_U32;
  return integer(raw, '-x', 0, MAX_U32);
}

/** `[user:pass@]host` text for an IPv6 literal needs brackets. */
function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

interface Target {
  url: string;
  /** The topic from an mqtt(s):// URL's path, if it had one. */
  urlTopic?: string;
}

/**
 * The broker URL from -L or -h/-p. For mqtt-like schemes the path is a topic
 * (as in mosquitto), taken from the raw text because `#` would otherwise be a fragment.
 */
function target(a: ParsedArgs, wantsTls: boolean): Target {
  const rawUrl = a.values.get('url');
  if (rawUrl !== undefined) {
    if (a.values.has('host') || a.values.has('port'))
      throw usageError('-L', 'cannot be combined with -h or -p (put the host and port in the URL)');
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw usageError('-L', `"${rawUrl}" is not a URL (expected e.g. mqtt://host:1883/topic)`);
    }
    if (wantsTls && !TLS_SCHEMES.has(url.protocol)) {
      throw usageError(
        '-L',
        `the TLS flags (--cafile, --cert, --insecure, ...) need a TLS URL (mqtts:// or wss://), got ${url.protocol}//`,
      );
    }
    if (!MQTT_SCHEMES.has(url.protocol)) return { url: rawUrl };
    const afterScheme = rawUrl.indexOf('//') + 2;
    const slash = rawUrl.indexOf('/', afterScheme);
    if (slash === -1) return { url: rawUrl };
    const topic = rawUrl.slice(slash + 1);
    let decoded: string;
    try {
      decoded = decodeURIComponent(topic);
    } catch {
      throw usageError('-L', `the topic "${topic}" in the URL is not validly percent-encoded`);
    }
    return { url: rawUrl.slice(0, slash), urlTopic: decoded === '' ? undefined : decoded };
  }
  const host = a.values.get('host') ?? 'localhost';
  if (host === '') throw usageError('-h', 'must not be empty');
  const port = a.values.has('port') ? integer(a.values.get('port') as string, '-p', 1, 65_535) : wantsTls ? 8883 : 1883;
  return { url: `${wantsTls ? 'mqtts' : 'mqtt'}://${hostPart(host)}:${port}` };
}

function tlsFiles(a: ParsedArgs): TlsFiles | undefined {
  const caFile = a.values.get('cafile');
  const certFile = a.values.get('cert');
  const keyFile = a.values.get('key');
  const alpn = a.values.get('tls-alpn');
  const insecure = a.booleans.has('insecure');
  if (certFile !== undefined && keyFile === undefined) throw usageError('--cert', 'needs --key with the private key');
  if (keyFile !== undefined && certFile === undefined) throw usageError('--key', 'needs --cert with the certificate');
  if (caFile === undefined && certFile === undefined && alpn === undefined && !insecure && !a.booleans.has('tls-use-os-certs'))
    return undefined;
  return { caFile, certFile, keyFile, insecure, alpn };
}

/** What pub and sub share: connection, session, will, TLS, properties other than publish/subscribe. */
function common(a: ParsedArgs, sets: ReturnType<typeof parseProperties>): { config: CommonConfig; urlTopic?: string } {
  const version = protocolVersion(a.values.get('protocol-version'));
  if (version !== 5) {
    if (a.properties.length > 0) throw usageError('-D', 'MQTT 5 properties need -V 5');
    if (a.values.has('session-expiry-interval')) throw usageError('-x', 'the session expiry interval needs -V 5');
  }
  const tls = tlsFiles(a);
  const { url, urlTopic } = target(a, tls !== undefined);

  const id = a.values.get('id');
  const prefix = a.values.get('id-prefix');
  if (id !== undefined && prefix !== undefined) throw usageError('-I', 'cannot be combined with -i');
  const clientId = prefix !== undefined ? `${prefix}${process.pid}` : id;
  const clean = !a.booleans.has('disable-clean-session');
  if (!clean && (clientId === undefined || clientId === '')) {
    throw usageError('-c', 'a persistent session needs a client id: add -i ID (or -I PREFIX)');
  }

  const connectProperties: ConnectProperties = { ...sets.connect };
  const expiry = a.values.get('session-expiry-interval');
  if (expiry !== undefined) {
    if (connectProperties.sessionExpiryInterval !== undefined)
      throw usageError('-x', 'given together with -D connect session-expiry-interval');
    connectProperties.sessionExpiryInterval = sessionExpiry(expiry);
  } else if (!clean && version === 5 && connectProperties.sessionExpiryInterval === undefined) {
    // As mosquitto: -c means the session outlives the connection, which MQTT 5 says with a session expiry.
    connectProperties.sessionExpiryInterval = MAX_U32;
  }

  const willTopic = a.values.get('will-topic');
  let will: WillConfig | undefined;
  if (willTopic === undefined) {
    for (const flag of ['will-payload', 'will-qos'] as const) {
      if (a.values.has(flag)) throw usageError(`--${flag}`, 'needs --will-topic');
    }
    if (a.booleans.has('will-retain')) throw usageError('--will-retain', 'needs --will-topic');
    if (sets.will !== undefined) throw usageError('-D', 'will properties need --will-topic');
  } else {
    const problem = topicNameProblem(willTopic);
    if (problem !== undefined) throw usageError('--will-topic', problem);
    will = {
      topic: willTopic,
      payload: a.values.get('will-payload') ?? '',
      qos: qos(a.values.get('will-qos'), '--will-qos'),
      retain: a.booleans.has('will-retain'),
    };
    if (sets.will !== undefined) will.properties = sets.will;
  }

  const username = a.values.get('username');
  const password = a.values.get('password');
  if (password !== undefined && username === undefined && !a.values.get('url')?.includes('@')) {
    throw usageError('-P', 'a password needs a user name (-u)');
  }
  const timeout = a.values.get('timeout');
  const config: CommonConfig = {
    url,
    protocolVersion: version,
    clean,
    debug: a.booleans.has('debug'),
    quiet: a.booleans.has('quiet'),
  };
  if (clientId !== undefined) config.clientId = clientId;
  const keepAlive = a.values.get('keepalive');
  if (keepAlive !== undefined) config.keepAlive = integer(keepAlive, '-k', 0, 65_535);
  if (username !== undefined) config.username = username;
  if (password !== undefined) config.password = password;
  if (will !== undefined) config.will = will;
  if (Object.keys(connectProperties).length > 0) config.connectProperties = connectProperties;
  if (sets.disconnect !== undefined) config.disconnectProperties = sets.disconnect;
  if (tls !== undefined) config.tls = tls;
  if (timeout !== undefined) config.timeoutMs = seconds(timeout, '-W');
  return { config, urlTopic };
}

function topicsOf(a: ParsedArgs, urlTopic: string | undefined): string[] {
  const topics = [...(a.lists.get('topic') ?? [])];
  if (urlTopic !== undefined) topics.unshift(urlTopic);
  return topics;
}

export function pubConfig(a: ParsedArgs): PubConfig {
  const sets = parseProperties(a.properties, 'pub');
  const { config: base, urlTopic } = common(a, sets);
  const topics = topicsOf(a, urlTopic);
  if (topics.length === 0) throw usageError('-t', 'a topic is required (-t TOPIC, or a path in -L)');
  if (topics.length > 1) throw usageError('-t', `pub publishes to one topic, got ${topics.length}`);
  const topic = topics[0];
  const problem = topicNameProblem(topic);
  if (problem !== undefined) throw usageError('-t', `topic ${problem}`);

  const sources: MessageSource[] = [];
  const message = a.values.get('message');
  const file = a.values.get('file');
  if (message !== undefined) sources.push({ kind: 'message', text: message });
  if (file !== undefined) sources.push({ kind: 'file', path: file });
  if (a.booleans.has('stdin-line')) sources.push({ kind: 'stdin-lines' });
  if (a.booleans.has('stdin-file')) sources.push({ kind: 'stdin-all' });
  if (a.booleans.has('null-message')) sources.push({ kind: 'null' });
  if (sources.length === 0) throw usageError('-m', 'a message is required: -m TEXT, -f FILE, -l, -s or -n');
  if (sources.length > 1) throw usageError('-m', 'give only one of -m, -f, -l, -s and -n');

  const config: PubConfig = {
    ...base,
    topic,
    qos: qos(a.values.get('qos'), '-q'),
    retain: a.booleans.has('retain'),
    source: sources[0],
  };
  if (sets.publish !== undefined) config.properties = sets.publish;
  return config;
}

export function subConfig(a: ParsedArgs): SubConfig {
  const sets = parseProperties(a.properties, 'sub');
  const { config: base, urlTopic } = common(a, sets);
  const topics = topicsOf(a, urlTopic);
  if (topics.length === 0) throw usageError('-t', 'at least one topic filter is required (-t FILTER, or a path in -L)');
  const shared = base.protocolVersion === 5;
  for (const t of topics) {
    const problem = topicFilterProblem(t, shared);
    if (problem !== undefined) throw usageError('-t', `topic filter ${problem}`);
  }
  const filterOut = a.lists.get('filter-out') ?? [];
  for (const t of filterOut) {
    const problem = topicFilterProblem(t, false);
    if (problem !== undefined) throw usageError('-T', `topic filter ${problem}`);
  }

  const format = a.values.get('format');
  const json = a.booleans.has('json');
  if (format !== undefined && json) throw usageError('--json', 'cannot be combined with -F');
  const mode: OutputOptions['mode'] =
    format !== undefined
      ? { kind: 'format', format: compileFormat(format) }
      : json
        ? { kind: 'json' }
        : a.booleans.has('verbose')
          ? { kind: 'verbose' }
          : { kind: 'payload' };
  if (json && a.booleans.has('no-eol')) throw usageError('-N', 'cannot be combined with --json (JSON output is one object per line)');
  if (a.booleans.has('no-retained') && a.booleans.has('retained-only')) throw usageError('-R', 'cannot be combined with --retained-only');

  const config: SubConfig = {
    ...base,
    topics,
    qos: qos(a.values.get('qos'), '-q'),
    output: { mode, eol: !a.booleans.has('no-eol') },
    filterOut,
    noRetained: a.booleans.has('no-retained'),
    retainedOnly: a.booleans.has('retained-only'),
    exitOnSubscribe: a.booleans.has('exit-on-subscribe'),
  };
  const count = a.values.get('count');
  if (count !== undefined) config.count = integer(count, '-C', 1, Number.MAX_SAFE_INTEGER);
  if (sets.subscribe !== undefined) config.subscribeProperties = sets.subscribe;
  return config;
}

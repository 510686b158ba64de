/**
 * How `mqttkit sub` prints a message: payload only, `-v` (topic and
 * payload), `-F` (mosquitto_sub's format language) or `--json`. Output is
 * bytes, because payloads need not be text.
 *
 * The `-F` string is compiled once, when the arguments are parsed, so a bad
 * format is a usage error before anything connects.
 */
import { InvalidArgumentError } from '../errors.js';
import { concat, hex, utf8 } from './bytes.js';
import { type MessageView, messageJson, mosquittoJson } from './json.js';
import { isoLocal, TIME_FIELDS, timeField, unixTime } from './time.js';

type Token =
  | { kind: 'text'; bytes: Uint8Array }
  | { kind: 'field'; code: string; left: boolean; zero: boolean; width: number; max: number | undefined }
  | { kind: 'time'; code: string };

export interface CompiledFormat {
  readonly source: string;
  readonly tokens: readonly Token[];
}

/** The `%` fields, and which of them take zero padding (the numeric ones). */
const FIELDS = 'tpqrlxXjJIUCDEFRSPA%';
const NUMERIC = 'qrlEFSA';
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '0': '\0', a: '\x07', e: '\x1b', n: '\n', r: '\r', t: '\t', v: '\v' };

function formatError(message: string): InvalidArgumentError {
  return new InvalidArgumentError(`-F: ${message}`, '-F');
}

/** Parses a `-F` format string. */
export function compileFormat(source: string): CompiledFormat {
  const tokens: Token[] = [];
  let text = '';
  const flushText = () => {
    if (text !== '') tokens.push({ kind: 'text', bytes: utf8(text) });
    text = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      const escaped = next === undefined ? undefined : ESCAPES[next];
      if (escaped === undefined) throw formatError(`unknown escape "\\${next ?? ''}" (use \\n \\t \\r \\0 \\e \\a \\v \\\\)`);
      text += escaped;
      i++;
    } else if (c === '@') {
      const next = source[i + 1];
      if (next === undefined || !TIME_FIELDS.includes(next)) {
        throw formatError(`unknown time field "@${next ?? ''}" (use @Y @m @d @H @M @S @N @s @z @@)`);
      }
      if (next === '@') text += '@';
      else {
        flushText();
        tokens.push({ kind: 'time', code: next });
      }
      i++;
    } else if (c === '%') {
      // %[-0][width][.max]X
      const m = /^%([-0]*)(\d*)(?:\.(\d+))?(.?)/.exec(source.slice(i)) as RegExpExecArray;
      const [whole, flags, width, max, code] = m;
      if (code === '' || !FIELDS.includes(code)) {
        const hint = code === 'm' ? ' (message ids are not available)' : '';
        throw formatError(`unknown field "%${code}"${hint}; see mqttkit sub --help`);
      }
      i += whole.length - 1;
      if (code === '%') {
        text += '%';
        continue;
      }
      flushText();
      tokens.push({
        kind: 'field',
        code,
        left: flags.includes('-'),
        zero: flags.includes('0') && !flags.includes('-') && NUMERIC.includes(code),
        width: width === '' ? 0 : Number(width),
        max: max === undefined ? undefined : Number(max),
      });
    } else {
      text += c;
    }
  }
  flushText();
  return { source, tokens };
}

function fieldValue(code: string, m: MessageView, now: Date): string | Uint8Array {
  const p = m.properties;
  switch (code) {
    case 't':
      return m.topic;
    case 'p':
      return m.payload;
    case 'q':
      return String(m.qos);
    case 'r':
      return m.retain ? '1' : '0';
    case 'l':
      return String(m.payload.length);
    case 'x':
      return hex(m.payload);
    case 'X':
      return hex(m.payload, true);
    case 'j':
      return mosquittoJson(m, now, false);
    case 'J':
      return mosquittoJson(m, now, true);
    case 'I':
      return isoLocal(now);
    case 'U':
      return unixTime(now);
    case 'C':
      return p?.contentType ?? '';
    case 'D':
      return p?.correlationData ?? '';
    case 'E':
      return p?.messageExpiryInterval === undefined ? '' : String(p.messageExpiryInterval);
    case 'F':
      return p?.payloadFormatIndicator === undefined ? '' : p.payloadFormatIndicator ? '1' : '0';
    case 'R':
      return p?.responseTopic ?? '';
    case 'S':
      return p?.subscriptionIdentifiers?.join(',') ?? '';
    case 'P':
      return p?.userProperties?.map(([k, v]) => `${k}:${v}`).join(' ') ?? '';
    case 'A':
      return p?.topicAlias === undefined ? '' : String(p.topicAlias);
    default:
      return '';
  }
}

/** Applies width, alignment and maximum width; bytes are measured in bytes, text in characters. */
function shape(value: string | Uint8Array, t: Token & { kind: 'field' }): Uint8Array {
  if (typeof value === 'string') {
    let s = t.max === undefined ? value : value.slice(0, t.max);
    if (s.length < t.width) {
      const fill = (t.zero ? '0' : ' ').repeat(t.width - s.length);
      s = t.left ? s + fill : fill + s;
    }
    return utf8(s);
  }
  let bytes = t.max === undefined ? value : value.subarray(0, t.max);
  if (bytes.length < t.width) {
    const fill = utf8(' '.repeat(t.width - bytes.length));
    bytes = t.left ? concat([bytes, fill]) : concat([fill, bytes]);
  }
  return bytes;
}

/** One message formatted with a compiled `-F` format (without the end of line). */
export function renderFormat(format: CompiledFormat, m: MessageView, now: Date): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const t of format.tokens) {
    if (t.kind === 'text') parts.push(t.bytes);
    else if (t.kind === 'time') parts.push(utf8(timeField(t.code, now)));
    else parts.push(shape(fieldValue(t.code, m, now), t));
  }
  return parts.length === 0 ? new Uint8Array(0) : concat(parts);
}

export type OutputMode = { kind: 'payload' } | { kind: 'verbose' } | { kind: 'json' } | { kind: 'format'; format: CompiledFormat };

export interface OutputOptions {
  mode: OutputMode;
  /** Add a newline after each message (false with -N). */
  eol: boolean;
}

const NEWLINE = utf8('\n');
const SPACE = utf8(' ');

/** The bytes `mqttkit sub` writes to stdout for one message. */
export function renderMessage(options: OutputOptions, m: MessageView, now: Date): Uint8Array {
  const parts: Uint8Array[] = [];
  switch (options.mode.kind) {
    case 'payload':
      parts.push(m.payload);
      break;
    case 'verbose':
      parts.push(utf8(m.topic), SPACE, m.payload);
      break;
    case 'json':
      parts.push(utf8(messageJson(m)));
      break;
    case 'format':
      parts.push(renderFormat(options.mode.format, m, now));
      break;
  }
  if (options.eol) parts.push(NEWLINE);
  return concat(parts);
}

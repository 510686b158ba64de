/**
 * The mqttkit CLI without a broker: argument parsing, what the flags turn
 * into, the -F / --json output, the -d packet lines, exit status mapping and
 * --help coverage.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type PubConfig, pubConfig, type SubConfig, subConfig } from '../../src/cli/config.js';
import { CliTimeoutError, ExitCode, exitCodeFor } from '../../src/cli/exit-codes.js';
import { FLAGS, flagsOf } from '../../src/cli/flags.js';
import { compileFormat, renderFormat, renderMessage } from '../../src/cli/format.js';
import { commandHelp, mainHelp } from '../../src/cli/help.js';
import { readAll, readLines } from '../../src/cli/io.js';
import type { MessageView } from '../../src/cli/json.js';
import { parseArgs } from '../../src/cli/parse.js';
import { describePacket } from '../../src/cli/trace.js';
import { ConnectionError, InvalidArgumentError, ReasonCodeError, StateError } from '../../src/errors.js';

// Local-time fields (%I, @H, ...) are checked in UTC.
process.env.TZ = 'UTC';

const pub = (...argv: string[]): PubConfig => pubConfig(parseArgs(argv, 'pub'));
const sub = (...argv: string[]): SubConfig => subConfig(parseArgs(argv, 'sub'));
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** The InvalidArgumentError a call throws (fails the test when it does not throw one). */
function usage(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err;
    throw err;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('parseArgs', () => {
  it('reads short, long and --long=value forms, booleans and repeated lists', () => {
    const a = parseArgs(['-t', 'a/#', '--topic', 'b', '--qos=1', '-v', '-C', '3', '-T', 'a/x'], 'sub');
    expect(a.lists.get('topic')).toEqual(['a/#', 'b']);
    expect(a.values.get('qos')).toBe('1');
    expect(a.values.get('count')).toBe('3');
    expect(a.lists.get('filter-out')).toEqual(['a/x']);
    expect(a.booleans.has('verbose')).toBe(true);
  });

  it('takes a value that starts with a dash (-x -1) and getopt style -q1', () => {
    const a = parseArgs(['-x', '-1', '-q1', '-m', '-5'], 'pub');
    expect(a.values.get('session-expiry-interval')).toBe('-1');
    expect(a.values.get('qos')).toBe('1');
    expect(a.values.get('message')).toBe('-5');
  });

  it('accepts the mosquitto spelling --pw for -P', () => {
    expect(parseArgs(['--pw', 'x'], 'pub').values.get('password')).toBe('x');
  });

  it('reads -D with three words, and four for user-property', () => {
    const a = parseArgs(['-D', 'publish', 'user-property', 'k', 'v', '-D', 'publish', 'content-type', 'text/plain', '-t', 'x'], 'pub');
    expect(a.properties).toEqual([
      { command: 'publish', identifier: 'user-property', values: ['k', 'v'] },
      { command: 'publish', identifier: 'content-type', values: ['text/plain'] },
    ]);
    expect(a.lists.get('topic')).toEqual(['x']);
  });

  it.each([
    [['--bogus'], '--bogus', 'unknown flag'],
    [['-Z'], '-Z', 'unknown flag'],
    [['-t'], '-t', 'needs a value'],
    [['-r=1'], '-r=1', 'unknown flag'],
    [['--retain=yes'], '-r', 'takes no value'],
    [['-m', 'a', '-m', 'b'], '-m', 'more than once'],
    [['hello'], 'hello', 'unexpected argument'],
    [['-D', 'publish', 'user-property', 'k'], '-D', 'needs a name and a value'],
    [['-D', 'publish'], '-D', 'needs COMMAND IDENTIFIER VALUE'],
    [['-C', '1'], '-C', 'unknown flag for mqttkit pub'],
  ])('refuses %j naming the flag', (argv, flag, message) => {
    const err = usage(() => parseArgs(argv, 'pub'));
    expect(err.field).toBe(flag);
    expect(err.message).toContain(message);
    expect(err.message.startsWith(`${flag}: `)).toBe(true);
  });
});

describe('pub and sub configuration', () => {
  it('defaults: localhost:1883, MQTT 5, QoS 0, clean session', () => {
    const c = pub('-t', 'a', '-m', 'hi');
    expect(c).toMatchObject({ url: 'mqtt://localhost:1883', protocolVersion: 5, qos: 0, retain: false, clean: true, topic: 'a' });
    expect(c.source).toEqual({ kind: 'message', text: 'hi' });
  });

  it.each([
    ['5', 5],
    ['mqttv5', 5],
    ['311', 4],
    ['mqttv311', 4],
    ['31', 3],
    ['MQTTv31', 3],
  ])('-V %s is protocol level %d', (flag, level) => {
    expect(pub('-t', 'a', '-n', '-V', flag).protocolVersion).toBe(level);
  });

  it('builds the URL from -h/-p, bracketing IPv6, and switches to mqtts:// and 8883 with TLS flags', () => {
    expect(pub('-t', 'a', '-n', '-h', '10.0.0.1', '-p', '1884').url).toBe('mqtt://10.0.0.1:1884');
    expect(pub('-t', 'a', '-n', '-h', '::1').url).toBe('mqtt://[::1]:1883');
    const tls = pub('-t', 'a', '-n', '--cafile', 'ca.crt', '--insecure');
    expect(tls.url).toBe('mqtts://localhost:8883');
    expect(tls.tls).toEqual({ caFile: 'ca.crt', certFile: undefined, keyFile: undefined, insecure: true, alpn: undefined });
  });

  it('-L: the path of an mqtt(s):// URL is the topic, # included; ws:// URLs pass through', () => {
    const p = pub('-L', 'mqtt://alice:pw@broker:1884/sensors/42', '-m', 'x');
    expect(p.url).toBe('mqtt://alice:pw@broker:1884');
    expect(p.topic).toBe('sensors/42');
    const s = sub('-L', 'mqtts://broker/sensors/#', '-t', 'alerts/+');
    expect(s.url).toBe('mqtts://broker');
    expect(s.topics).toEqual(['sensors/#', 'alerts/+']);
    expect(sub('-L', 'ws://broker:8080/mqtt', '-t', 'a').url).toBe('ws://broker:8080/mqtt');
    expect(sub('-L', 'ws://broker:8080/mqtt', '-t', 'a').topics).toEqual(['a']);
  });

  it('message sources: -f, -l, -s, -n', () => {
    expect(pub('-t', 'a', '-f', 'x.bin').source).toEqual({ kind: 'file', path: 'x.bin' });
    expect(pub('-t', 'a', '-l').source).toEqual({ kind: 'stdin-lines' });
    expect(pub('-t', 'a', '-s').source).toEqual({ kind: 'stdin-all' });
    expect(pub('-t', 'a', '-n', '-r').source).toEqual({ kind: 'null' });
  });

  it('-c needs a client id; on MQTT 5 it makes the session last (expiry 0xFFFFFFFF) unless -x says otherwise', () => {
    expect(usage(() => sub('-t', 'a', '-c')).field).toBe('-c');
    expect(sub('-t', 'a', '-c', '-i', 'me').connectProperties).toEqual({ sessionExpiryInterval: 0xffff_ffff });
    expect(sub('-t', 'a', '-c', '-i', 'me', '-x', '60').connectProperties).toEqual({ sessionExpiryInterval: 60 });
    expect(sub('-t', 'a', '-c', '-i', 'me', '-V', '311').connectProperties).toBeUndefined();
    expect(sub('-t', 'a', '-c', '-I', 'pre-').clientId).toBe(`pre-${process.pid}`);
  });

  it('-D: properties per packet, typed', () => {
    const c = pub(
      ...['-t', 'a', '-m', 'x'],
      ...['-D', 'publish', 'user-property', 'k', 'v', '-D', 'publish', 'user-property', 'k', 'w'],
      ...['-D', 'publish', 'message-expiry-interval', '60', '-D', 'publish', 'content-type', 'text/plain'],
      ...[
        '-D',
        'publish',
        'response-topic',
        'r/1',
        '-D',
        'publish',
        'correlation-data',
        'abc',
        '-D',
        'publish',
        'payload-format-indicator',
        '1',
      ],
      ...['-D', 'connect', 'receive-maximum', '10', '-D', 'disconnect', 'session-expiry-interval', '0'],
      ...['--will-topic', 'w', '-D', 'will', 'will-delay-interval', '5'],
    );
    expect(c.properties).toEqual({
      userProperties: [
        ['k', 'v'],
        ['k', 'w'],
      ],
      messageExpiryInterval: 60,
      contentType: 'text/plain',
      responseTopic: 'r/1',
      correlationData: new TextEncoder().encode('abc'),
      payloadFormatIndicator: true,
    });
    expect(c.connectProperties).toEqual({ receiveMaximum: 10 });
    expect(c.disconnectProperties).toEqual({ sessionExpiryInterval: 0 });
    expect(c.will).toEqual({ topic: 'w', payload: '', qos: 0, retain: false, properties: { willDelayInterval: 5 } });
    expect(sub('-t', 'a', '-D', 'subscribe', 'subscription-identifier', '7').subscribeProperties).toEqual({ subscriptionIdentifier: 7 });
  });

  it('the will: topic, payload, QoS, retain', () => {
    const c = sub('-t', 'a', '--will-topic', 'dev/1/status', '--will-payload', 'offline', '--will-qos', '1', '--will-retain');
    expect(c.will).toEqual({ topic: 'dev/1/status', payload: 'offline', qos: 1, retain: true });
  });

  it('sub output modes: payload, -v, -F, --json; -N drops the newline', () => {
    expect(sub('-t', 'a').output).toEqual({ mode: { kind: 'payload' }, eol: true });
    expect(sub('-t', 'a', '-v').output.mode.kind).toBe('verbose');
    expect(sub('-t', 'a', '-v', '-F', '%t').output.mode.kind).toBe('format');
    expect(sub('-t', 'a', '--json').output.mode.kind).toBe('json');
    expect(sub('-t', 'a', '-N').output.eol).toBe(false);
    expect(sub('-t', 'a', '-C', '5', '-W', '1.5')).toMatchObject({ count: 5, timeoutMs: 1500 });
  });

  it.each([
    [['-m', 'x'], '-t', 'a topic is required'],
    [['-t', 'a'], '-m', 'a message is required'],
    [['-t', 'a', '-m', 'x', '-n'], '-m', 'only one of'],
    [['-t', 'a', '-t', 'b', '-m', 'x'], '-t', 'one topic'],
    [['-t', 'a/#', '-m', 'x'], '-t', 'wildcards'],
    [['-t', 'a', '-m', 'x', '-q', '3'], '-q', 'must be 0, 1 or 2, got "3"'],
    [['-t', 'a', '-m', 'x', '-p', '70000'], '-p', 'from 1 to 65535'],
    [['-t', 'a', '-m', 'x', '-k', 'ten'], '-k', 'integer'],
    [['-t', 'a', '-m', 'x', '-V', '4'], '-V', 'must be 5'],
    [['-t', 'a', '-m', 'x', '-V', '311', '-D', 'publish', 'content-type', 'x'], '-D', 'need -V 5'],
    [['-t', 'a', '-m', 'x', '-V', '311', '-x', '10'], '-x', 'needs -V 5'],
    [['-t', 'a', '-m', 'x', '-D', 'subscribe', 'subscription-identifier', '1'], '-D', 'unknown command "subscribe"'],
    [['-t', 'a', '-m', 'x', '-D', 'publish', 'color', 'red'], '-D', 'no property "color"'],
    [['-t', 'a', '-m', 'x', '-D', 'publish', 'message-expiry-interval', '-1'], '-D', 'integer from 0'],
    [['-t', 'a', '-m', 'x', '-D', 'publish', 'topic-alias', '0'], '-D', 'integer from 1'],
    [['-t', 'a', '-m', 'x', '-D', 'publish', 'payload-format-indicator', '2'], '-D', '0 or 1'],
    [['-t', 'a', '-m', 'x', '--will-payload', 'x'], '--will-payload', 'needs --will-topic'],
    [['-t', 'a', '-m', 'x', '--will-topic', 'a/#'], '--will-topic', 'wildcards'],
    [['-t', 'a', '-m', 'x', '--cert', 'c.pem'], '--cert', 'needs --key'],
    [['-t', 'a', '-m', 'x', '-P', 'pw'], '-P', 'needs a user name'],
    [['-t', 'a', '-m', 'x', '-i', 'a', '-I', 'b'], '-I', 'cannot be combined'],
    [['-m', 'x', '-L', 'mqtt://h/a', '-h', 'x'], '-L', 'cannot be combined'],
    [['-m', 'x', '-L', 'not a url'], '-L', 'not a URL'],
    [['-m', 'x', '-L', 'mqtt://h/a', '--cafile', 'ca'], '-L', 'TLS URL'],
    [['-t', 'a', '-m', 'x', '-W', '0'], '-W', 'above 0'],
  ])('pub %j is a usage error naming %s', (argv, flag, message) => {
    const err = usage(() => pub(...argv));
    expect(err.field).toBe(flag);
    expect(err.message).toContain(message);
  });

  it.each([
    [[], '-t', 'at least one topic filter'],
    [['-t', 'a/#/b'], '-t', '"#" must be the whole last level'],
    [['-t', 'a', '-T', 'x+'], '-T', '"+" must fill a whole level'],
    [['-t', 'a', '-C', '0'], '-C', 'from 1'],
    [['-t', 'a', '-F', '%t', '--json'], '--json', 'cannot be combined with -F'],
    [['-t', 'a', '--json', '-N'], '-N', 'cannot be combined with --json'],
    [['-t', 'a', '-R', '--retained-only'], '-R', 'cannot be combined'],
    [['-t', 'a', '-F', '%m'], '-F', 'message ids are not available'],
    [['-t', 'a', '-F', '%k'], '-F', 'unknown field "%k"'],
    [['-t', 'a', '-F', '\\q'], '-F', 'unknown escape'],
    [['-t', 'a', '-F', '@Q'], '-F', 'unknown time field'],
    [['-t', 'a', '-D', 'subscribe', 'subscription-identifier', '0'], '-D', 'from 1 to 268435455'],
  ])('sub %j is a usage error naming %s', (argv, flag, message) => {
    const err = usage(() => sub(...argv));
    expect(err.field).toBe(flag);
    expect(err.message).toContain(message);
  });
});

describe('output formats', () => {
  const now = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  const msg: MessageView = {
    topic: 'sensors/42',
    payload: new TextEncoder().encode('hi'),
    qos: 1,
    retain: true,
    properties: {
      contentType: 'text/plain',
      userProperties: [
        ['site', 'berlin'],
        ['site', 'paris'],
      ],
      correlationData: new Uint8Array([1, 2, 255]),
      messageExpiryInterval: 60,
      payloadFormatIndicator: true,
      responseTopic: 'replies/1',
      subscriptionIdentifiers: [3],
    },
  };
  const fmt = (f: string, m: MessageView = msg): string => text(renderFormat(compileFormat(f), m, now));

  it('the % fields: topic, payload, QoS, retain, length, hex, percent', () => {
    expect(fmt('%t|%p|%q|%r|%l|%x|%X|%%')).toBe('sensors/42|hi|1|1|2|6869|6869|%');
  });

  it('the MQTT 5 property fields', () => {
    expect(fmt('%C|%E|%F|%R|%S|%P')).toBe('text/plain|60|1|replies/1|3|site:berlin site:paris');
    expect(renderFormat(compileFormat('%D'), msg, now)).toEqual(new Uint8Array([1, 2, 255]));
    expect(fmt('[%C%E%R%P]', { ...msg, properties: undefined })).toBe('[]');
  });

  it('width, left alignment, zero padding and maximum width', () => {
    expect(fmt('[%12t][%-12t][%.3t][%05l][%-05l][%4p]')).toBe('[  sensors/42][sensors/42  ][sen][00002][2    ][  hi]');
  });

  it('times: %I, %U and @ fields (local time, here UTC)', () => {
    expect(fmt('%I')).toBe('2024-01-02T03:04:05+0000');
    expect(fmt('%U')).toBe(`${Math.floor(now.getTime() / 1000)}.678000000`);
    expect(fmt('@Y-@m-@d @H:@M:@S.@N @z @s @@')).toBe(`2024-01-02 03:04:05.678000000 +0000 ${Math.floor(now.getTime() / 1000)} @`);
  });

  it('escapes: \\n \\t \\0 \\e \\\\', () => {
    expect(fmt('%t\\t%p\\n\\0\\e\\\\')).toBe('sensors/42\thi\n\0\x1b\\');
  });

  it('%j and %J: mosquitto-style JSON with a time stamp; %J embeds a JSON payload', () => {
    const j = JSON.parse(fmt('%j'));
    expect(j).toMatchObject({ tst: '2024-01-02T03:04:05.678+0000', topic: 'sensors/42', qos: 1, retain: 1, payload: 'hi' });
    expect(j.properties.correlationData).toBe('AQL/');
    const json = { ...msg, payload: new TextEncoder().encode('{"t":21.5}') };
    expect(JSON.parse(fmt('%J', json)).payload).toEqual({ t: 21.5 });
    expect(JSON.parse(fmt('%j', json)).payload).toBe('{"t":21.5}');
    expect(JSON.parse(fmt('%J')).payload).toBe('hi');
  });

  it('--json: one line with text or base64 payload, QoS, retain and properties', () => {
    const line = text(renderMessage({ mode: { kind: 'json' }, eol: true }, msg, now));
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      topic: 'sensors/42',
      payload: 'hi',
      encoding: 'utf8',
      qos: 1,
      retain: true,
      properties: {
        contentType: 'text/plain',
        userProperties: [
          ['site', 'berlin'],
          ['site', 'paris'],
        ],
        correlationData: 'AQL/',
        messageExpiryInterval: 60,
        payloadFormatIndicator: true,
        responseTopic: 'replies/1',
        subscriptionIdentifiers: [3],
      },
    });
    const binary = { ...msg, payload: new Uint8Array([0xff, 0xfe, 0x00, 0x41]), properties: undefined };
    expect(JSON.parse(text(renderMessage({ mode: { kind: 'json' }, eol: true }, binary, now)))).toEqual({
      topic: 'sensors/42',
      payload: '//4AQQ==',
      encoding: 'base64',
      qos: 1,
      retain: true,
      properties: {},
    });
  });

  it('payload only, -v, -N: bytes as received', () => {
    const bin = { ...msg, payload: new Uint8Array([0, 0xff, 10]) };
    expect(renderMessage({ mode: { kind: 'payload' }, eol: true }, bin, now)).toEqual(new Uint8Array([0, 0xff, 10, 10]));
    expect(renderMessage({ mode: { kind: 'payload' }, eol: false }, bin, now)).toEqual(new Uint8Array([0, 0xff, 10]));
    expect(text(renderMessage({ mode: { kind: 'verbose' }, eol: true }, msg, now))).toBe('sensors/42 hi\n');
  });
});

describe('stdin reading', () => {
  it('splits lines across chunks, drops \\r, yields a last line without newline', async () => {
    const enc = new TextEncoder();
    const chunks = ['a\r\nb', 'c\n\nd', 'e\nlast'].map((s) => enc.encode(s));
    const lines: string[] = [];
    for await (const line of readLines(Readable.from(chunks))) lines.push(text(line));
    expect(lines).toEqual(['a', 'bc', '', 'de', 'last']);
  });

  it('reads all of stdin as bytes', async () => {
    expect(await readAll(Readable.from([new Uint8Array([1, 2]), new Uint8Array([3])]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(await readAll(Readable.from([]))).toEqual(new Uint8Array(0));
  });
});

describe('-d packet lines', () => {
  it('describes packets without the password', () => {
    expect(
      describePacket(
        { type: 'connect', protocolVersion: 4, clientId: 'c', clean: true, keepAlive: 60, username: 'u', password: new Uint8Array([1]) },
        4,
      ),
    ).toBe('CONNECT (v3.1.1, client id "c", clean 1, keep alive 60, user "u", password ***)');
    expect(describePacket({ type: 'connack', sessionPresent: false, reasonCode: 5 }, 4)).toBe('CONNACK (session present 0, return code 5)');
    expect(describePacket({ type: 'connack', sessionPresent: true, reasonCode: 0x87 }, 5)).toBe(
      'CONNACK (session present 1, reason 0x87 NOT_AUTHORIZED)',
    );
    expect(
      describePacket({ type: 'publish', topic: 'a', payload: new Uint8Array(3), qos: 1, retain: true, dup: false, packetId: 7 }, 5),
    ).toBe('PUBLISH (d0, q1, r1, m7, "a", 3 bytes)');
    expect(describePacket({ type: 'suback', packetId: 2, reasonCodes: [1, 0x87] }, 5)).toBe(
      'SUBACK (m2, granted q1, refused 0x87 NOT_AUTHORIZED)',
    );
    expect(describePacket({ type: 'pingreq' }, 5)).toBe('PINGREQ');
  });
});

describe('exit status', () => {
  it.each([
    [new InvalidArgumentError('x', 'x'), ExitCode.usage],
    [new ConnectionError('refused', 'MQTTKIT_ERR_CONNECTION_REFUSED'), ExitCode.connection],
    [new ConnectionError('dns', 'MQTTKIT_ERR_DNS'), ExitCode.connection],
    [new StateError('lost', 'MQTTKIT_ERR_CONNECTION_LOST'), ExitCode.connection],
    [new ReasonCodeError('connack', 0x86, 'BAD_USER_NAME_OR_PASSWORD', false), ExitCode.notAuthorized],
    [new ReasonCodeError('connack', 0x87, 'NOT_AUTHORIZED', false), ExitCode.notAuthorized],
    [new ReasonCodeError('suback', 0x87, 'NOT_AUTHORIZED', false), ExitCode.notAuthorized],
    [new CliTimeoutError(1000), ExitCode.timeout],
    [new ReasonCodeError('connack', 0x85, 'CLIENT_IDENTIFIER_NOT_VALID', false), ExitCode.failed],
    [new Error('?'), ExitCode.failed],
  ])('%s -> %d', (err, code) => {
    expect(exitCodeFor(err)).toBe(code);
  });
});

describe('--help', () => {
  it.each(['pub', 'sub'] as const)(
    'mqttkit %s --help names every flag of the command, each with an example, and the exit codes',
    (command) => {
      const help = commandHelp(command);
      for (const flag of flagsOf(command)) {
        expect(help).toContain(`--${flag.name}`);
        if (flag.short !== undefined) expect(help).toContain(`-${flag.short}, --${flag.name}`);
      }
      expect(help.match(/Example: /g)?.length).toBe(flagsOf(command).length);
      for (const code of [0, 1, 2, 3, 4, 5]) expect(help).toMatch(new RegExp(`^  ${code}  `, 'm'));
    },
  );

  it('-D help lists the property identifiers each command takes', () => {
    expect(commandHelp('pub')).toMatch(/publish:\s+payload-format-indicator,\s+message-expiry-interval/);
    expect(commandHelp('sub')).toMatch(/subscribe:\s+subscription-identifier,\s+user-property/);
    expect(commandHelp('sub')).not.toContain('publish: ');
  });

  it('every flag belongs to pub or sub, and no short or long name is used twice in a command', () => {
    for (const command of ['pub', 'sub'] as const) {
      const names = flagsOf(command).flatMap((f) => [`--${f.name}`, ...(f.short === undefined ? [] : [`-${f.short}`])]);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(FLAGS.every((f) => f.commands.length > 0)).toBe(true);
    expect(mainHelp()).toContain('mqttkit pub');
  });
});

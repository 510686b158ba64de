/**
 * The `mqttkit` command as a user runs it: separate processes against private
 * Mosquitto brokers (one open, with a TLS listener; one with users), checking
 * what reaches stdout, what stderr says, and the exit status.
 *
 * The CLI is bundled once with esbuild (a spawn then costs ~0.1 s instead of
 * ~0.5 s through tsx). The bundle lives under the repository's .tmp/ so that
 * its `ws` import resolves from node_modules.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FLAGS } from '../../src/cli/flags.js';
import { concat } from '../helpers/bytes.js';
import { unique } from '../helpers/clients.js';
import { describeWithMosquitto, freePorts, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ALICE = { user: 'alice', password: 's3cret' };
/** No test should take this long; a process still running then is killed and the test fails. */
const PROCESS_LIMIT_MS = 20_000;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

interface Running {
  proc: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves once stderr matches (e.g. the SUBACK line of -d). */
  waitForStderr(pattern: RegExp): Promise<void>;
  waitForStdout(pattern: RegExp): Promise<void>;
  done: Promise<Finished>;
}

let dir: string;
let cliPath: string;

function start(command: string, args: string[], input?: string | Uint8Array, shell = false): Running {
  const proc = shell
    ? spawn('sh', ['-c', command], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [cliPath, command, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Uint8Array[] = [];
  let err = '';
  const waiters: Array<() => void> = [];
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on('data', (c: Uint8Array) => {
    out.push(c);
    notify();
  });
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    notify();
  });
  if (input !== undefined) proc.stdin?.end(input);
  const stdoutText = () => new TextDecoder().decode(concat(out));
  const killer = setTimeout(() => proc.kill('SIGKILL'), PROCESS_LIMIT_MS);
  const done = new Promise<Finished>((resolveDone) => {
    proc.on('close', (code, signal) => {
      clearTimeout(killer);
      notify();
      resolveDone({ code, signal, stdout: stdoutText(), stdoutBytes: concat(out), stderr: err });
    });
  });
  const waitFor = (read: () => string, pattern: RegExp, what: string): Promise<void> =>
    new Promise((resolveWait, reject) => {
      const check = () => {
        if (pattern.test(read())) resolveWait();
        else if (proc.exitCode !== null || proc.signalCode !== null)
          reject(new Error(`process exited before ${what} matched ${pattern}; stderr:\n${err}`));
        else waiters.push(check);
      };
      check();
    });
  return {
    proc,
    stderr: () => err,
    stdout: stdoutText,
    waitForStderr: (pattern) => waitFor(() => err, pattern, 'stderr'),
    waitForStdout: (pattern) => waitFor(stdoutText, pattern, 'stdout'),
    done,
  };
}

/** Runs `mqttkit <command> <args>` to its end. */
function cli(command: string, args: string[], input?: string | Uint8Array): Promise<Finished> {
  return start(command, args, input).done;
}

/** Starts `mqttkit sub -d ...` and resolves once the broker acknowledged the subscription. */
async function subscribed(args: string[]): Promise<Running> {
  const running = start('sub', ['-d', ...args]);
  await running.waitForStderr(/<- SUBACK/);
  return running;
}

/** stderr without the -d lines: what a user sees without -d. */
function errors(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/^mqttkit (pub|sub): (->|<-|connect|connected|reconnecting)/.test(l));
}

describeWithMosquitto('mqttkit CLI against Mosquitto', () => {
  let open: Mosquitto;
  let secured: Mosquitto;
  let port: string;

  beforeAll(async () => {
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, '.tmp', 'cli-test-'));
    cliPath = join(dir, 'cli.mjs');
    const [bundle, a, b] = await Promise.all([
      build({
        entryPoints: [join(ROOT, 'src/cli/main.ts')],
        outfile: cliPath,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'silent',
      }),
      startMosquitto({ tls: true }),
      startMosquitto({ users: { [ALICE.user]: ALICE.password } }),
    ]);
    expect(bundle.errors).toEqual([]);
    if (a === undefined || b === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    open = a;
    secured = b;
    port = String(open.port);
  });

  afterAll(async () => {
    await Promise.all([open?.stop(), secured?.stop()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const at = (...args: string[]) => ['-h', '127.0.0.1', '-p', port, ...args];

  it('pub, then sub -C 1 prints the message and exits 0', async () => {
    const topic = unique('cli/basic');
    const sub = await subscribed(at('-t', topic, '-C', '1'));
    const pub = await cli('pub', at('-t', topic, '-m', 'hello world'));
    expect(pub).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const result = await sub.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello world\n');
  });

  it('-r: a later subscriber gets the retained message [MQTT-3.3.1-5]; -n -r removes it [MQTT-3.3.1-6]', async () => {
    const topic = unique('cli/retained');
    expect((await cli('pub', at('-t', topic, '-m', 'kept', '-r', '-q', '1'))).code).toBe(0);
    const first = await cli('sub', at('-t', topic, '-C', '1', '-F', '%r %p'));
    expect(first).toMatchObject({ code: 0, stdout: '1 kept\n' });

    expect((await cli('pub', at('-t', topic, '-n', '-r', '-q', '1'))).code).toBe(0);
    const after = await cli('sub', at('-t', topic, '-C', '1', '-W', '0.5'));
    expect(after.code).toBe(4);
    expect(after.stdout).toBe('');
  });

  it('-l: one message per stdin line, in order; empty lines skipped, \\r\\n accepted', async () => {
    const topic = unique('cli/lines');
    const sub = await subscribed(at('-t', topic, '-C', '3', '-q', '1'));
    const pub = await cli('pub', at('-t', topic, '-l', '-q', '1'), 'one\r\ntwo\n\nthree');
    expect(pub.code).toBe(0);
    expect((await sub.done).stdout).toBe('one\ntwo\nthree\n');
  });

  it('-s sends all of stdin as one message; -n a zero-length one', async () => {
    const topic = unique('cli/stdin');
    const sub = await subscribed(at('-t', topic, '-C', '2', '-F', '%l:%p'));
    expect((await cli('pub', at('-t', topic, '-s'), 'line 1\nline 2')).code).toBe(0);
    expect((await cli('pub', at('-t', topic, '-n'))).code).toBe(0);
    expect((await sub.done).stdout).toBe('13:line 1\nline 2\n0:\n');
  });

  it('-f sends a file byte for byte; sub prints raw bytes, %x hex, and --json base64', async () => {
    const topic = unique('cli/file');
    const bytes = new Uint8Array([0x00, 0x01, 0xff, 0x0a, 0x80]);
    const file = join(dir, 'payload.bin');
    await writeFile(file, bytes);
    const raw = await subscribed(at('-t', topic, '-C', '1', '-N'));
    const hexed = await subscribed(at('-t', topic, '-C', '1', '-F', '%x'));
    const json = await subscribed(at('-t', topic, '-C', '1', '--json'));
    expect((await cli('pub', at('-t', topic, '-f', file))).code).toBe(0);
    expect((await raw.done).stdoutBytes).toEqual(bytes);
    expect((await hexed.done).stdout).toBe('0001ff0a80\n');
    expect(JSON.parse((await json.done).stdout)).toMatchObject({ topic, payload: 'AAH/CoA=', encoding: 'base64' });
  });

  it('-f with a missing file is a usage error before connecting', async () => {
    const result = await cli('pub', ['-p', '1', '-t', 'x', '-f', join(dir, 'missing.bin')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mqttkit pub: -f: cannot read ".*missing\.bin" \(ENOENT\)\n$/);
  });

  it('QoS 1 and 2: pub waits for PUBACK / PUBCOMP, sub sees the QoS granted', async () => {
    const topic = unique('cli/qos');
    const sub = await subscribed(at('-t', topic, '-C', '2', '-q', '2', '-F', '%q %p'));
    const q1 = await cli('pub', at('-t', topic, '-m', 'one', '-q', '1', '-d'));
    const q2 = await cli('pub', at('-t', topic, '-m', 'two', '-q', '2', '-d'));
    expect(q1.code).toBe(0);
    expect(q1.stderr).toMatch(/-> PUBLISH \(d0, q1, r0, m\d+, ".*", 3 bytes\)\n.*<- PUBACK/);
    expect(q2.code).toBe(0);
    expect(q2.stderr).toMatch(/<- PUBREC[^\n]*\n[^\n]*-> PUBREL[^\n]*\n[^\n]*<- PUBCOMP/);
    expect((await sub.done).stdout).toBe('1 one\n2 two\n');
  });

  it('-V 311 and -V 31 speak MQTT 3.1.1 and 3.1', async () => {
    const topic = unique('cli/versions');
    const sub = await subscribed(at('-t', topic, '-C', '2', '-V', '311', '-v'));
    expect(sub.stderr()).toContain('-> CONNECT (v3.1.1,');
    const v31 = await cli('pub', at('-t', topic, '-m', 'from 3.1', '-V', '31', '-d'));
    expect(v31.code).toBe(0);
    expect(v31.stderr).toMatch(/-> CONNECT \(v3\.1, client id "mqttkit-[0-9a-f]+"/);
    expect(v31.stderr).toContain('<- CONNACK (session present 0, return code 0)');
    expect((await cli('pub', at('-t', topic, '-m', 'from mqttv311', '-V', 'mqttv311'))).code).toBe(0);
    expect((await sub.done).stdout).toBe(`${topic} from 3.1\n${topic} from mqttv311\n`);
  });

  it('-D publish properties reach the subscriber (-F and --json show them)', async () => {
    const topic = unique('cli/props');
    const formatted = await subscribed(at('-t', topic, '-C', '1', '-F', '%t|%p|%C|%R|%E|%F|%P|%D'));
    const json = await subscribed(at('-t', topic, '-C', '1', '--json'));
    const pub = await cli(
      'pub',
      at(
        ...['-t', topic, '-m', '{"t":1}'],
        ...['-D', 'publish', 'content-type', 'application/json', '-D', 'publish', 'response-topic', 'replies/7'],
        ...['-D', 'publish', 'message-expiry-interval', '60', '-D', 'publish', 'payload-format-indicator', '1'],
        ...['-D', 'publish', 'user-property', 'site', 'berlin', '-D', 'publish', 'user-property', 'site', 'paris'],
        ...['-D', 'publish', 'correlation-data', 'req-1', '-D', 'connect', 'user-property', 'app', 'cli-test'],
      ),
    );
    expect(pub.code).toBe(0);
    const f = (await formatted.done).stdout;
    // Mosquitto counts the expiry down while it holds the message: 60 or 59.
    expect(f).toMatch(
      new RegExp(`^${topic}\\|\\{"t":1\\}\\|application/json\\|replies/7\\|(60|59)\\|1\\|site:berlin site:paris\\|req-1\\n$`),
    );
    const line = JSON.parse((await json.done).stdout);
    expect(line).toMatchObject({
      topic,
      payload: '{"t":1}',
      encoding: 'utf8',
      qos: 0,
      retain: false,
      properties: {
        contentType: 'application/json',
        responseTopic: 'replies/7',
        payloadFormatIndicator: true,
        correlationData: 'cmVxLTE=',
        userProperties: [
          ['site', 'berlin'],
          ['site', 'paris'],
        ],
      },
    });
    // The subscription identifier the client adds for routing is not shown unless asked for.
    expect(line.properties.subscriptionIdentifiers).toBeUndefined();
  });

  it('-D subscribe subscription-identifier: %S prints it', async () => {
    const topic = unique('cli/subid');
    const sub = await subscribed(at('-t', topic, '-C', '1', '-F', '%S %p', '-D', 'subscribe', 'subscription-identifier', '42'));
    expect((await cli('pub', at('-t', topic, '-m', 'x'))).code).toBe(0);
    expect((await sub.done).stdout).toBe('42 x\n');
  });

  it('--json piped into another program: each line parses', async () => {
    const topic = unique('cli/pipe');
    const consumer = join(dir, 'consumer.mjs');
    await writeFile(
      consumer,
      [
        "import { createInterface } from 'node:readline';",
        'const seen = [];',
        'for await (const line of createInterface({ input: process.stdin })) {',
        '  const m = JSON.parse(line);',
        "  const payload = m.encoding === 'base64' ? Buffer.from(m.payload, 'base64').length + 'B' : m.payload;",
        "  seen.push(m.topic.split('/').pop() + ':' + payload + ':q' + m.qos);",
        '}',
        "console.log(seen.length + ' messages ' + seen.join(' '));",
      ].join('\n'),
    );
    const pipeline = start(
      `"${process.execPath}" "${cliPath}" sub -d ${at('-t', `${topic}/#`, '-q', '1', '-C', '3', '--json').join(' ')} | "${process.execPath}" "${consumer}"`,
      [],
      undefined,
      true,
    );
    await pipeline.waitForStderr(/<- SUBACK/);
    expect((await cli('pub', at('-t', `${topic}/a`, '-m', 'first', '-q', '1'))).code).toBe(0);
    await writeFile(join(dir, 'bin'), new Uint8Array([0xff, 0xfe, 0xfd]));
    expect((await cli('pub', at('-t', `${topic}/b`, '-f', join(dir, 'bin')))).code).toBe(0);
    expect((await cli('pub', at('-t', `${topic}/c`, '-m', 'third', '-q', '2'))).code).toBe(0);
    const result = await pipeline.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('3 messages a:first:q1 b:3B:q0 c:third:q1\n');
  });

  it('-W: exits 4 with a one-line message when nothing arrives in time', async () => {
    const result = await cli('sub', at('-t', unique('cli/quiet'), '-W', '0.3'));
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('mqttkit sub: timed out after 0.3 s (-W)\n');
  });

  it('SIGINT: sub disconnects cleanly (DISCONNECT sent), flushes what it printed, exits 0', async () => {
    const topic = unique('cli/sigint');
    const sub = await subscribed(at('-t', topic, '-q', '1'));
    expect((await cli('pub', at('-t', topic, '-m', 'before ctrl-c', '-q', '1'))).code).toBe(0);
    await sub.waitForStdout(/before ctrl-c\n/);
    sub.proc.kill('SIGINT');
    const result = await sub.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('before ctrl-c\n');
    expect(result.stderr).toContain('-> DISCONNECT');
    expect(errors(result.stderr)).toEqual([]);
  });

  it('SIGTERM: pub -l stops reading, finishes what it sent, exits 0', async () => {
    const topic = unique('cli/sigterm');
    const sub = await subscribed(at('-t', topic, '-C', '1', '-q', '1'));
    const pub = start('pub', at('-t', topic, '-l', '-q', '1', '-d'));
    pub.proc.stdin?.write('sent\n');
    await pub.waitForStderr(/<- PUBACK/);
    pub.proc.kill('SIGTERM');
    const result = await pub.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('-> DISCONNECT');
    expect((await sub.done).stdout).toBe('sent\n');
  });

  it('--will-*: the broker publishes the will when the publisher dies without DISCONNECT', async () => {
    const topic = unique('cli/will');
    const sub = await subscribed(at('-t', `${topic}/status`, '-C', '1', '-v', '-q', '1'));
    const pub = start(
      'pub',
      at('-t', `${topic}/data`, '-l', '-d', '--will-topic', `${topic}/status`, '--will-payload', 'gone', '--will-qos', '1'),
    );
    await pub.waitForStderr(/<- CONNACK/);
    expect(pub.stderr()).toMatch(/-> CONNECT \(.*will ".*\/status" q1 r0 \(4 bytes\)/);
    pub.proc.kill('SIGKILL');
    await pub.done;
    expect((await sub.done).stdout).toBe(`${topic}/status gone\n`);
  });

  it('-c -i: a persistent session keeps QoS 1 messages for a subscriber that was away', async () => {
    const topic = unique('cli/session');
    const id = unique('cli-session');
    const first = await cli('sub', at('-t', topic, '-q', '1', '-c', '-i', id, '-E'));
    expect(first.code).toBe(0);
    expect((await cli('pub', at('-t', topic, '-m', 'while you were away', '-q', '1'))).code).toBe(0);
    const back = await cli('sub', at('-t', topic, '-q', '1', '-c', '-i', id, '-C', '1', '-W', '5'));
    expect(back).toMatchObject({ code: 0, stdout: 'while you were away\n' });
  });

  it('-T and -R leave messages out; --retained-only prints the retained ones and exits', async () => {
    const topic = unique('cli/filters');
    expect((await cli('pub', at('-t', `${topic}/old`, '-m', 'stale', '-r'))).code).toBe(0);
    const fresh = await subscribed(at('-t', `${topic}/#`, '-R', '-T', `${topic}/noise/#`, '-C', '1', '-v'));
    const retainedOnly = await subscribed(at('-t', `${topic}/#`, '--retained-only', '-v', '-W', '5'));
    expect((await cli('pub', at('-t', `${topic}/noise/x`, '-m', 'noise'))).code).toBe(0);
    expect((await cli('pub', at('-t', `${topic}/new`, '-m', 'fresh'))).code).toBe(0);
    expect((await fresh.done).stdout).toBe(`${topic}/new fresh\n`);
    // --retained-only exits at the first live message, so it needs one: the ones just sent.
    expect(await retainedOnly.done).toMatchObject({ code: 0, stdout: `${topic}/old stale\n` });
    expect((await cli('pub', at('-t', `${topic}/old`, '-n', '-r'))).code).toBe(0);
  });

  it('bad flags and values: exit 1 with one line naming the flag', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['pub', ['--bogus'], /^mqttkit pub: --bogus: unknown flag for mqttkit pub \(see mqttkit pub --help\)\n$/],
      ['pub', ['-m', 'x'], /^mqttkit pub: -t: a topic is required .*\n$/],
      ['sub', [], /^mqttkit sub: -t: at least one topic filter is required .*\n$/],
      ['pub', ['-t', 'a', '-m', 'x', '-q', '3'], /^mqttkit pub: -q: must be 0, 1 or 2, got "3" .*\n$/],
      ['sub', ['-t', 'a', '-F', '%k'], /^mqttkit sub: -F: unknown field "%k".*\n$/],
      [
        'pub',
        ['-t', 'a', '-m', 'x', '-V', '311', '-D', 'publish', 'content-type', 'x'],
        /^mqttkit pub: -D: MQTT 5 properties need -V 5.*\n$/,
      ],
    ];
    for (const [command, args, pattern] of cases) {
      const result = await cli(command, args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(pattern);
    }
    const unknown = await cli('publish', []);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('mqttkit: unknown command "publish": use pub or sub (see mqttkit --help)\n');
  });

  it('connection refused: exit 2 with one line', async () => {
    const [closedPort] = await freePorts(1);
    const result = await cli('pub', ['-h', '127.0.0.1', '-p', String(closedPort), '-t', 'a', '-m', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`mqttkit pub: connection to 127.0.0.1:${closedPort} refused (ECONNREFUSED)\n`);
  });

  it('unknown host: exit 2', async () => {
    const result = await cli('sub', ['-h', 'no-such-host.invalid', '-t', 'a']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mqttkit sub: could not resolve host no-such-host\.invalid .*\n$/);
  });

  it('wrong password or none: exit 3 (not authorized), on MQTT 5 and 3.1.1; the right one works', async () => {
    const target = ['-h', '127.0.0.1', '-p', String(secured.port), '-t', unique('cli/auth')];
    const wrong5 = await cli('pub', [...target, '-m', 'x', '-u', ALICE.user, '-P', 'wrong']);
    expect(wrong5.code).toBe(3);
    // Mosquitto 2.0 answers a wrong password with 0x87 Not authorized; other brokers with 0x86.
    expect(wrong5.stderr).toMatch(
      /^mqttkit pub: the broker refused the connection: CONNACK reason 0x8[67] \((NOT_AUTHORIZED|BAD_USER_NAME_OR_PASSWORD)\) \(check -u and -P\)\n$/,
    );
    const wrong311 = await cli('sub', [...target, '-u', ALICE.user, '-P', 'wrong', '-V', '311']);
    expect(wrong311.code).toBe(3);
    expect(wrong311.stderr).toMatch(/^mqttkit sub: the broker refused the connection: .*\n$/);
    const anonymous = await cli('pub', [...target, '-m', 'x']);
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toMatch(/NOT_AUTHORIZED/);
    const right = await cli('pub', [...target, '-m', 'x', '-u', ALICE.user, '-P', ALICE.password]);
    expect(right).toMatchObject({ code: 0, stderr: '' });
  });

  it('-L: user, password, host, port and topic in one URL', async () => {
    const topic = unique('cli/url');
    const url = `mqtt://${ALICE.user}:${ALICE.password}@127.0.0.1:${secured.port}/${topic}`;
    const sub = start('sub', ['-L', url, '-C', '1', '-d']);
    await sub.waitForStderr(/<- SUBACK/);
    expect(sub.stderr()).toContain(`connecting to mqtt://${ALICE.user}:***@127.0.0.1:${secured.port}`);
    expect((await cli('pub', ['-L', url, '-m', 'via url'])).code).toBe(0);
    expect((await sub.done).stdout).toBe('via url\n');
  });

  it('TLS: --cafile verifies the broker; without it the certificate is refused (exit 2); --insecure skips the check', async () => {
    const tlsPort = String(open.tlsPort);
    const ca = open.certs?.ca.path ?? '';
    const topic = unique('cli/tls');
    const sub = await subscribed(['-h', '127.0.0.1', '-p', tlsPort, '--cafile', ca, '-t', topic, '-C', '2']);
    expect((await cli('pub', ['-h', '127.0.0.1', '-p', tlsPort, '--cafile', ca, '-t', topic, '-m', 'verified'])).code).toBe(0);
    const untrusted = await cli('pub', ['-h', '127.0.0.1', '-p', tlsPort, '--tls-use-os-certs', '-t', topic, '-m', 'x']);
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(/^mqttkit pub: TLS certificate of 127\.0\.0\.1:\d+ rejected/);
    expect((await cli('pub', ['-L', `mqtts://127.0.0.1:${tlsPort}`, '--insecure', '-t', topic, '-m', 'unverified'])).code).toBe(0);
    expect((await sub.done).stdout).toBe('verified\nunverified\n');
  });

  it('--help: every flag with an example, and the exit codes, on stdout with exit 0', async () => {
    for (const command of ['pub', 'sub'] as const) {
      const result = await cli(command, ['--help']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      for (const flag of FLAGS.filter((f) => f.commands.includes(command))) {
        expect(result.stdout, flag.name).toContain(flag.short === undefined ? `--${flag.name}` : `-${flag.short}, --${flag.name}`);
      }
      expect(result.stdout).toContain('Exit status:');
      expect(result.stdout).toMatch(/^ {2}3 {2}not authorized/m);
    }
    const main = await cli('--help', []);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('mqttkit <command> --help');
  });
});

/**
 * Every flag of `mqttkit pub` and `mqttkit sub`, in one table: the parser
 * reads names and arity from it, `--help` prints its text and examples, and
 * the tests check that help mentions each entry. Names follow mosquitto_pub
 * and mosquitto_sub so their users can switch without relearning.
 */

export type Command = 'pub' | 'sub';

/**
 * How a flag consumes arguments: `boolean` none, `value` one (given once),
 * `list` one per occurrence (repeatable), `property` the three or four
 * words of `-D command identifier value` (user-property takes a name and a value).
 */
export type FlagKind = 'boolean' | 'value' | 'list' | 'property';

export type FlagGroup = 'connection' | 'message' | 'output' | 'session' | 'tls' | 'will' | 'general';

export interface FlagSpec {
  /** The long name without dashes; also the key the parser stores the value under. */
  readonly name: string;
  readonly short?: string;
  /** Other long names accepted (mosquitto spellings). */
  readonly aliases?: readonly string[];
  readonly kind: FlagKind;
  /** What the value is called in help, e.g. TOPIC. */
  readonly arg?: string;
  readonly commands: readonly Command[];
  readonly group: FlagGroup;
  /** What it does, per command when the two differ. */
  readonly help: string | Readonly<Record<Command, string>>;
  /** A command line fragment showing it in use, per command when the two differ. */
  readonly example: string | Readonly<Record<Command, string>>;
}

const BOTH: readonly Command[] = ['pub', 'sub'];
const PUB: readonly Command[] = ['pub'];
const SUB: readonly Command[] = ['sub'];

export const FLAGS: readonly FlagSpec[] = [
  // connection
  {
    name: 'host',
    short: 'h',
    kind: 'value',
    arg: 'HOST',
    commands: BOTH,
    group: 'connection',
    help: 'Broker host name or IP address (default localhost).',
    example: '-h broker.example.com',
  },
  {
    name: 'port',
    short: 'p',
    kind: 'value',
    arg: 'PORT',
    commands: BOTH,
    group: 'connection',
    help: 'Broker port (default 1883, or 8883 with TLS).',
    example: '-p 1884',
  },
  {
    name: 'url',
    short: 'L',
    kind: 'value',
    arg: 'URL',
    commands: BOTH,
    group: 'connection',
    help:
      'Broker as a URL instead of -h/-p: mqtt://, mqtts://, ws:// or wss://, with optional user:password@. ' +
      'For mqtt(s):// the path is the topic (like mosquitto); for ws(s):// it is the WebSocket path.',
    example: { pub: '-L mqtt://alice:secret@broker:1883/sensors/42', sub: "-L 'mqtts://broker:8883/sensors/#'" },
  },
  {
    name: 'username',
    short: 'u',
    kind: 'value',
    arg: 'USER',
    commands: BOTH,
    group: 'connection',
    help: 'User name to authenticate with.',
    example: '-u alice',
  },
  {
    name: 'password',
    short: 'P',
    aliases: ['pw'],
    kind: 'value',
    arg: 'PASSWORD',
    commands: BOTH,
    group: 'connection',
    help: 'Password to authenticate with (goes with -u).',
    example: "-u alice -P 's3cret'",
  },
  {
    name: 'id',
    short: 'i',
    kind: 'value',
    arg: 'ID',
    commands: BOTH,
    group: 'connection',
    help: 'Client identifier (default: empty, so an MQTT 5 broker assigns one; random on MQTT 3.1).',
    example: '-i sensor-42',
  },
  {
    name: 'id-prefix',
    short: 'I',
    kind: 'value',
    arg: 'PREFIX',
    commands: BOTH,
    group: 'connection',
    help: 'Client identifier made of PREFIX and the process id.',
    example: '-I dashboard-',
  },
  {
    name: 'keepalive',
    short: 'k',
    kind: 'value',
    arg: 'SECONDS',
    commands: BOTH,
    group: 'connection',
    help: 'Keep alive interval in seconds, 0 to 65535 (default 60; 0 turns it off).',
    example: '-k 30',
  },
  {
    name: 'protocol-version',
    short: 'V',
    kind: 'value',
    arg: 'VERSION',
    commands: BOTH,
    group: 'connection',
    help: 'MQTT version: 5 (mqttv5, the default), 311 (mqttv311) or 31 (mqttv31).',
    example: '-V 311',
  },
  {
    name: 'timeout',
    short: 'W',
    kind: 'value',
    arg: 'SECONDS',
    commands: BOTH,
    group: 'connection',
    help: {
      pub: 'Give up (exit 4) when connecting and publishing take longer than this many seconds (fractions allowed).',
      sub: 'Stop after this many seconds (fractions allowed), counted from the start, and exit 4; e.g. when -C messages did not all arrive in time.',
    },
    example: { pub: '-W 5', sub: '-C 1 -W 10' },
  },
  // session
  {
    name: 'disable-clean-session',
    short: 'c',
    kind: 'boolean',
    commands: BOTH,
    group: 'session',
    help:
      'Persistent session: the broker keeps subscriptions and queued QoS 1/2 messages while you are away. ' +
      'Needs -i or -I. On MQTT 5 the session then never expires unless -x says otherwise.',
    example: { pub: '-c -i sensor-42 -q 1', sub: '-c -i logger -q 1 -t alerts/#' },
  },
  {
    name: 'session-expiry-interval',
    short: 'x',
    kind: 'value',
    arg: 'SECONDS',
    commands: BOTH,
    group: 'session',
    help: 'MQTT 5 session expiry interval: 0 to 4294967294 seconds, or -1 / 4294967295 / ∞ for never.',
    example: '-c -i logger -x 3600',
  },
  {
    name: 'property',
    short: 'D',
    kind: 'property',
    arg: 'COMMAND IDENTIFIER VALUE',
    commands: BOTH,
    group: 'session',
    // help.ts appends the commands and identifiers, from the table in properties.ts.
    help: 'MQTT 5 property (repeatable); user-property takes a name and a value.',
    example: {
      pub: '-D publish user-property site berlin -D publish message-expiry-interval 60',
      sub: '-D subscribe subscription-identifier 7 -D connect user-property app logger',
    },
  },
  // message
  {
    name: 'topic',
    short: 't',
    kind: 'list',
    arg: 'TOPIC',
    commands: BOTH,
    group: 'message',
    help: {
      pub: 'Topic to publish to (no wildcards). Required unless -L has a path.',
      sub: 'Topic filter to subscribe to; + and # are wildcards. Repeat for several. Required unless -L has a path.',
    },
    example: { pub: '-t sensors/42/temperature', sub: "-t 'sensors/+/temperature' -t 'alerts/#'" },
  },
  {
    name: 'message',
    short: 'm',
    kind: 'value',
    arg: 'TEXT',
    commands: PUB,
    group: 'message',
    help: 'The message to send (UTF-8).',
    example: '-m \'{"t":21.5}\'',
  },
  {
    name: 'file',
    short: 'f',
    kind: 'value',
    arg: 'PATH',
    commands: PUB,
    group: 'message',
    help: 'Send the contents of a file as the message (any bytes).',
    example: '-f firmware.bin',
  },
  {
    name: 'stdin-line',
    short: 'l',
    kind: 'boolean',
    commands: PUB,
    group: 'message',
    help: 'Read stdin and send each line as its own message, as lines arrive (empty lines are skipped, a trailing \\r is dropped).',
    example: 'tail -f app.log | mqttkit pub -t logs/app -l',
  },
  {
    name: 'stdin-file',
    short: 's',
    kind: 'boolean',
    commands: PUB,
    group: 'message',
    help: 'Read stdin to the end and send it all as one message.',
    example: 'cat report.json | mqttkit pub -t reports/daily -s',
  },
  {
    name: 'null-message',
    short: 'n',
    kind: 'boolean',
    commands: PUB,
    group: 'message',
    help: 'Send an empty (zero length) message; with -r it clears the retained message of the topic.',
    example: '-t devices/42/status -n -r',
  },
  {
    name: 'qos',
    short: 'q',
    kind: 'value',
    arg: 'QOS',
    commands: BOTH,
    group: 'message',
    help: {
      pub: 'Quality of service 0, 1 or 2 (default 0). 1 and 2 wait for the broker to acknowledge.',
      sub: 'Maximum quality of service 0, 1 or 2 to subscribe with (default 0).',
    },
    example: '-q 1',
  },
  {
    name: 'retain',
    short: 'r',
    kind: 'boolean',
    commands: PUB,
    group: 'message',
    help: 'Ask the broker to retain the message for future subscribers.',
    example: '-t devices/42/status -m online -r',
  },
  // output (sub)
  {
    name: 'count',
    short: 'C',
    kind: 'value',
    arg: 'N',
    commands: SUB,
    group: 'output',
    help: 'Disconnect and exit after printing N messages.',
    example: '-C 10',
  },
  {
    name: 'verbose',
    short: 'v',
    kind: 'boolean',
    commands: SUB,
    group: 'output',
    help: 'Print the topic, a space, then the payload.',
    example: "-v -t 'sensors/#'",
  },
  {
    name: 'format',
    short: 'F',
    kind: 'value',
    arg: 'FORMAT',
    commands: SUB,
    group: 'output',
    help:
      'Print each message with a format (a newline is added unless -N): %t topic, %p payload, %q QoS, %r retain (0/1), ' +
      '%l payload length, %x / %X payload in hex, %j JSON with the payload as a string (base64 when not UTF-8), ' +
      '%J JSON with the payload as JSON, %I ISO 8601 time, %U Unix time, %C content type, %D correlation data, ' +
      '%E message expiry, %F payload format indicator, %R response topic, %S subscription identifiers, %P user properties (key:value), ' +
      '%A topic alias, %% a percent sign. Width and flags as in printf: %-20t, %08l, %.10p. ' +
      'Time fields @Y @m @d @H @M @S @N (nanoseconds) @s @z @@; escapes \\n \\t \\r \\0 \\e \\a \\v \\\\.',
    example: "-F '%I %t %p' or -F '%t\\t%l bytes'",
  },
  {
    name: 'json',
    kind: 'boolean',
    commands: SUB,
    group: 'output',
    help:
      'Print one JSON object per line: {"topic","payload","encoding":"utf8"|"base64","qos","retain","properties"}. ' +
      'The payload is text, or base64 when it is not valid UTF-8; binary properties (correlationData) are base64, ' +
      'userProperties a list of [name, value] pairs.',
    example: "--json -t 'sensors/#' | jq -r .payload",
  },
  {
    name: 'no-eol',
    short: 'N',
    kind: 'boolean',
    commands: SUB,
    group: 'output',
    help: 'Do not add a newline after each message (stream payloads unmodified).',
    example: '-N -t camera/frames > frames.bin',
  },
  {
    name: 'no-retained',
    short: 'R',
    kind: 'boolean',
    commands: SUB,
    group: 'output',
    help: 'Do not print retained (stale) messages.',
    example: "-R -t 'devices/+/status'",
  },
  {
    name: 'retained-only',
    kind: 'boolean',
    commands: SUB,
    group: 'output',
    help: 'Print only retained messages, and exit at the first message that is not retained.',
    example: "--retained-only -t 'devices/#'",
  },
  {
    name: 'filter-out',
    short: 'T',
    kind: 'list',
    arg: 'FILTER',
    commands: SUB,
    group: 'output',
    help: 'Do not print messages whose topic matches this filter (repeatable).',
    example: "-t 'sensors/#' -T 'sensors/debug/#'",
  },
  {
    name: 'exit-on-subscribe',
    short: 'E',
    kind: 'boolean',
    commands: SUB,
    group: 'output',
    help: 'Exit once the broker acknowledged the subscriptions (e.g. to create a persistent session).',
    example: '-c -i logger -q 1 -t alerts/# -E',
  },
  // TLS
  {
    name: 'cafile',
    kind: 'value',
    arg: 'PATH',
    commands: BOTH,
    group: 'tls',
    help: 'Use TLS and trust the CA certificates in this PEM file (instead of the default CA store).',
    example: '--cafile ca.crt -h broker.example.com',
  },
  {
    name: 'cert',
    kind: 'value',
    arg: 'PATH',
    commands: BOTH,
    group: 'tls',
    help: 'Client certificate (PEM) for mutual TLS; goes with --key.',
    example: '--cert client.crt --key client.key',
  },
  {
    name: 'key',
    kind: 'value',
    arg: 'PATH',
    commands: BOTH,
    group: 'tls',
    help: 'Private key (PEM) of --cert.',
    example: '--cert client.crt --key client.key',
  },
  {
    name: 'insecure',
    kind: 'boolean',
    commands: BOTH,
    group: 'tls',
    help: 'Use TLS without verifying the broker certificate at all (not only its host name). For testing only.',
    example: '--insecure -p 8883',
  },
  {
    name: 'tls-alpn',
    kind: 'value',
    arg: 'PROTOCOL',
    commands: BOTH,
    group: 'tls',
    help: 'Use TLS and offer this ALPN protocol (e.g. mqtt for AWS IoT on port 443).',
    example: '--tls-alpn mqtt -p 443',
  },
  {
    name: 'tls-use-os-certs',
    kind: 'boolean',
    commands: BOTH,
    group: 'tls',
    help: "Use TLS, trusting the default CA store (Node's bundled CAs).",
    example: '--tls-use-os-certs -h broker.example.com',
  },
  // will
  {
    name: 'will-topic',
    kind: 'value',
    arg: 'TOPIC',
    commands: BOTH,
    group: 'will',
    help: 'Topic of the last will, which the broker publishes when this client disappears without disconnecting.',
    example: '--will-topic devices/42/status --will-payload offline --will-retain',
  },
  {
    name: 'will-payload',
    kind: 'value',
    arg: 'TEXT',
    commands: BOTH,
    group: 'will',
    help: 'Payload of the last will (default empty).',
    example: '--will-payload offline',
  },
  {
    name: 'will-qos',
    kind: 'value',
    arg: 'QOS',
    commands: BOTH,
    group: 'will',
    help: 'QoS of the last will: 0, 1 or 2 (default 0).',
    example: '--will-qos 1',
  },
  {
    name: 'will-retain',
    kind: 'boolean',
    commands: BOTH,
    group: 'will',
    help: 'Retain the last will.',
    example: '--will-retain',
  },
  // general
  {
    name: 'debug',
    short: 'd',
    kind: 'boolean',
    commands: BOTH,
    group: 'general',
    help: 'Print connection events and every MQTT packet sent (->) and received (<-) on stderr.',
    example: '-d',
  },
  {
    name: 'quiet',
    kind: 'boolean',
    commands: BOTH,
    group: 'general',
    help: 'Do not print error messages (the exit status still tells).',
    example: '--quiet',
  },
  {
    name: 'help',
    kind: 'boolean',
    commands: BOTH,
    group: 'general',
    help: 'Show this help and exit.',
    example: '--help',
  },
];

/** The flags of one command. */
export function flagsOf(command: Command): FlagSpec[] {
  return FLAGS.filter((f) => f.commands.includes(command));
}

/** How error messages name a flag: its short form when it has one, e.g. `-q`, else `--cafile`. */
export function flagLabel(spec: FlagSpec): string {
  return spec.short === undefined ? `--${spec.name}` : `-${spec.short}`;
}

/** The text of a per-command field. */
export function forCommand(value: string | Readonly<Record<Command, string>>, command: Command): string {
  return typeof value === 'string' ? value : value[command];
}

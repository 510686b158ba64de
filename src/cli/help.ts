/** `--help` texts, generated from the flag table so no flag can be left out. */
import { EXIT_CODES } from './exit-codes.js';
import { type Command, type FlagGroup, type FlagSpec, flagsOf, forCommand } from './flags.js';
import { propertyHelp } from './properties.js';

const WIDTH = 100;

const GROUP_TITLES: Readonly<Record<FlagGroup, string>> = {
  message: 'Message',
  output: 'Output',
  connection: 'Connection',
  session: 'Session and MQTT 5 properties',
  will: 'Last will',
  tls: 'TLS',
  general: 'General',
};

const GROUP_ORDER: readonly FlagGroup[] = ['message', 'output', 'connection', 'session', 'will', 'tls', 'general'];

function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

function flagHelp(spec: FlagSpec, command: Command): string {
  const names = [spec.short === undefined ? undefined : `-${spec.short}`, `--${spec.name}`, ...(spec.aliases ?? []).map((a) => `--${a}`)]
    .filter((n) => n !== undefined)
    .join(', ');
  const head = `  ${names}${spec.arg === undefined ? '' : ` ${spec.arg}`}`;
  const text = forCommand(spec.help, command);
  const body = wrap(spec.kind === 'property' ? `${text} ${propertyHelp(command)}` : text, '      ');
  const example = wrap(`Example: ${forCommand(spec.example, command)}`, '      ');
  return `${head}\n${body}\n${example}`;
}

function exitStatus(): string {
  return ['Exit status:', ...EXIT_CODES.map(([code, text]) => `  ${code}  ${wrap(text, '     ').trimStart()}`)].join('\n');
}

const INTRO: Readonly<Record<Command, string>> = {
  pub: [
    'mqttkit pub: publish a message to an MQTT broker (flags as in mosquitto_pub).',
    '',
    'Usage: mqttkit pub [-h HOST] [-p PORT] -t TOPIC {-m TEXT | -f FILE | -l | -s | -n} [options]',
    '       mqttkit pub -L mqtt://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC {-m TEXT | ...} [options]',
    '',
    'Examples:',
    '  mqttkit pub -t sensors/42/temperature -m 21.5',
    '  mqttkit pub -h broker -u alice -P s3cret -q 1 -r -t devices/42/status -m online',
    '  tail -f app.log | mqttkit pub -t logs/app -l -q 1',
    '  mqttkit pub -t cmd/42 -m reboot -D publish response-topic replies/42 -D publish user-property origin cli',
    '',
    'Status and errors go to stderr. The command waits for the QoS guarantee (QoS 1: PUBACK, QoS 2: PUBCOMP)',
    'before disconnecting. MQTT 5 is the default protocol; use -V 311 for older brokers.',
  ].join('\n'),
  sub: [
    'mqttkit sub: subscribe and print the messages received (flags as in mosquitto_sub).',
    '',
    'Usage: mqttkit sub [-h HOST] [-p PORT] -t FILTER [-t FILTER ...] [options]',
    '       mqttkit sub -L mqtt://[USER[:PASSWORD]@]HOST[:PORT]/FILTER [options]',
    '',
    'Examples:',
    "  mqttkit sub -t 'sensors/#' -v",
    "  mqttkit sub -t 'sensors/+/temperature' -C 1 -W 10       # wait up to 10 s for one reading",
    "  mqttkit sub -t 'sensors/#' --json | jq -r 'select(.qos > 0) | .payload'",
    "  mqttkit sub -t 'alerts/#' -F '%I %t %p' -q 1",
    '',
    'Messages go to stdout, one per line (payload only; -v adds the topic; -F and --json for more);',
    'status and errors go to stderr. Ctrl-C or SIGTERM disconnects cleanly and exits 0.',
    'MQTT 5 is the default protocol; use -V 311 for older brokers.',
  ].join('\n'),
};

/** `mqttkit pub --help` / `mqttkit sub --help`. */
export function commandHelp(command: Command): string {
  const flags = flagsOf(command);
  const sections = GROUP_ORDER.map((group) => {
    const inGroup = flags.filter((f) => f.group === group);
    if (inGroup.length === 0) return '';
    return `${GROUP_TITLES[group]}:\n${inGroup.map((f) => flagHelp(f, command)).join('\n')}`;
  }).filter((s) => s !== '');
  return `${INTRO[command]}\n\n${sections.join('\n\n')}\n\n${exitStatus()}\n`;
}

/** `mqttkit --help`. */
export function mainHelp(): string {
  return [
    'mqttkit: MQTT 3.1, 3.1.1 and 5.0 from the command line.',
    '',
    'Usage: mqttkit pub [options]        publish a message (like mosquitto_pub)',
    '       mqttkit sub [options]        subscribe and print messages (like mosquitto_sub)',
    '       mqttkit <command> --help     every flag of a command, with examples',
    '       mqttkit --version',
    '',
    'Examples:',
    "  mqttkit sub -h broker -t 'sensors/#' -v",
    '  mqttkit pub -h broker -t sensors/42/temperature -m 21.5 -q 1',
    '',
    exitStatus(),
    '',
  ].join('\n');
}

/**
 * `-D command identifier value`: MQTT 5 properties named as mosquitto names
 * them (kebab-case), checked and turned into the SDK's typed property objects.
 */
import type {
  ConnectProperties,
  DisconnectProperties,
  PublishProperties,
  SubscribeProperties,
  UserProperty,
  WillProperties,
} from '../codec/types.js';
import type { Command } from './flags.js';
import { type PropertyArg, usageError } from './parse.js';

type ValueType = 'flag' | 'u16' | 'u32' | 'varint' | 'string' | 'binary';

interface PropertyDef {
  key: string;
  type: ValueType;
  /** The smallest value MQTT allows (receive maximum and topic alias start at 1). */
  min?: number;
}

const DEFS: Readonly<Record<string, PropertyDef>> = {
  'payload-format-indicator': { key: 'payloadFormatIndicator', type: 'flag' },
  'message-expiry-interval': { key: 'messageExpiryInterval', type: 'u32' },
  'content-type': { key: 'contentType', type: 'string' },
  'response-topic': { key: 'responseTopic', type: 'string' },
  'correlation-data': { key: 'correlationData', type: 'binary' },
  'topic-alias': { key: 'topicAlias', type: 'u16', min: 1 },
  'session-expiry-interval': { key: 'sessionExpiryInterval', type: 'u32' },
  'receive-maximum': { key: 'receiveMaximum', type: 'u16', min: 1 },
  'maximum-packet-size': { key: 'maximumPacketSize', type: 'u32', min: 1 },
  'topic-alias-maximum': { key: 'topicAliasMaximum', type: 'u16' },
  'request-response-information': { key: 'requestResponseInformation', type: 'flag' },
  'request-problem-information': { key: 'requestProblemInformation', type: 'flag' },
  'will-delay-interval': { key: 'willDelayInterval', type: 'u32' },
  'subscription-identifier': { key: 'subscriptionIdentifier', type: 'varint', min: 1 },
  'reason-string': { key: 'reasonString', type: 'string' },
};

const USER = 'user-property';

/** Which identifiers each `-D` command takes. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  connect: [
    'session-expiry-interval',
    'receive-maximum',
    'maximum-packet-size',
    'topic-alias-maximum',
    'request-response-information',
    'request-problem-information',
    USER,
  ],
  publish: [
    'payload-format-indicator',
    'message-expiry-interval',
    'content-type',
    'response-topic',
    'correlation-data',
    'topic-alias',
    USER,
  ],
  will: [
    'payload-format-indicator',
    'message-expiry-interval',
    'content-type',
    'response-topic',
    'correlation-data',
    'will-delay-interval',
    USER,
  ],
  subscribe: ['subscription-identifier', USER],
  disconnect: ['session-expiry-interval', 'reason-string', USER],
};

const COMMANDS_OF: Readonly<Record<Command, readonly string[]>> = {
  pub: ['connect', 'publish', 'will', 'disconnect'],
  sub: ['connect', 'subscribe', 'will', 'disconnect'],
};

const MAX: Readonly<Record<Exclude<ValueType, 'flag' | 'string' | 'binary'>, number>> = {
  u16: 0xffff,
  u32: 0xffff_ffff,
  varint: 268_435_455,
};

export interface PropertySets {
  connect?: ConnectProperties;
  publish?: PublishProperties;
  will?: WillProperties;
  subscribe?: SubscribeProperties;
  disconnect?: DisconnectProperties;
}

/** For --help: each `-D` command of a CLI command with its identifiers. */
export function propertyHelp(command: Command): string {
  return COMMANDS_OF[command].map((packet) => `${packet}: ${ALLOWED[packet].join(', ')}.`).join(' ');
}

function convert(def: PropertyDef, raw: string, where: string): unknown {
  switch (def.type) {
    case 'string':
      return raw;
    case 'binary':
      // As mosquitto does: the argument's text is the data.
      return new TextEncoder().encode(raw);
    case 'flag':
      if (raw !== '0' && raw !== '1') throw usageError('-D', `${where} must be 0 or 1, got "${raw}"`);
      return raw === '1';
    default: {
      const min = def.min ?? 0;
      const max = MAX[def.type];
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max)
        throw usageError('-D', `${where} must be an integer from ${min} to ${max}, got "${raw}"`);
      return n;
    }
  }
}

/** Turns the `-D` words into property objects for the packets they name. */
export function parseProperties(args: readonly PropertyArg[], command: Command): PropertySets {
  const sets: Record<string, Record<string, unknown>> = {};
  for (const { command: packet, identifier, values } of args) {
    if (!COMMANDS_OF[command].includes(packet)) {
      throw usageError('-D', `unknown command "${packet}" for mqttkit ${command}: use ${COMMANDS_OF[command].join(', ')}`);
    }
    const allowed = ALLOWED[packet];
    if (!allowed.includes(identifier)) {
      throw usageError('-D', `${packet} has no property "${identifier}": use ${allowed.join(', ')}`);
    }
    const set = (sets[packet] ??= {});
    if (identifier === USER) {
      const pair: UserProperty = [values[0], values[1]];
      const list = (set.userProperties ??= []) as UserProperty[];
      list.push(pair);
      continue;
    }
    const def = DEFS[identifier];
    if (set[def.key] !== undefined) throw usageError('-D', `${packet} ${identifier} given more than once`);
    set[def.key] = convert(def, values[0], `${packet} ${identifier}`);
  }
  return sets as PropertySets;
}

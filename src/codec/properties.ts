/**
 * MQTT 5 properties (§2.2.2): one table of every property, which packets may
 * carry it, and how its value is written; sizing, writing and reading are
 * driven by that table.
 *
 * Design: `properties` objects use the specification's names in camelCase.
 * Unknown names and properties a packet may not carry are refused on encode
 * (naming the field) and are a malformed packet on decode; a property given
 * twice is a protocol error ([MQTT-2.2.2-2]) unless the table says it repeats.
 */
import { HAS_WILDCARD, scanFlags } from './utf8.js';
import {
  binarySize,
  checkU16,
  checkU32,
  invalid,
  MAX_VARINT,
  type Reader,
  stringSize,
  varintSize,
  writeBinary,
  writeString,
  writeU16,
  writeU32,
  writeVarint,
} from './wire.js';

/** The places properties appear; each is a bit in a property's `where` mask. */
export const PropertyContext = {
  connect: 1,
  connack: 2,
  publish: 4,
  will: 8,
  ack: 16,
  subscribe: 32,
  unsubscribe: 64,
  disconnect: 128,
  auth: 256,
} as const;
export type PropertyContextName = keyof typeof PropertyContext;

enum Kind {
  Bool,
  Byte,
  U16,
  U32,
  Varint,
  String,
  Binary,
  Pair,
}

interface PropertyDef {
  readonly id: number;
  readonly name: string;
  readonly kind: Kind;
  readonly where: number;
  /** Smallest allowed value for numbers (0 is a protocol error for some). */
  readonly min?: number;
  /** Reason code when the value is out of range; protocol error by default. */
  readonly badValueReason?: number;
}

const C = PropertyContext;
const EVERYWHERE = 511;

const DEFS: readonly PropertyDef[] = [
  { id: 0x01, name: 'payloadFormatIndicator', kind: Kind.Bool, where: C.publish | C.will },
  { id: 0x02, name: 'messageExpiryInterval', kind: Kind.U32, where: C.publish | C.will },
  { id: 0x03, name: 'contentType', kind: Kind.String, where: C.publish | C.will },
  { id: 0x08, name: 'responseTopic', kind: Kind.String, where: C.publish | C.will },
  { id: 0x09, name: 'correlationData', kind: Kind.Binary, where: C.publish | C.will },
  // Repeatable in PUBLISH (`subscriptionIdentifiers`), single in SUBSCRIBE (`subscriptionIdentifier`).
  { id: 0x0b, name: 'subscriptionIdentifiers', kind: Kind.Varint, where: C.publish, min: 1 },
  { id: 0x0b, name: 'subscriptionIdentifier', kind: Kind.Varint, where: C.subscribe, min: 1 },
  { id: 0x11, name: 'sessionExpiryInterval', kind: Kind.U32, where: C.connect | C.connack | C.disconnect },
  { id: 0x12, name: 'assignedClientIdentifier', kind: Kind.String, where: C.connack },
  { id: 0x13, name: 'serverKeepAlive', kind: Kind.U16, where: C.connack },
  { id: 0x15, name: 'authenticationMethod', kind: Kind.String, where: C.connect | C.connack | C.auth },
  { id: 0x16, name: 'authenticationData', kind: Kind.Binary, where: C.connect | C.connack | C.auth },
  { id: 0x17, name: 'requestProblemInformation', kind: Kind.Bool, where: C.connect },
  { id: 0x18, name: 'willDelayInterval', kind: Kind.U32, where: C.will },
  { id: 0x19, name: 'requestResponseInformation', kind: Kind.Bool, where: C.connect },
  { id: 0x1a, name: 'responseInformation', kind: Kind.String, where: C.connack },
  { id: 0x1c, name: 'serverReference', kind: Kind.String, where: C.connack | C.disconnect },
  { id: 0x1f, name: 'reasonString', kind: Kind.String, where: C.connack | C.ack | C.disconnect | C.auth },
  { id: 0x21, name: 'receiveMaximum', kind: Kind.U16, where: C.connect | C.connack, min: 1 },
  { id: 0x22, name: 'topicAliasMaximum', kind: Kind.U16, where: C.connect | C.connack },
  { id: 0x23, name: 'topicAlias', kind: Kind.U16, where: C.publish, min: 1, badValueReason: 0x94 },
  { id: 0x24, name: 'maximumQoS', kind: Kind.Byte, where: C.connack },
  { id: 0x25, name: 'retainAvailable', kind: Kind.Bool, where: C.connack },
  { id: 0x26, name: 'userProperties', kind: Kind.Pair, where: EVERYWHERE },
  { id: 0x27, name: 'maximumPacketSize', kind: Kind.U32, where: C.connect | C.connack, min: 1 },
  { id: 0x28, name: 'wildcardSubscriptionAvailable', kind: Kind.Bool, where: C.connack },
  { id: 0x29, name: 'subscriptionIdentifiersAvailable', kind: Kind.Bool, where: C.connack },
  { id: 0x2a, name: 'sharedSubscriptionAvailable', kind: Kind.Bool, where: C.connack },
];

const BY_NAME: Readonly<Record<string, PropertyDef>> = Object.fromEntries(DEFS.map((d) => [d.name, d]));
/** Index: id * 2 + (1 when the context is SUBSCRIBE), which tells the two 0x0B entries apart. */
const BY_ID: (PropertyDef | undefined)[] = [];
for (const d of DEFS) {
  BY_ID[d.id * 2] ??= d;
  if (d.where & C.subscribe || BY_ID[d.id * 2 + 1] === undefined) BY_ID[d.id * 2 + 1] = d;
}

type PropertyBag = Record<string, unknown>;

function valueSize(def: PropertyDef, value: unknown, field: string): number {
  switch (def.kind) {
    case Kind.Bool:
      if (typeof value !== 'boolean') invalid(field, 'must be a boolean');
      return 1;
    case Kind.Byte:
      if (value !== 0 && value !== 1) invalid(field, 'must be 0 or 1');
      return 1;
    case Kind.U16:
      checkU16(value, field, def.min, def.badValueReason);
      return 2;
    case Kind.U32:
      checkU32(value, field, def.min);
      return 4;
    case Kind.Varint:
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VARINT) {
        invalid(field, `must be an integer from 1 to ${MAX_VARINT}, got ${String(value)}`);
      }
      return varintSize(value);
    case Kind.String: {
      const n = stringSize(value, field);
      // [MQTT-3.3.2-14] the Response Topic is a topic name: no wildcards.
      if (def.id === 0x08 && (n === 2 || scanFlags & HAS_WILDCARD)) invalid(field, 'must be a topic name without wildcards', 0x90);
      return n;
    }
    case Kind.Binary:
      return binarySize(value, field);
    case Kind.Pair: {
      if (!Array.isArray(value) || value.length !== 2) invalid(field, 'must be a [name, value] pair of strings');
      return stringSize(value[0], `${field}[0]`) + stringSize(value[1], `${field}[1]`);
    }
  }
}

function defFor(name: string, context: PropertyContextName, field: string): PropertyDef {
  const def = BY_NAME[name];
  if (def === undefined && name === 'subscriptionIdentifier' && context === 'publish') {
    invalid(field, 'PUBLISH carries subscriptionIdentifiers (an array)');
  }
  if (def === undefined) invalid(field, 'is not an MQTT 5 property');
  if ((def.where & PropertyContext[context]) === 0) {
    // The PUBLISH and SUBSCRIBE spellings of 0x0B differ; point at the right one.
    if (def.id === 0x0b)
      invalid(
        field,
        `${context.toUpperCase()} carries ${context === 'subscribe' ? 'subscriptionIdentifier' : 'no subscription identifier'}`,
      );
    invalid(field, `is not allowed in ${context.toUpperCase()} properties`);
  }
  return def;
}

/**
 * The byte length of a properties object's contents (without its own length
 * prefix), after checking every entry. `prefix` names the object in errors.
 */
export function propertiesSize(props: PropertyBag | undefined, context: PropertyContextName, prefix: string): number {
  if (props === undefined) return 0;
  if (typeof props !== 'object' || props === null) invalid(prefix, 'must be an object');
  if (props.authenticationData !== undefined && props.authenticationMethod === undefined) {
    invalid(`${prefix}.authenticationData`, 'needs an authenticationMethod');
  }
  let size = 0;
  for (const name in props) {
    const value = props[name];
    if (value === undefined) continue;
    const field = `${prefix}.${name}`;
    const def = defFor(name, context, field);
    if (def.kind === Kind.Pair || def.name === 'subscriptionIdentifiers') {
      if (!Array.isArray(value)) invalid(field, 'must be an array');
      for (let i = 0; i < value.length; i++) size += 1 + valueSize(def, value[i], `${field}[${i}]`);
    } else {
      size += 1 + valueSize(def, value, field);
    }
  }
  return size;
}

function writeValue(buf: Uint8Array, pos: number, def: PropertyDef, value: unknown): number {
  buf[pos++] = def.id;
  switch (def.kind) {
    case Kind.Bool:
      buf[pos] = value ? 1 : 0;
      return pos + 1;
    case Kind.Byte:
      buf[pos] = value as number;
      return pos + 1;
    case Kind.U16:
      return writeU16(buf, pos, value as number);
    case Kind.U32:
      return writeU32(buf, pos, value as number);
    case Kind.Varint:
      return writeVarint(buf, pos, value as number);
    case Kind.String:
      return writeString(buf, pos, value as string);
    case Kind.Binary:
      return writeBinary(buf, pos, value as Uint8Array);
    case Kind.Pair: {
      const pair = value as readonly [string, string];
      return writeString(buf, writeString(buf, pos, pair[0]), pair[1]);
    }
  }
}

/** Writes the property length and the properties measured by {@link propertiesSize}. */
export function writeProperties(buf: Uint8Array, pos: number, props: PropertyBag | undefined, size: number): number {
  pos = writeVarint(buf, pos, size);
  if (size === 0 || props === undefined) return pos;
  for (const name in props) {
    const value = props[name];
    if (value === undefined) continue;
    const def = BY_NAME[name];
    if (def.kind === Kind.Pair || def.name === 'subscriptionIdentifiers') {
      for (const item of value as unknown[]) pos = writeValue(buf, pos, def, item);
    } else {
      pos = writeValue(buf, pos, def, value);
    }
  }
  return pos;
}

/** Property length plus contents: what a packet adds for a properties object of `size` bytes. */
export function propertiesFieldSize(size: number): number {
  return varintSize(size) + size;
}

function readValue(r: Reader, def: PropertyDef, field: string): unknown {
  switch (def.kind) {
    case Kind.Bool:
    case Kind.Byte: {
      const b = r.u8(field);
      if (b > 1) r.fail(field, `must be 0 or 1, got ${b}`, 0x82);
      return def.kind === Kind.Bool ? b === 1 : b;
    }
    case Kind.U16:
    case Kind.U32:
    case Kind.Varint: {
      const n = def.kind === Kind.U16 ? r.u16(field) : def.kind === Kind.U32 ? r.u32(field) : r.varint(field);
      if (def.min !== undefined && n < def.min) r.fail(field, `must not be ${n}`, def.badValueReason ?? 0x82);
      return n;
    }
    case Kind.String: {
      const s = r.string(field);
      if (def.id === 0x08 && (s.length === 0 || s.includes('+') || s.includes('#'))) {
        r.fail(field, 'must be a topic name without wildcards', 0x82);
      }
      return s;
    }
    case Kind.Binary:
      return r.binary(field);
    case Kind.Pair:
      return [r.string(`${field}.name`), r.string(`${field}.value`)];
  }
}

/** Reads a property length and the properties; `undefined` when there are none. */
export function readProperties(r: Reader, context: PropertyContextName, prefix = 'properties'): PropertyBag | undefined {
  const len = r.varint('properties.length');
  if (len === 0) return undefined;
  r.need(len, 'properties');
  const end = r.pos + len;
  const mask = PropertyContext[context];
  const props: PropertyBag = {};
  while (r.pos < end) {
    const id = r.buf[r.pos++];
    const def = id >= 0x80 ? undefined : BY_ID[id * 2 + (context === 'subscribe' ? 1 : 0)];
    if (def === undefined) r.fail(prefix, `unknown property identifier 0x${id.toString(16)}`);
    const field = `${prefix}.${def.name}`;
    if ((def.where & mask) === 0) r.fail(field, `is not allowed in ${context.toUpperCase()}`);
    const value = readValue(r, def, field);
    if (def.kind === Kind.Pair || def.name === 'subscriptionIdentifiers') {
      const list = props[def.name] as unknown[] | undefined;
      if (list === undefined) props[def.name] = [value];
      else list.push(value);
    } else {
      if (props[def.name] !== undefined) r.fail(field, 'appears more than once', 0x82);
      props[def.name] = value;
    }
  }
  if (r.pos !== end) r.fail(prefix, 'a property runs past the property length');
  // MQTT 5 §3.1.2.11.10, §3.15.2.2.3: Authentication Data needs an Authentication Method.
  if (props.authenticationData !== undefined && props.authenticationMethod === undefined) {
    r.fail(`${prefix}.authenticationData`, 'needs an authenticationMethod', 0x82);
  }
  return props;
}

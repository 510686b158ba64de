/**
 * The command line parser: argv words in, flag values out, by the table in
 * flags.ts. A small hand parser rather than node:util parseArgs, because
 * `-D` takes three or four words and mosquitto users write `-x -1` (a value
 * that starts with a dash). Accepts `-t x`, `--topic x` and `--topic=x`;
 * every mistake is an InvalidArgumentError naming the flag.
 */
import { InvalidArgumentError } from '../errors.js';
import { type Command, type FlagSpec, flagLabel, flagsOf } from './flags.js';

/** One `-D` occurrence: the command, the property identifier, and one value (two for user-property). */
export interface PropertyArg {
  command: string;
  identifier: string;
  values: string[];
}

export interface ParsedArgs {
  /** Boolean flags given, by long name. */
  readonly booleans: ReadonlySet<string>;
  /** Single-value flags, by long name. */
  readonly values: ReadonlyMap<string, string>;
  /** Repeatable flags, by long name, in the order given. */
  readonly lists: ReadonlyMap<string, string[]>;
  readonly properties: readonly PropertyArg[];
}

export function usageError(flag: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${flag}: ${message}`, flag);
}

function lookup(command: Command): { byShort: Map<string, FlagSpec>; byLong: Map<string, FlagSpec> } {
  const byShort = new Map<string, FlagSpec>();
  const byLong = new Map<string, FlagSpec>();
  for (const spec of flagsOf(command)) {
    if (spec.short !== undefined) byShort.set(spec.short, spec);
    byLong.set(spec.name, spec);
    for (const alias of spec.aliases ?? []) byLong.set(alias, spec);
  }
  return { byShort, byLong };
}

/** Parses the words after the command name (`mqttkit pub <argv...>`). */
export function parseArgs(argv: readonly string[], command: Command): ParsedArgs {
  const { byShort, byLong } = lookup(command);
  const booleans = new Set<string>();
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const properties: PropertyArg[] = [];

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (word.startsWith('--') && word.length > 2) {
      const eq = word.indexOf('=');
      const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      if (eq !== -1) inline = word.slice(eq + 1);
      spec = byLong.get(name);
      if (spec === undefined) throw usageError(`--${name}`, `unknown flag for mqttkit ${command}`);
    } else if (word.startsWith('-') && word.length === 2) {
      spec = byShort.get(word[1]);
      if (spec === undefined) throw usageError(word, `unknown flag for mqttkit ${command}`);
    } else if (word.startsWith('-') && word.length > 2 && byShort.has(word[1]) && byShort.get(word[1])?.kind === 'value') {
      // getopt style `-q1`.
      spec = byShort.get(word[1]);
      inline = word.slice(2);
    } else if (word.startsWith('-') && word !== '-') {
      throw usageError(word, `unknown flag for mqttkit ${command} (flags take their value as the next word: -q 1)`);
    } else {
      throw usageError(word, `unexpected argument (values belong to a flag, e.g. -t ${word} or -m ${word})`);
    }
    if (spec === undefined) continue;
    const label = flagLabel(spec);

    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw usageError(label, 'takes no value');
      booleans.add(spec.name);
      continue;
    }
    if (spec.kind === 'property') {
      if (inline !== undefined) throw usageError(label, 'takes three words: -D COMMAND IDENTIFIER VALUE');
      const command = argv[i + 1];
      const identifier = argv[i + 2];
      if (command === undefined || identifier === undefined)
        throw usageError(label, 'needs COMMAND IDENTIFIER VALUE, e.g. -D publish content-type text/plain');
      const arity = identifier === 'user-property' ? 2 : 1;
      const given = argv.slice(i + 3, i + 3 + arity);
      if (given.length < arity) {
        throw usageError(
          label,
          arity === 2 ? `${command} user-property needs a name and a value` : `${command} ${identifier} needs a value`,
        );
      }
      properties.push({ command, identifier, values: given });
      i += 2 + arity;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw usageError(label, `needs a value (${spec.arg ?? 'VALUE'})`);
      value = argv[++i];
    }
    if (spec.kind === 'list') {
      const list = lists.get(spec.name);
      if (list === undefined) lists.set(spec.name, [value]);
      else list.push(value);
    } else {
      if (values.has(spec.name)) throw usageError(label, 'given more than once');
      values.set(spec.name, value);
    }
  }
  return { booleans, values, lists, properties };
}

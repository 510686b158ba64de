#!/usr/bin/env node
/**
 * The `mqttkit` command: `mqttkit pub ...` and `mqttkit sub ...`.
 * Built to dist/cli.js (the package's `bin`); runs from source with tsx.
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type CommonConfig, pubConfig, subConfig } from './config.js';
import { RunControl } from './control.js';
import { describeFailure, ExitCode, exitCodeFor } from './exit-codes.js';
import { commandHelp, mainHelp } from './help.js';
import { Log } from './log.js';
import { parseArgs } from './parse.js';
import { runPub } from './pub.js';
import { runSub } from './sub.js';

/** The package version: package.json is one level up from dist/cli.js, two from src/cli/main.ts. */
async function version(): Promise<string> {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mqttkit' && pkg.version !== undefined) return pkg.version;
    } catch {
      // not there; try the next
    }
  }
  return 'unknown';
}

/** Runs the command line (without `node` and the script) and resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(mainHelp());
    return ExitCode.usage;
  }
  if (command === '--help' || command === 'help') {
    process.stdout.write(mainHelp());
    return ExitCode.ok;
  }
  if (command === '--version') {
    process.stdout.write(`mqttkit ${await version()}\n`);
    return ExitCode.ok;
  }
  if (command !== 'pub' && command !== 'sub') {
    new Log('mqttkit', process.stderr).error(`unknown command "${command}": use pub or sub (see mqttkit --help)`);
    return ExitCode.usage;
  }
  if (rest.includes('--help')) {
    process.stdout.write(commandHelp(command));
    return ExitCode.ok;
  }
  const name = `mqttkit ${command}`;
  let run: (log: Log, control: RunControl) => Promise<number>;
  let common: CommonConfig;
  try {
    const parsed = parseArgs(rest, command);
    if (command === 'pub') {
      const config = pubConfig(parsed);
      run = (log, control) => runPub(config, log, control);
      common = config;
    } else {
      const config = subConfig(parsed);
      run = (log, control) => runSub(config, log, control);
      common = config;
    }
  } catch (err) {
    new Log(name, process.stderr, { quiet: rest.includes('--quiet') }).error(`${describeFailure(err)} (see ${name} --help)`);
    return exitCodeFor(err);
  }
  const log = new Log(name, process.stderr, { quiet: common.quiet, debug: common.debug });
  const control = new RunControl(common.timeoutMs);
  try {
    return await run(log, control);
  } catch (err) {
    control.dispose();
    log.error(describeFailure(err));
    return exitCodeFor(err);
  }
}

function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0 || stream.destroyed) resolve();
    else stream.write('', () => resolve());
  });
}

const status = await main(process.argv.slice(2));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(status);

/**
 * Status and errors go to stderr, one line each, prefixed with the command
 * (`mqttkit sub: ...`), so stdout carries only data and pipes stay clean.
 */
import type { Writable } from 'node:stream';

export interface LogOptions {
  /** --quiet: no errors or warnings. */
  quiet?: boolean;
  /** -d: connection events and packets too. */
  debug?: boolean;
}

export class Log {
  constructor(
    private readonly prefix: string,
    private readonly stream: Writable,
    private readonly options: LogOptions = {},
  ) {}

  get debugging(): boolean {
    return this.options.debug === true;
  }

  error(message: string): void {
    if (!this.options.quiet) this.line(message);
  }

  warn(message: string): void {
    if (!this.options.quiet) this.line(message);
  }

  debug(message: string): void {
    if (this.options.debug) this.line(message);
  }

  private line(message: string): void {
    this.stream.write(`${this.prefix}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  }
}

/**
 * stdin and stdout for the CLI: whole-input and line-by-line reading as
 * bytes (payloads need not be text), and a stdout writer that can be
 * flushed before exit and that treats a closed pipe (`| head -1`) as the
 * reader saying "enough" rather than as a failure.
 */
import type { Writable } from 'node:stream';
import { concat } from './bytes.js';

const LF = 0x0a;
const CR = 0x0d;

/** Reads a stream to its end as one byte array. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk as Uint8Array);
  return parts.length === 0 ? new Uint8Array(0) : concat(parts);
}

/**
 * Yields each line of a byte stream as it completes, without its `\n` (or
 * `\r\n`); a last line without a newline is yielded at the end.
 */
export async function* readLines(stream: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  const line = (last: Uint8Array): Uint8Array => {
    const whole = pending.length === 0 ? last : concat([...pending, last]);
    pending = [];
    return whole.length > 0 && whole[whole.length - 1] === CR ? whole.subarray(0, whole.length - 1) : whole;
  };
  for await (const raw of stream) {
    const chunk = raw as Uint8Array;
    let start = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, start)) {
      yield line(chunk.subarray(start, i));
      start = i + 1;
    }
    // Copied: the stream may reuse its chunk's memory once we return.
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  if (pending.length > 0) yield line(new Uint8Array(0));
}

/** Writes data to stdout (or another stream); remembers when the reader went away. */
export class Output {
  /** The reader closed the pipe; nothing more can be written. */
  closed = false;
  private onClosed: (() => void) | undefined;

  constructor(private readonly stream: Writable) {
    // EPIPE: the reader is gone (`| head -1`); any other write error is equally final for a data stream.
    stream.on('error', () => {
      this.closed = true;
      this.onClosed?.();
    });
  }

  /** Called once when the reader closes the pipe. */
  whenClosed(callback: () => void): void {
    this.onClosed = callback;
  }

  write(bytes: Uint8Array): void {
    if (!this.closed && bytes.length > 0) this.stream.write(bytes);
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    if (this.closed || this.stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.write(new Uint8Array(0), () => resolve());
    });
  }
}

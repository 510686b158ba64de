/**
 * Small file-system steps of the file store: positional writes that finish,
 * atomic replacement of a file, and descriptors that are closed only once no
 * asynchronous fsync still runs on them (so a later open can never reuse the
 * number under a running fsync).
 */
import { closeSync, fsync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes all of `data` at `position` (write(2) may write less than asked). */
export function writeAll(fd: number, data: Uint8Array, position: number): void {
  for (let done = 0; done < data.length; ) {
    done += writeSync(fd, data, done, data.length - done, position + done);
  }
}

/** Makes a rename (or a file creation) itself durable; not every platform can open a directory. */
function syncDirectory(path: string): void {
  let fd: number;
  try {
    fd = openSync(dirname(path), 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}

export function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The temporary file a replacement is written to; a crash may leave it behind (removed on open). */
export function tempPathOf(path: string): string {
  return `${path}.compact`;
}

/**
 * Replaces `path` with `data`: written to a temporary file, fsynced, renamed
 * over `path`, directory fsynced. A crash at any point leaves either the old
 * file or the new one, whole.
 */
export function replaceFile(path: string, data: Uint8Array): void {
  const temp = tempPathOf(path);
  const fd = openSync(temp, 'w');
  try {
    writeAll(fd, data, 0);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeIfPresent(temp);
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  syncDirectory(path);
}

/** A descriptor open for reading and writing. */
export class OpenFile {
  private syncing = 0;
  private retired = false;

  constructor(readonly fd: number) {}

  static open(path: string): OpenFile {
    return new OpenFile(openSync(path, 'r+'));
  }

  syncNow(): void {
    fsyncSync(this.fd);
  }

  /** fsync off the event loop. */
  sync(): Promise<void> {
    this.syncing++;
    return new Promise((resolve, reject) => {
      fsync(this.fd, (err) => {
        this.syncing--;
        if (this.retired && this.syncing === 0) closeSync(this.fd);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** No more writes; closes now, or when the last running fsync ends. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    if (this.syncing === 0) closeSync(this.fd);
  }
}

/**
 * One process per store file: a lock file next to it (`<store>.lock`) holding
 * the owner's pid.
 *
 * Design: the lock file is written in full under a temporary name and then
 * hard-linked into place, which fails if a lock exists: so a lock file is
 * never seen half-written. A lock whose pid is not a running process (the
 * owner was killed with SIGKILL, or the machine restarted) is stale and taken
 * over. Limits: a pid reused by an unrelated process makes a stale lock look
 * held (the error names the file to delete), and two processes taking over
 * the same stale lock at the same instant are not told apart.
 */
import { closeSync, linkSync, openSync, readFileSync, writeSync } from 'node:fs';
import { StateError } from '../errors.js';
import { removeIfPresent } from './file-io.js';

/** Store paths open in this process: a second open here is refused even though the pid matches. */
const openHere = new Set<string>();

export function lockPathOf(storePath: string): string {
  return `${storePath}.lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function lockedError(storePath: string, detail: string): StateError {
  return new StateError(
    `store: ${storePath} is in use ${detail}; one process per store file (delete ${lockPathOf(storePath)} only if no process uses it)`,
    'MQTTKIT_ERR_STORE_LOCKED',
    { retryable: true },
  );
}

/** Takes the lock for `storePath` (absolute) or throws MQTTKIT_ERR_STORE_LOCKED. */
export function acquireLock(storePath: string): void {
  if (openHere.has(storePath)) throw lockedError(storePath, 'by this process (open it once and share the FileStore)');
  const lockPath = lockPathOf(storePath);
  const temp = `${lockPath}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temp, lockPath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      }
      const owner = ownerOf(lockPath);
      // Our own pid in a lock this process does not hold: left by an earlier process that had the same pid.
      if (owner !== undefined && owner !== process.pid && alive(owner)) throw lockedError(storePath, `by process ${owner}`);
      removeIfPresent(lockPath);
    }
  } catch (err) {
    if (err instanceof StateError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'EEXIST' ? lockedError(storePath, 'by another process that just took it') : err;
  } finally {
    removeIfPresent(temp);
  }
  openHere.add(storePath);
}

export function releaseLock(storePath: string): void {
  openHere.delete(storePath);
  const lockPath = lockPathOf(storePath);
  if (ownerOf(lockPath) === process.pid) removeIfPresent(lockPath);
}

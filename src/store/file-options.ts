/** The file store's options, their defaults and their checks, and what it reports (FileStore.restored, .stats). */
import { InvalidArgumentError, type MqttkitError } from '../errors.js';

/** When records reach the disk itself: on every commit, at most N ms after a write, or when the OS decides. */
export type FsyncPolicy = 'always' | 'never' | number;

/** Options of {@link FileStore.open}; all optional. */
export interface FileStoreOptions {
  /**
   * When records are fsynced (default 1000 ms). `'always'`: before every network write (one disk flush per batch:
   * durable against power loss, costs milliseconds on SSDs and more on SD cards); a number: at most that many ms
   * after a write (that window may be lost on power loss); `'never'`: when the OS decides (Linux: about 30 s).
   * Process crashes lose nothing in all three.
   */
  fsync?: FsyncPolicy;
  /** Compact when the file is this many times larger than the live state needs (default 4, at least 1.5). */
  compactRatio?: number;
  /** Never compact a file smaller than this (default 1 MiB). */
  compactMinBytes?: number;
  /**
   * Told when writing fails (disk full, I/O error). The store keeps the
   * records in memory and retries at the next commit; `flush()` rejects
   * meanwhile. Default: a process warning.
   */
  onError?: (error: MqttkitError) => void;
}

/** What `open` found in the file. */
export interface FileStoreRestored {
  /** Outgoing QoS 1/2 publishes not yet acknowledged (including PUBRELs awaiting PUBCOMP). */
  outgoing: number;
  /** Incoming QoS 2 packet ids awaiting PUBREL. */
  incoming: number;
  /** Publishes in the offline queue. */
  queued: number;
  /** Records replayed. */
  records: number;
  /** Bytes of a torn or corrupt tail that were cut off. */
  droppedBytes: number;
}

/** Counters of a {@link FileStore}, for monitoring (`store.stats`). */
export interface FileStoreStats {
  /** Size of the store file in bytes. */
  fileBytes: number;
  /** Record bytes made and not yet written. */
  pendingBytes: number;
  /** Records made since open. */
  records: number;
  /** Writes to the file since open (one per batch). */
  writes: number;
  /** fsyncs since open. */
  fsyncs: number;
  /** Times the file was rewritten with only the live state, since open. */
  compactions: number;
}

const DEFAULT_FSYNC_MS = 1000;
const DEFAULT_COMPACT_RATIO = 4;
const DEFAULT_COMPACT_MIN_BYTES = 1024 * 1024;

export interface Settings {
  fsync: FsyncPolicy;
  compactRatio: number;
  compactMinBytes: number;
  onError: ((error: MqttkitError) => void) | undefined;
}

export function settings(options: FileStoreOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options: must be an object', 'options');
  const { fsync = DEFAULT_FSYNC_MS, compactRatio = DEFAULT_COMPACT_RATIO, compactMinBytes = DEFAULT_COMPACT_MIN_BYTES, onError } = options;
  if (fsync !== 'always' && fsync !== 'never' && !(typeof fsync === 'number' && Number.isFinite(fsync) && fsync >= 0)) {
    throw new InvalidArgumentError(`options.fsync: must be 'always', 'never' or milliseconds >= 0, got ${String(fsync)}`, 'options.fsync');
  }
  if (typeof compactRatio !== 'number' || !(compactRatio >= 1.5) || !Number.isFinite(compactRatio)) {
    throw new InvalidArgumentError(`options.compactRatio: must be a number >= 1.5, got ${String(compactRatio)}`, 'options.compactRatio');
  }
  if (!Number.isInteger(compactMinBytes) || compactMinBytes < 0) {
    throw new InvalidArgumentError(
      `options.compactMinBytes: must be a non-negative integer, got ${String(compactMinBytes)}`,
      'options.compactMinBytes',
    );
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw new InvalidArgumentError('options.onError: must be a function', 'options.onError');
  }
  return { fsync, compactRatio, compactMinBytes, onError };
}

/**
 * Option checks every transport shares, Node or browser (no platform imports).
 */

import { InvalidArgumentError } from '../errors.js';
import type { TransportOptions } from './types.js';

/** Default for {@link TransportOptions.connectTimeout}. */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;

/** setTimeout's largest delay; longer timeouts would fire at once. */
const MAX_TIMER = 2 ** 31 - 1;

/** The connect timeout in ms; 0 or Infinity turns it off. */
export function connectTimeoutOf(options: TransportOptions): number {
  const ms = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new InvalidArgumentError(`connectTimeout must be a number of milliseconds >= 0, got ${String(ms)}`, 'connectTimeout');
  }
  return ms === Number.POSITIVE_INFINITY ? 0 : Math.min(ms, MAX_TIMER);
}

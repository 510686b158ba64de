/**
 * Reconnect delays: exponential backoff with full jitter, capped. A pure
 * function of the attempt and a random number, so tests are deterministic.
 */
export interface BackoffPolicy {
  initialDelay: number;
  maxDelay: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelay: 1_000, maxDelay: 30_000, factor: 2 };

/** The policy from the user's reconnect options: what they leave out (or set to undefined) keeps its default. */
export function backoffPolicy(options: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const policy = { ...DEFAULT_BACKOFF };
  for (const key of ['initialDelay', 'maxDelay', 'factor'] as const) {
    const value = options[key];
    if (value !== undefined) policy[key] = value;
  }
  return policy;
}

/**
 * Delay in ms before reconnect attempt `attempt` (0 = the first retry):
 * uniformly random in [0, min(maxDelay, initialDelay * factor^attempt)).
 * Full jitter spreads a fleet of clients that lost the same broker.
 * Exported for applications that retry their own work the way the client reconnects.
 *
 * @example
 * ```ts
 * for (let attempt = 0; ; attempt++) {
 *   try {
 *     await client.publish('orders/new', payload, { qos: 1 });
 *     break;
 *   } catch {
 *     await sleep(backoff(attempt, Math.random())); // sleep(ms): the application's own timer
 *   }
 * }
 * ```
 */
export function backoff(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** Math.min(attempt, 64));
  return Math.floor(random * ceiling);
}

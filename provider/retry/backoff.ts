/**
 * Exponential backoff with full jitter, capped: the delay before retry `n` (0-based) is
 * uniform in [0, min(cap, base * 2^n)). Full jitter spreads clients that failed together
 * (a throttled burst) instead of having them retry in lockstep.
 */

/** Backoff settings. */
export interface BackoffOptions {
  /** Upper bound of the first delay, in ms. */
  baseMs: number;
  /** No delay exceeds this, in ms. */
  capMs: number;
}

/** Defaults sized for control-plane calls: 0-200 ms, then doubling, never above 5 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, capMs: 5_000 };

/**
 * The delay before retry number `retry` (0 for the first retry).
 * `random` returns a number in [0, 1); injectable for tests.
 * A server-requested wait (`retryAfterMs`) is honoured up to the cap.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, retry));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs !== undefined && retryAfterMs > jittered) return Math.min(options.capMs, retryAfterMs);
  return jittered;
}

/**
 * Waiters: poll something until it reaches a final state or a deadline passes.
 *
 * Not the retry loop (`provider/retry/`): a retry repeats a call that failed; a waiter repeats a
 * call that worked but whose answer says "not yet". Each poll keeps its own retries. Delays
 * grow geometrically from `initialDelayMs` up to `maxDelayMs` (no jitter needed: a waiter
 * polls one object, it does not compete with a burst of clients), and the last sleep is cut
 * short so the final poll lands on the deadline instead of after it.
 */

/** Waiter settings. */
export interface WaitOptions {
  /** Give up after this long, in ms (measured from the first poll). */
  timeoutMs: number;
  /** The delay after the first poll, in ms. Default 500. */
  initialDelayMs?: number;
  /** No delay exceeds this, in ms. Default 5000. */
  maxDelayMs?: number;
  /** Growth factor between delays. Default 2. */
  factor?: number;
  /** The clock, in ms; injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** Sleeps; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Told after each poll that was not final (for logs and tests). */
  onPoll?: (info: { poll: number; elapsedMs: number; nextDelayMs: number }) => void;
}

/** How a wait ended. */
export interface WaitOutcome<T> {
  /** The last value polled. */
  value: T;
  /** True when `value` is final; false when the deadline passed first. */
  done: boolean;
  /** Polls made. */
  polls: number;
  /** Time from the first poll to the last answer, in ms. */
  elapsedMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The delay after poll number `poll` (1-based), before the deadline is applied. */
export function pollDelay(
  poll: number,
  options: Pick<WaitOptions, "initialDelayMs" | "maxDelayMs" | "factor"> = {},
): number {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 5_000;
  const factor = options.factor ?? 2;
  return Math.min(max, Math.round(initial * factor ** Math.max(0, poll - 1)));
}

/**
 * Calls `poll` until `isDone` accepts its value or `timeoutMs` passes. Never throws for a
 * timeout: the caller decides what an unfinished value means (errors from `poll` propagate).
 */
export async function waitFor<T>(
  poll: () => Promise<T>,
  isDone: (value: T) => boolean,
  options: WaitOptions,
): Promise<WaitOutcome<T>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  const deadline = started + Math.max(0, options.timeoutMs);
  for (let polls = 1; ; polls++) {
    const value = await poll();
    const elapsedMs = now() - started;
    if (isDone(value)) return { value, done: true, polls, elapsedMs };
    const remaining = deadline - now();
    if (remaining <= 0) return { value, done: false, polls, elapsedMs };
    const nextDelayMs = Math.min(pollDelay(polls, options), remaining);
    options.onPoll?.({ poll: polls, elapsedMs, nextDelayMs });
    await sleep(nextDelayMs);
  }
}

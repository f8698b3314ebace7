/**
 * When to try reconnecting a data channel: exponential backoff with full jitter (a random delay
 * up to the exponential bound, so that many clients cut off together do not return together),
 * within a time budget that starts when the connection was lost.
 */

/** How long and how often a lost data channel is tried again; every field has a default. */
export interface ReconnectOptions {
  /** Milliseconds from losing the connection after which no new attempt starts. Default 120 000. */
  budgetMs?: number;
  /** The bound of the first delay; each attempt doubles it. Default 100 (the plugin's first delay). */
  baseDelayMs?: number;
  /** The largest bound of a delay. Default 5 000 (the plugin's). */
  maxDelayMs?: number;
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  // ResumeSession's token lives longer; two minutes rides out a network blip or a laptop's Wi-Fi
  // change, while a session gone for good is reported soon enough for a tunnel to replace it.
  budgetMs: 120_000,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
};

export class Backoff {
  private readonly options: Required<ReconnectOptions>;
  private lostAt?: number;
  private attempts = 0;

  constructor(
    options: ReconnectOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_RECONNECT, ...options };
  }

  get budgetMs(): number {
    return this.options.budgetMs;
  }

  /** Attempts made since the connection was lost. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, or undefined once the budget is spent. */
  next(now: number): number | undefined {
    this.lostAt ??= now;
    const left = this.options.budgetMs - (now - this.lostAt);
    if (left <= 0) return undefined;
    const bound = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** this.attempts);
    this.attempts++;
    return Math.min(left, Math.floor(this.random() * bound));
  }

  /** The connection carries again: the next loss starts a new budget. */
  reset(): void {
    this.lostAt = undefined;
    this.attempts = 0;
  }
}

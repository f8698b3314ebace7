/**
 * A token bucket in bytes, for the per-session bandwidth limit (ECS: 200 KB/s). Real time, not the
 * injectable clock: throttling is about how fast bytes really flow.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  /** `rate` bytes per second; `burst` bytes may pass at once (default: one second's worth). */
  constructor(
    private readonly rate: number,
    private readonly burst: number = rate,
  ) {
    this.tokens = burst;
  }

  /** Spends `n` bytes; returns how many ms the sender should wait before sending more (0: none). */
  take(n: number): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

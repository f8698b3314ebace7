import { backoffDelay, DEFAULT_BACKOFF } from "./backoff";

describe("backoffDelay (full jitter, capped)", () => {
  const opts = { baseMs: 100, capMs: 1000 };

  test("the ceiling doubles per retry up to the cap", () => {
    const max = () => 0.999999;
    expect(backoffDelay(0, opts, max)).toBe(99);
    expect(backoffDelay(1, opts, max)).toBe(199);
    expect(backoffDelay(2, opts, max)).toBe(399);
    expect(backoffDelay(3, opts, max)).toBe(799);
    expect(backoffDelay(4, opts, max)).toBe(999);
    expect(backoffDelay(30, opts, max)).toBe(999);
  });

  test("full jitter can be zero", () => {
    expect(backoffDelay(5, opts, () => 0)).toBe(0);
  });

  test("random delays stay within [0, ceiling)", () => {
    for (let retry = 0; retry < 10; retry++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(retry, DEFAULT_BACKOFF);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** retry));
      }
    }
  });

  test("a server-requested wait is honoured up to the cap", () => {
    expect(backoffDelay(0, opts, () => 0, 500)).toBe(500);
    expect(backoffDelay(0, opts, () => 0, 5000)).toBe(1000);
    expect(backoffDelay(3, opts, () => 0.9, 10)).toBe(720);
  });
});

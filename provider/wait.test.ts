import { pollDelay, waitFor } from "./wait";

/** A fake clock that only moves when the waiter sleeps. */
function fakeTime() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

describe("pollDelay", () => {
  test("grows geometrically from the initial delay and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => pollDelay(n))).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect([1, 2, 3].map((n) => pollDelay(n, { initialDelayMs: 100, factor: 3, maxDelayMs: 500 }))).toEqual([
      100, 300, 500,
    ]);
  });
});

describe("waitFor", () => {
  test("returns as soon as the value is final, without sleeping after it", async () => {
    const time = fakeTime();
    const states = ["RUNNING", "RUNNING", "SUCCESS"];
    const outcome = await waitFor(
      async () => states.shift()!,
      (s) => s !== "RUNNING",
      {
        timeoutMs: 60_000,
        ...time,
      },
    );
    expect(outcome).toEqual({ value: "SUCCESS", done: true, polls: 3, elapsedMs: 1500 });
    expect(time.sleeps).toEqual([500, 1000]);
  });

  test("a final first answer needs no sleep at all", async () => {
    const time = fakeTime();
    const outcome = await waitFor(
      async () => 1,
      () => true,
      { timeoutMs: 0, ...time },
    );
    expect(outcome.done).toBe(true);
    expect(time.sleeps).toEqual([]);
  });

  test("stops at the deadline with the last value and done=false; the last sleep is cut short", async () => {
    const time = fakeTime();
    let polls = 0;
    const outcome = await waitFor(
      async () => {
        polls++;
        return "RUNNING";
      },
      (s) => s !== "RUNNING",
      { timeoutMs: 4_000, ...time },
    );
    expect(outcome).toMatchObject({ value: "RUNNING", done: false });
    // 500 + 1000 + 2000 = 3500, then only 500 ms are left.
    expect(time.sleeps).toEqual([500, 1000, 2000, 500]);
    expect(polls).toBe(5);
    expect(outcome.elapsedMs).toBe(4_000);
  });

  test("errors from a poll propagate (retrying them is the poll's business)", async () => {
    const time = fakeTime();
    await expect(
      waitFor(
        async () => {
          throw new Error("boom");
        },
        () => true,
        { timeoutMs: 1_000, ...time },
      ),
    ).rejects.toThrow("boom");
  });

  test("onPoll sees every unfinished poll and the delay that follows", async () => {
    const time = fakeTime();
    const seen: number[] = [];
    const values = [0, 0, 1];
    await waitFor(
      async () => values.shift()!,
      (v) => v === 1,
      {
        timeoutMs: 10_000,
        ...time,
        onPoll: ({ nextDelayMs }) => seen.push(nextDelayMs),
      },
    );
    expect(seen).toEqual([500, 1000]);
  });
});

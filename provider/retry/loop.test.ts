import { DEFAULT_MAX_ATTEMPTS, withRetry, type RetryInfo } from "./loop";

function failing(errors: unknown[], result = "ok") {
  let calls = 0;
  const fn = jest.fn(async () => {
    const err = errors[calls++];
    if (err !== undefined) throw err;
    return result;
  });
  return fn;
}

const noSleep = { sleep: async () => undefined, random: () => 0.5 };

describe("withRetry", () => {
  test("returns the first success", async () => {
    const fn = failing([]);
    await expect(withRetry(fn, noSleep)).resolves.toBe("ok");
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test("retries throttling, 5xx and network errors, sleeping with backoff", async () => {
    const slept: number[] = [];
    const seen: RetryInfo[] = [];
    const fn = failing([{ code: "Throttling" }, { httpStatus: 503 }, { code: "ECONNRESET" }]);
    const result = await withRetry(fn, {
      random: () => 0.5,
      backoff: { baseMs: 100, capMs: 10_000 },
      sleep: async (ms) => void slept.push(ms),
      onRetry: (info) => seen.push(info),
    });
    expect(result).toBe("ok");
    expect(fn).toHaveBeenCalledTimes(4);
    expect(slept).toEqual([50, 100, 200]);
    expect(seen.map((s) => [s.attempt, s.failure])).toEqual([
      [1, "throttling"],
      [2, "server"],
      [3, "transient"],
    ]);
  });

  test("does not retry client errors and stamps the error", async () => {
    const err = { code: "InvalidParameter", httpStatus: 400 };
    const fn = failing([err]);
    await expect(withRetry(fn, noSleep)).rejects.toBe(err);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(err).toMatchObject({ attempts: 1, totalDelayMs: 0, failureClass: "client" });
  });

  test("gives up after maxAttempts and stamps attempts and total delay", async () => {
    const last = new Error("still throttled") as Error & { code: string };
    last.code = "Throttling";
    const fn = failing([{ code: "Throttling" }, { code: "Throttling" }, last]);
    await expect(
      withRetry(fn, {
        maxAttempts: 3,
        random: () => 0.5,
        backoff: { baseMs: 100, capMs: 1000 },
        sleep: async () => undefined,
      }),
    ).rejects.toBe(last);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(last).toMatchObject({ attempts: 3, totalDelayMs: 150, failureClass: "throttling" });
  });

  test("honours retryableCodes for the operation", async () => {
    const fn = failing([{ code: "IdempotentProcessing", httpStatus: 403 }]);
    await expect(withRetry(fn, { ...noSleep, retryableCodes: ["IdempotentProcessing"] })).resolves.toBe("ok");
    expect(fn).toHaveBeenCalledTimes(2);
  });

  test("uses the server's retry-after when longer than the jitter", async () => {
    const slept: number[] = [];
    const fn = failing([{ code: "Throttling", retryAfterSeconds: 2 }]);
    await withRetry(fn, { random: () => 0, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([2000]);
  });

  test("tolerates non-object errors", async () => {
    const fn = failing(["plain string"]);
    await expect(withRetry(fn, noSleep)).rejects.toBe("plain string");
  });
});

describe("the default budget", () => {
  test("retries a persistently throttled call DEFAULT_MAX_ATTEMPTS times, then gives up", async () => {
    let calls = 0;
    const throttled = Object.assign(new Error("Throttling.User"), {
      code: "Throttling.User",
      statusCode: 400,
    });
    const err = await withRetry(
      async () => {
        calls++;
        throw throttled;
      },
      { sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect(calls).toBe(DEFAULT_MAX_ATTEMPTS);
    expect(DEFAULT_MAX_ATTEMPTS).toBe(10);
    expect(err).toMatchObject({ attempts: 10 });
  });
});

test("the final API error's message says how many attempts were made", async () => {
  const { AlicloudApiError } = await import("../errors/alicloud");
  const fail = () =>
    Promise.reject(
      new AlicloudApiError({
        operation: "Op",
        code: "ServiceUnavailable",
        cloudMessage: "",
        httpStatus: 503,
        hint: "Later.",
      }),
    );
  const err = await withRetry(fail, { maxAttempts: 3, sleep: async () => undefined }).catch((e: Error) => e);
  expect(err.message).toBe("Op failed with ServiceUnavailable (HTTP 503, 3 attempts). Later.");
});

test("a refused connection is not retried", async () => {
  let calls = 0;
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  const err = await withRetry(
    async () => {
      calls++;
      throw refused;
    },
    { sleep: async () => undefined },
  ).catch((e: unknown) => e);
  expect(calls).toBe(1);
  expect(err).toMatchObject({ attempts: 1, failureClass: "unreachable" });
});

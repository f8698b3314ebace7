import type { AlicloudRpcClient, RpcResult } from "../clients/alicloud";
import { batchKey, DescribeBatcher } from "./describeBatcher";

const SERVER_DATE = new Date("2026-01-01T00:00:00Z");

/**
 * A DescribeTerminalSessions that behaves like the API: RegionId required, optional SessionId,
 * newest first, MaxResults pages with NextToken. Every call is recorded.
 */
function fakeEcs(
  sessions: Array<{ id: string; region: string }>,
  fail?: (params: Record<string, unknown>) => unknown,
) {
  const calls: Record<string, unknown>[] = [];
  const client = (region: string, endpoint = "http://127.0.0.1:1"): AlicloudRpcClient => ({
    product: "ecs",
    region,
    endpoint,
    async call(action, params): Promise<RpcResult> {
      expect(action).toBe("DescribeTerminalSessions");
      calls.push({ ...params, endpoint });
      const err = fail?.(params);
      if (err) throw err;
      const matching = [...sessions]
        .reverse()
        .filter(
          (s) =>
            s.region === params.RegionId && (params.SessionId === undefined || s.id === params.SessionId),
        );
      const start = params.NextToken === undefined ? 0 : Number(params.NextToken);
      const size = Number(params.MaxResults ?? 10);
      const page = matching.slice(start, start + size);
      const more = start + size < matching.length;
      return {
        body: {
          Sessions: { Session: page.map((s) => ({ SessionId: s.id, CreationTime: "2026-01-01T00:00:00Z" })) },
          ...(more ? { NextToken: String(start + size) } : {}),
        },
        serverDate: SERVER_DATE,
      };
    },
  });
  return { calls, client };
}

function range(n: number, prefix: string, region = "cn-hangzhou") {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, region }));
}

describe("DescribeBatcher", () => {
  test("a lone read makes the SessionId-filtered call it always made", async () => {
    const ecs = fakeEcs(range(5, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 1 });
    const found = await batcher.find(ecs.client("cn-hangzhou"), "cn-hangzhou", "s-3");
    expect(found.record?.sessionId).toBe("s-3");
    expect(found.serverDate).toEqual(SERVER_DATE);
    expect(ecs.calls).toEqual([expect.objectContaining({ RegionId: "cn-hangzhou", SessionId: "s-3" })]);
  });

  test("concurrent reads in one region share one listing page", async () => {
    const ecs = fakeEcs(range(60, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 5 });
    const ids = ["s-0", "s-17", "s-42", "s-59", "s-8", "s-9", "s-10", "s-11"];
    const found = await Promise.all(
      ids.map((id) => batcher.find(ecs.client("cn-hangzhou"), "cn-hangzhou", id)),
    );
    expect(found.map((f) => f.record?.sessionId)).toEqual(ids);
    expect(ecs.calls).toHaveLength(1);
    expect(ecs.calls[0]).toMatchObject({ RegionId: "cn-hangzhou", MaxResults: 100 });
    expect(ecs.calls[0].SessionId).toBeUndefined();
  });

  test("later reads are answered from the listing while it is fresh, then call again", async () => {
    let now = 1_000;
    const ecs = fakeEcs(range(20, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 1, snapshotTtlMs: 2_000, now: () => now });
    const client = ecs.client("cn-hangzhou");
    await Promise.all(["s-1", "s-2"].map((id) => batcher.find(client, "cn-hangzhou", id)));
    expect(ecs.calls).toHaveLength(1);

    now += 1_500;
    const later = await batcher.find(client, "cn-hangzhou", "s-15");
    expect(later.record?.sessionId).toBe("s-15");
    // The cloud's clock moves on with ours, so URL expiry is still judged correctly.
    expect(later.serverDate).toEqual(new Date(SERVER_DATE.getTime() + 1_500));
    expect(ecs.calls).toHaveLength(1);
    expect(batcher.stats.servedFromSnapshot).toBe(1);

    now += 1_000;
    await batcher.find(client, "cn-hangzhou", "s-16");
    expect(ecs.calls).toHaveLength(2);
    expect(ecs.calls[1]).toMatchObject({ SessionId: "s-16" });
  });

  test("regions, endpoints and credentials never share a call", async () => {
    const ecs = fakeEcs([...range(3, "h-", "cn-hangzhou"), ...range(3, "b-", "cn-beijing")]);
    const batcher = new DescribeBatcher({ windowMs: 5 });
    const results = await Promise.all([
      batcher.find(ecs.client("cn-hangzhou"), "cn-hangzhou", "h-0", { key: "a" }),
      batcher.find(ecs.client("cn-hangzhou"), "cn-hangzhou", "h-1", { key: "a" }),
      batcher.find(ecs.client("cn-beijing"), "cn-beijing", "b-0", { key: "a" }),
      batcher.find(ecs.client("cn-hangzhou"), "cn-hangzhou", "h-2", { key: "b" }),
      batcher.find(ecs.client("cn-hangzhou", "http://127.0.0.1:2"), "cn-hangzhou", "h-0", { key: "a" }),
    ]);
    expect(results.map((r) => r.record?.sessionId)).toEqual(["h-0", "h-1", "b-0", "h-2", "h-0"]);
    // One listing for the two reads that share everything, one single lookup for each other read.
    expect(ecs.calls).toHaveLength(4);
    expect(ecs.calls.filter((c) => c.SessionId === undefined)).toHaveLength(1);
  });

  test("batch keys hide the secret", () => {
    const client = fakeEcs([]).client("cn-hangzhou");
    const key = batchKey(client, "cn-hangzhou", { accessKeySecret: "very-secret-value" });
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(key).not.toBe(batchKey(client, "cn-hangzhou", { accessKeySecret: "another" }));
  });

  test("pages until every wanted session is found", async () => {
    const ecs = fakeEcs(range(250, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 5 });
    const client = ecs.client("cn-hangzhou");
    // Newest first: s-249..s-150 on page 1, s-149..s-50 on page 2.
    const found = await Promise.all(
      ["s-240", "s-120", "s-60", "s-200"].map((id) => batcher.find(client, "cn-hangzhou", id)),
    );
    expect(found.every((f) => f.record !== undefined)).toBe(true);
    expect(ecs.calls.map((c) => c.NextToken)).toEqual([undefined, "100"]);
  });

  test("a long listing stops after ceil(k/2) pages; the rest get single lookups", async () => {
    const ecs = fakeEcs(range(1000, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 5 });
    const client = ecs.client("cn-hangzhou");
    const found = await Promise.all(
      ["s-999", "s-3", "s-1"].map((id) => batcher.find(client, "cn-hangzhou", id)),
    );
    expect(found.map((f) => f.record?.sessionId)).toEqual(["s-999", "s-3", "s-1"]);
    const listings = ecs.calls.filter((c) => c.SessionId === undefined);
    const singles = ecs.calls.filter((c) => c.SessionId !== undefined).map((c) => c.SessionId);
    expect(listings).toHaveLength(2);
    expect(singles.sort()).toEqual(["s-1", "s-3"]);
  });

  test("a complete listing proves a session gone without another call", async () => {
    const ecs = fakeEcs(range(5, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 5 });
    const client = ecs.client("cn-hangzhou");
    const [a, gone] = await Promise.all([
      batcher.find(client, "cn-hangzhou", "s-1"),
      batcher.find(client, "cn-hangzhou", "s-gone"),
    ]);
    expect(a.record?.sessionId).toBe("s-1");
    expect(gone).toEqual({ serverDate: SERVER_DATE });
    expect(ecs.calls).toHaveLength(1);
  });

  test("absence is never concluded from an older listing", async () => {
    let now = 0;
    const sessions = range(3, "s-");
    const ecs = fakeEcs(sessions);
    const batcher = new DescribeBatcher({ windowMs: 1, now: () => now });
    const client = ecs.client("cn-hangzhou");
    await Promise.all(["s-0", "s-1"].map((id) => batcher.find(client, "cn-hangzhou", id)));
    sessions.push({ id: "s-new", region: "cn-hangzhou" });
    now += 10;
    expect((await batcher.find(client, "cn-hangzhou", "s-new")).record?.sessionId).toBe("s-new");
    expect(ecs.calls).toHaveLength(2);
  });

  test("a failing listing falls back to single lookups, each with its own outcome", async () => {
    const throttled = Object.assign(new Error("Throttling"), { code: "Throttling.User", httpStatus: 400 });
    const ecs = fakeEcs(range(5, "s-"), (p) =>
      p.SessionId === undefined || p.SessionId === "s-4" ? throttled : undefined,
    );
    const batcher = new DescribeBatcher({ windowMs: 5 });
    const client = ecs.client("cn-hangzhou");
    const results = await Promise.allSettled(
      ["s-1", "s-2", "s-4"].map((id) => batcher.find(client, "cn-hangzhou", id)),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect((results[2] as PromiseRejectedResult).reason).toBe(throttled);
    expect(batcher.stats.fallbacks).toBe(1);
  });

  test("forget drops a session this process changed", async () => {
    const ecs = fakeEcs(range(5, "s-"));
    const batcher = new DescribeBatcher({ windowMs: 1 });
    const client = ecs.client("cn-hangzhou");
    await Promise.all(["s-0", "s-1"].map((id) => batcher.find(client, "cn-hangzhou", id)));
    await batcher.find(client, "cn-hangzhou", "s-2");
    expect(ecs.calls).toHaveLength(1);
    batcher.forget("cn-hangzhou", "s-2");
    await batcher.find(client, "cn-hangzhou", "s-2");
    expect(ecs.calls).toHaveLength(2);
  });

  test("a listing sent before forget does not bring the session back", async () => {
    const ecs = fakeEcs(range(5, "s-"));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const client = ecs.client("cn-hangzhou");
    const slow: AlicloudRpcClient = {
      ...client,
      call: async (a, p, o) => (await gate, client.call(a, p, o)),
    };
    const batcher = new DescribeBatcher({ windowMs: 1 });
    const listing = Promise.all(["s-0", "s-1"].map((id) => batcher.find(slow, "cn-hangzhou", id)));
    await new Promise((r) => setTimeout(r, 20));
    batcher.forget("cn-hangzhou", "s-3");
    release();
    await listing;
    await batcher.find(client, "cn-hangzhou", "s-3");
    expect(ecs.calls.map((c) => c.SessionId)).toEqual([undefined, "s-3"]);
  });

  test("a full batch is sent without waiting for the window", async () => {
    jest.useFakeTimers();
    try {
      const ecs = fakeEcs(range(10, "s-"));
      const batcher = new DescribeBatcher({ windowMs: 60_000, maxBatch: 4 });
      const client = ecs.client("cn-hangzhou");
      const three = ["s-0", "s-1", "s-2"].map((id) => batcher.find(client, "cn-hangzhou", id));
      await jest.advanceTimersByTimeAsync(1_000);
      expect(ecs.calls).toHaveLength(0); // still inside the window
      const fourth = batcher.find(client, "cn-hangzhou", "s-3");
      await jest.advanceTimersByTimeAsync(0);
      expect((await Promise.all([...three, fourth])).map((f) => f.record?.sessionId)).toEqual([
        "s-0",
        "s-1",
        "s-2",
        "s-3",
      ]);
      expect(ecs.calls).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });

  test("reads arriving while a listing is under way wait for it instead of listing again", async () => {
    const ecs = fakeEcs(range(30, "s-"));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const client = ecs.client("cn-hangzhou");
    const slow: AlicloudRpcClient = {
      ...client,
      call: async (a, p, o) => (await gate, client.call(a, p, o)),
    };
    const batcher = new DescribeBatcher({ windowMs: 1 });
    const first = Promise.all(["s-0", "s-1"].map((id) => batcher.find(slow, "cn-hangzhou", id)));
    await new Promise((r) => setTimeout(r, 20));
    const second = Promise.all(["s-20", "s-21"].map((id) => batcher.find(slow, "cn-hangzhou", id)));
    await new Promise((r) => setTimeout(r, 20));
    release();
    const all = [...(await first), ...(await second)];
    expect(all.map((f) => f.record?.sessionId)).toEqual(["s-0", "s-1", "s-20", "s-21"]);
    expect(ecs.calls).toHaveLength(1);
  });
});

import { z } from "zod";
import { URN_PROPERTY } from "../../inputs";
import {
  createRevocationProvider,
  describePlan,
  executeRevocation,
  mapLimit,
  planRevocation,
  summarizeRevocation,
  type RevocationCloud,
} from "./lifecycle";
import { UNKNOWN } from "../../validation";
import { type RevocationSession, distinctStrings, revocationResultSchema } from "./schema";

const s = (sessionId: string, target = "t1", owner = "alice"): RevocationSession => ({
  sessionId,
  target,
  owner,
});

describe("the shared pieces", () => {
  test("planRevocation splits by the spare rule and counts a session listed twice once", () => {
    const plan = planRevocation([s("a"), s("b", "t1", "bob"), s("a"), s("c", "t2")], (x) =>
      x.owner === "bob" ? "bob is spared" : undefined,
    );
    expect(plan.toEnd.map((x) => x.sessionId)).toEqual(["a", "c"]);
    expect(plan.spared).toEqual([{ ...s("b", "t1", "bob"), spareReason: "bob is spared" }]);
  });

  test("mapLimit keeps at most `limit` calls in flight and the input order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });

  test("executeRevocation sorts outcomes into ended, already gone and failed", async () => {
    const boom = new Error("boom");
    const done = await executeRevocation(
      { toEnd: [s("a"), s("b"), s("c")], spared: [] },
      async (x) => {
        if (x.sessionId === "b") return "gone";
        if (x.sessionId === "c") throw boom;
        return "ended";
      },
      3,
    );
    expect(done.ended.map((x) => x.sessionId)).toEqual(["a"]);
    expect(done.alreadyEndedCount).toBe(1);
    expect(done.failures).toEqual([{ session: s("c"), error: boom }]);
  });

  test("summarizeRevocation counts per target (zeros included) and lists distinct owners", () => {
    const result = summarizeRevocation(
      ["t1", "t2", "t3"],
      [s("a", "t1", "bob"), s("b", "t1", "alice"), s("c", "t2", "bob")],
      [{ ...s("d"), spareReason: "why" }],
      2,
      new Date("2026-01-02T03:04:05Z"),
    );
    expect(result).toEqual({
      endedSessions: [s("a", "t1", "bob"), s("b", "t1", "alice"), s("c", "t2", "bob")],
      endedSessionIds: ["a", "b", "c"],
      endedOwners: ["alice", "bob"],
      endedCount: 3,
      endedCountByTarget: { t1: 2, t2: 1, t3: 0 },
      sparedSessions: [{ ...s("d"), spareReason: "why" }],
      sparedCount: 1,
      alreadyEndedCount: 2,
      ranAt: "2026-01-02T03:04:05.000Z",
    });
    expect(revocationResultSchema.safeParse(result).success).toBe(true);
  });

  test("describePlan lists what ends and what is spared, one per line, capped", () => {
    const text = describePlan('x.Rev "r"', {
      toEnd: [{ ...s("a"), username: "root" }],
      spared: [{ ...s("b", "t2", "bob"), spareReason: "bob is spared" }],
    });
    expect(text).toBe(
      [
        'x.Rev "r" will end 1 live session and spare 1 (as listed now; the run lists again):',
        "  end   a on t1 (owner alice, user root)",
        "  spare b on t2 (owner bob): bob is spared",
      ].join("\n"),
    );
    const many = describePlan("x", { toEnd: Array.from({ length: 60 }, (_, i) => s(`s${i}`)), spared: [] });
    expect(many.split("\n")).toHaveLength(52);
    expect(many).toContain("... and 10 more");
    expect(describePlan("x", { toEnd: [], spared: [] })).toBe(
      "x will end 0 live sessions and spare 0 (as listed now; the run lists again).",
    );
  });

  test("distinctStrings reports a repeated value at its index, naming the first, not the value", () => {
    const schema = distinctStrings("ids", 1);
    expect(schema.safeParse(["a", "b"]).success).toBe(true);
    const issues = schema.safeParse(["a", "b", "a"]).error!.issues;
    expect(issues).toEqual([expect.objectContaining({ path: [2], message: "repeats ids[0]" })]);
    expect(schema.safeParse([]).error!.issues[0].message).toBe("ids must list at least 1");
  });
});

/** A cloud whose sessions live in a map: enough to drive the provider's lifecycle. */
function fakeCloud() {
  const live = new Map<string, RevocationSession>();
  const calls = { list: 0, end: [] as string[] };
  const failing = new Set<string>();
  const schema = z
    .object({
      region: z.string().optional(),
      targets: distinctStrings("targets", 1),
      spare: z.array(z.string()).optional(),
      triggers: z.array(z.unknown()).optional(),
    })
    .strict();
  type Inputs = z.input<typeof schema> & { region: string };
  const cloud: RevocationCloud<{ region?: string }, string, Inputs> = {
    title: "test.Revocation",
    schema: () => schema,
    settings: (all) => ({ region: all.alicloud.region?.value }),
    defaultRegion: (settings) => settings.region,
    missingRegion: "region is required: set alicloud:region",
    targets: (inputs) => inputs.targets,
    client: (_settings, region) => region,
    async listLive(_client, inputs) {
      calls.list++;
      return [...live.values()].filter((x) => inputs.targets.includes(x.target));
    },
    spareReason: (inputs, x) =>
      x.owner && inputs.spare?.includes(x.owner) ? `${x.owner} spared` : undefined,
    async end(_client, _inputs, x) {
      calls.end.push(x.sessionId);
      if (failing.has(x.sessionId)) throw new Error(`cannot end ${x.sessionId}`);
      return live.delete(x.sessionId) ? "ended" : "gone";
    },
  };
  const notices: string[] = [];
  const provider = createRevocationProvider(cloud, {
    env: {},
    notice: (m) => notices.push(m),
    now: () => Date.parse("2026-03-04T05:06:07Z"),
  });
  return { live, calls, failing, provider, notices };
}

describe("the revocation provider (fake cloud)", () => {
  const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/test:Revocation::kick";

  test("check validates, defaults the region, and lists the plan only when a run is due", async () => {
    const { live, provider, notices, calls } = fakeCloud();
    await provider.configure!({
      config: { get: (k: string) => (k === "alicloud:region" ? "r1" : undefined) },
    } as never);
    live.set("a", s("a"));
    live.set("b", s("b", "t1", "bob"));
    const news = { targets: ["t1"], spare: ["bob"], [URN_PROPERTY]: URN, __provider: "stub" };
    const checked = await provider.check!({}, news);
    expect(checked).toEqual({ inputs: { targets: ["t1"], spare: ["bob"], region: "r1" }, failures: [] });
    expect(notices).toEqual([
      [
        'test.Revocation "kick" will end 1 live session and spare 1 (as listed now; the run lists again):',
        "  end   a on t1 (owner alice)",
        "  spare b on t1 (owner bob): bob spared",
      ].join("\n"),
    ]);
    // Same inputs as the recorded run: nothing is due, nothing is listed.
    notices.length = 0;
    await provider.check!(checked.inputs!, news);
    expect(notices).toEqual([]);
    expect(calls.list).toBe(1);
    // New triggers: due again.
    await provider.check!(checked.inputs!, { ...news, triggers: [2] });
    expect(notices).toHaveLength(1);
    expect(calls.end).toEqual([]);
  });

  test("invalid inputs fail without listing anything", async () => {
    const { provider, notices, calls } = fakeCloud();
    const { failures } = await provider.check!({}, { targets: ["t1", "t1"], bogus: 1 });
    expect(failures).toEqual([
      { property: "targets", reason: "targets[1]: repeats targets[0]" },
      { property: "bogus", reason: "bogus is not a known input" },
      { property: "region", reason: "region is required: set alicloud:region" },
    ]);
    expect(calls.list).toBe(0);
    expect(notices).toEqual([]);
  });

  test("unknown inputs (preview) are accepted and said to be unlistable; listing errors are notices", async () => {
    const { provider, notices, calls } = fakeCloud();
    expect((await provider.check!({}, { region: "r", targets: [UNKNOWN] })).failures).toEqual([]);
    expect(notices).toEqual([
      "test.Revocation: some inputs are unknown until apply, so the sessions it will end cannot be listed yet.",
    ]);
    expect(calls.list).toBe(0);
  });

  test("create ends what is not spared and records it; read keeps it; delete ends nothing", async () => {
    const { live, provider, calls } = fakeCloud();
    live.set("a", s("a"));
    live.set("b", s("b", "t2", "bob"));
    live.set("c", s("c", "t2"));
    live.set("d", s("d", "t9"));
    const created = await provider.create!({
      region: "r",
      targets: ["t1", "t2"],
      spare: ["bob"],
      __provider: "stub",
    });
    expect(created.id).toMatch(/^revocation-[0-9a-f-]{36}$/);
    expect(created.outs).toEqual({
      region: "r",
      targets: ["t1", "t2"],
      spare: ["bob"],
      endedSessions: [s("a"), s("c", "t2")],
      endedSessionIds: ["a", "c"],
      endedOwners: ["alice"],
      endedCount: 2,
      endedCountByTarget: { t1: 1, t2: 1 },
      sparedSessions: [{ ...s("b", "t2", "bob"), spareReason: "bob spared" }],
      sparedCount: 1,
      alreadyEndedCount: 0,
      ranAt: "2026-03-04T05:06:07.000Z",
    });
    expect([...live.keys()]).toEqual(["b", "d"]);
    expect(await provider.read!(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });
    await provider.delete!(created.id, created.outs!);
    expect(calls.end).toEqual(["a", "c"]);
  });

  test("diff: any input change replaces; computed outputs are not inputs", async () => {
    const { provider } = fakeCloud();
    const olds = { region: "r", targets: ["t1"], endedCount: 3, ranAt: "x" };
    expect(await provider.diff!("id", olds, { region: "r", targets: ["t1"] })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(
      (await provider.diff!("id", olds, { region: "r", targets: ["t1"], triggers: ["v2"] })).replaces,
    ).toEqual(["triggers"]);
    expect((await provider.diff!("id", olds, { region: "r", targets: [UNKNOWN] })).replaces).toEqual([
      "targets",
    ]);
  });

  test("a session that cannot be ended makes a partial create; update retries only what is still live", async () => {
    const { live, failing, provider, calls } = fakeCloud();
    for (const id of ["a", "b", "c"]) live.set(id, s(id));
    failing.add("b");
    const err = (await provider.create!({ region: "r", targets: ["t1"], __provider: "stub" }).catch(
      (e: unknown) => e,
    )) as { name: string; id: string; properties: Record<string, unknown>; message: string };
    expect(err.name).toBe("ResourceInitError");
    expect(err.message).toContain("ended 2 sessions but 1 could not be ended");
    expect(err.message).toContain("b: cannot end b");
    expect(err.properties).toMatchObject({ endedSessionIds: ["a", "c"], endedCount: 2, __provider: "stub" });

    failing.clear();
    calls.end.length = 0;
    const updated = await provider.update!(err.id, err.properties, {
      region: "r",
      targets: ["t1"],
      __provider: "stub",
    });
    expect(calls.end).toEqual(["b"]);
    expect(updated.outs).toMatchObject({ endedSessionIds: ["a", "c", "b"], endedCount: 3 });
    expect(live.size).toBe(0);
  });
});

import { topLevelProperty, UNKNOWN } from "../../validation";
import { createKillInstanceSessionTaskProvider } from "./lifecycle";
import { DATABASE_ID_PATTERNS } from "./schema";
import { KILL_TASK_DEFAULTS } from "./schema";

async function provider() {
  const p = createKillInstanceSessionTaskProvider({
    env: {},
    client: () => {
      throw new Error("check must not call the cloud");
    },
  });
  await p.configure!({ config: { get: () => undefined, require: () => undefined } } as never);
  return p;
}

async function check(news: Record<string, unknown>) {
  return (await provider()).check!({}, news);
}

const base = { instanceId: "rm-2ze8g2am97624", dbUser: "ops", dbUserPassword: "pw" };
const killAll = { ...base, killAllSessions: true };
const some = { ...base, sessionIds: [10805639, 10805623] };

/** [name, inputs, property path, text in the reason]. */
const invalid: Array<[string, Record<string, unknown>, string, string]> = [
  [
    "instanceId missing",
    { dbUser: "ops", dbUserPassword: "pw", killAllSessions: true },
    "instanceId",
    "instanceId is required",
  ],
  [
    "instanceId of an ECS instance",
    { ...killAll, instanceId: "i-bp1abc" },
    "instanceId",
    "rm-...) or a PolarDB MySQL cluster id (pc-...",
  ],
  [
    "instanceId with capitals",
    { ...killAll, instanceId: "rm-ABC" },
    "instanceId",
    "lowercase letters and digits after the prefix",
  ],
  ["instanceId of a PolarDB node", { ...killAll, instanceId: "pi-abc" }, "instanceId", "instanceId must be"],
  ["instanceId prefix only", { ...killAll, instanceId: "rm-" }, "instanceId", "instanceId must be"],
  [
    "instanceId not a string",
    { ...killAll, instanceId: 12 },
    "instanceId",
    "instanceId must be a string, not a number",
  ],
  [
    "nodeId of a cluster",
    { ...killAll, instanceId: "pc-abc", nodeId: "pc-abc" },
    "nodeId",
    "PolarDB MySQL node id (pi-...)",
  ],
  [
    "nodeId on RDS MySQL",
    { ...killAll, nodeId: "pi-abc" },
    "nodeId",
    "an RDS MySQL instance (rm-...) has no nodes",
  ],
  [
    "PolarDB session ids without nodeId",
    { ...some, instanceId: "pc-abc" },
    "nodeId",
    "nodeId is required for a PolarDB MySQL cluster (pc-...) unless killAllSessions is true",
  ],
  [
    "cluster-wide PolarDB kill, waiting, without clusterNodeIds",
    { ...killAll, instanceId: "pc-abc" },
    "clusterNodeIds",
    "clusterNodeIds is required to wait for a cluster-wide kill on a PolarDB MySQL cluster (pc-...)",
  ],
  [
    "clusterNodeIds on RDS MySQL",
    { ...killAll, clusterNodeIds: ["pi-a"] },
    "clusterNodeIds",
    "only for a cluster-wide kill",
  ],
  [
    "clusterNodeIds with nodeId",
    { ...killAll, instanceId: "pc-abc", nodeId: "pi-a", clusterNodeIds: ["pi-a"] },
    "clusterNodeIds",
    "only for a cluster-wide kill",
  ],
  [
    "clusterNodeIds of a cluster",
    { ...killAll, instanceId: "pc-abc", clusterNodeIds: ["pc-abc"] },
    "clusterNodeIds[0]",
    "PolarDB MySQL node id",
  ],
  [
    "clusterNodeIds empty",
    { ...killAll, instanceId: "pc-abc", clusterNodeIds: [] },
    "clusterNodeIds",
    "at least one node",
  ],
  ["dbUser missing", { ...killAll, dbUser: undefined }, "dbUser", "dbUser is required"],
  ["dbUser empty", { ...killAll, dbUser: "" }, "dbUser", "dbUser must not be empty"],
  [
    "password missing",
    { ...killAll, dbUserPassword: undefined },
    "dbUserPassword",
    "dbUserPassword is required",
  ],
  [
    "password as a number, not echoed",
    { ...killAll, dbUserPassword: 123456 },
    "dbUserPassword",
    "dbUserPassword must be a string, not a number",
  ],
  [
    "password empty",
    { ...killAll, dbUserPassword: "" },
    "dbUserPassword",
    "dbUserPassword must not be empty",
  ],
  ["no sessions and not all", base, "sessionIds", "sessionIds is required when killAllSessions is not true"],
  ["empty sessions and not all", { ...base, sessionIds: [] }, "sessionIds", "sessionIds is required"],
  [
    "killAllSessions false and no sessions",
    { ...base, killAllSessions: false },
    "sessionIds",
    "or set killAllSessions: true",
  ],
  [
    "session id as text",
    { ...base, sessionIds: [1, "2"] },
    "sessionIds[1]",
    "sessionIds[1]: must be a number (a MySQL connection id such as 10805639), not a string",
  ],
  ["session id fractional", { ...base, sessionIds: [1.5] }, "sessionIds[0]", "must be a whole number"],
  ["session id zero", { ...base, sessionIds: [0] }, "sessionIds[0]", "must be at least 1"],
  ["session id negative", { ...base, sessionIds: [-4] }, "sessionIds[0]", "must be at least 1"],
  ["session ids not a list", { ...base, sessionIds: 12 }, "sessionIds", "sessionIds must be a list"],
  [
    "killAllSessions as text",
    { ...base, killAllSessions: "true" },
    "killAllSessions",
    "must be true or false",
  ],
  ["ignored user empty", { ...killAll, ignoredUsers: [""] }, "ignoredUsers[0]", "must not be empty"],
  [
    "ignored users as text",
    { ...killAll, ignoredUsers: "replicator" },
    "ignoredUsers",
    "must be a list of account names",
  ],
  ["triggers not a list", { ...killAll, triggers: "v1" }, "triggers", "triggers must be a list"],
  ["timeout zero", { ...killAll, timeoutSeconds: 0 }, "timeoutSeconds", "at least 1"],
  ["timeout over an hour", { ...killAll, timeoutSeconds: 3601 }, "timeoutSeconds", "at most 3600"],
  ["timeout fractional", { ...killAll, timeoutSeconds: 1.5 }, "timeoutSeconds", "whole number"],
  [
    "waitForCompletion as text",
    { ...killAll, waitForCompletion: "yes" },
    "waitForCompletion",
    "true or false",
  ],
  ["unknown input", { ...killAll, sessionId: 1 }, "sessionId", "sessionId is not a known input"],
];

describe("check rejects what is known to be wrong, naming the field and the rule", () => {
  test.each(invalid)("%s", async (_name, inputs, path, text) => {
    const { failures } = await check(inputs);
    // Reported under the top-level input (the engine shows that input's value), the path first.
    const failure = failures!.find((f) => f.property === topLevelProperty(path) && f.reason.includes(text));
    expect(failure).toBeDefined();
    expect(failure!.reason.startsWith(path.replace(/\[\d+\]$/, ""))).toBe(true);
    // Every reason names its field, so it stands alone in the CLI output, and quotes no value.
    for (const f of failures!) {
      expect(f.reason.startsWith(f.property)).toBe(true);
      for (const value of Object.values(inputs)) {
        if (typeof value === "string" && value.length > 4) expect(f.reason).not.toContain(value);
      }
    }
  });
});

describe("check accepts valid inputs and fills defaults", () => {
  test.each([
    ["kill all on RDS MySQL", killAll],
    ["kill listed sessions", some],
    [
      "kill all on every PolarDB node, waiting",
      { ...killAll, instanceId: "pc-bp1v203xzzh0a", clusterNodeIds: ["pi-a", "pi-b"] },
    ],
    [
      "kill all on every PolarDB node, not waiting",
      { ...killAll, instanceId: "pc-bp1", waitForCompletion: false },
    ],
    [
      "kill listed sessions on one PolarDB node",
      { ...some, instanceId: "pc-bp1", nodeId: "pi-bp1v203xzzh0a" },
    ],
    ["kill all on one PolarDB node", { ...killAll, instanceId: "pc-bp1", nodeId: "pi-bp1" }],
    [
      "ignored users and triggers of any kind",
      { ...killAll, ignoredUsers: ["replicator"], triggers: ["v1", 2, { a: [true] }] },
    ],
    [
      "wait settings",
      { ...killAll, waitForCompletion: false, timeoutSeconds: 3600, failOnKillFailure: false },
    ],
  ])("%s", async (_name, inputs) => {
    const { inputs: out, failures } = await check(inputs);
    expect(failures).toEqual([]);
    expect(out).toMatchObject({ ...KILL_TASK_DEFAULTS, ...inputs });
  });

  test("nulls sent for unset optional inputs are dropped", async () => {
    const { inputs, failures } = await check({ ...killAll, nodeId: null, sessionIds: null });
    expect(failures).toEqual([]);
    expect(inputs).not.toHaveProperty("nodeId");
  });
});

describe("unknown values (preview) are accepted wherever they are", () => {
  test.each([
    ["instanceId", { ...killAll, instanceId: UNKNOWN }],
    ["password", { ...killAll, dbUserPassword: UNKNOWN }],
    ["session list", { ...base, sessionIds: UNKNOWN }],
    ["one session id", { ...base, sessionIds: [1, UNKNOWN] }],
    ["killAllSessions", { ...base, killAllSessions: UNKNOWN }],
    ["PolarDB cluster whose mode is unknown", { ...base, instanceId: "pc-abc", killAllSessions: UNKNOWN }],
    ["nodeId with an unknown instance", { ...killAll, instanceId: UNKNOWN, nodeId: "pi-1" }],
    ["a trigger", { ...killAll, triggers: [UNKNOWN] }],
  ])("%s", async (_name, inputs) => {
    expect((await check(inputs)).failures).toEqual([]);
  });

  test("and what is known to be wrong still fails next to them", async () => {
    const { failures } = await check({ ...base, instanceId: UNKNOWN, sessionIds: [UNKNOWN, "x"] });
    expect(failures!.map((f) => f.property)).toEqual(["sessionIds"]);
  });
});

describe("id shapes", () => {
  test.each([
    ["rdsMysqlInstance", "rm-2ze8g2am97624", true],
    ["rdsMysqlInstance", "rm-bp1", true],
    ["rdsMysqlInstance", "pc-bp1", false],
    ["rdsMysqlInstance", "rm-bp1 ", false],
    ["rdsMysqlInstance", "rm-bp1-x", false],
    ["polardbCluster", "pc-bp1v203xzzh0a", true],
    ["polardbCluster", "pc-", false],
    ["polardbNode", "pi-bp1v203xzzh0a", true],
    ["polardbNode", "PI-bp1", false],
  ] as const)("%s %j -> %s", (kind, id, ok) => {
    expect(DATABASE_ID_PATTERNS[kind].test(id)).toBe(ok);
  });
});

describe("warnings", () => {
  test("a warning is not a check failure", async () => {
    expect((await check({ ...killAll, sessionIds: [1] })).failures).toEqual([]);
  });
});

import type { AlicloudRpcClient, RpcResult } from "../../clients/alicloud";
import { AlicloudApiError } from "../../errors/alicloud";
import { ResourceInitError } from "../../errors/base";
import { UNKNOWN } from "../../validation";
import {
  computedOutputs,
  createKillInstanceSessionTaskProvider,
  killProblems,
  overallState,
  taskOutput,
  DAS_REGION,
} from "./lifecycle";

process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

type Row = { Id: number; User?: string; Command?: string; Reason: string };

/**
 * An in-memory DAS: CreateKillInstanceSessionTask makes tasks that report `states` one poll
 * at a time (the last one sticks) with the given rows.
 */
function fakeDas(options: { taskIds?: string[]; states?: string[]; rows?: Row[]; nodeIds?: string[] } = {}) {
  const calls: Array<{ action: string; params: Record<string, unknown> }> = [];
  const polls = new Map<string, number>();
  const failNextGet: Error[] = [];
  const client: AlicloudRpcClient = {
    product: "das",
    region: DAS_REGION,
    endpoint: "http://127.0.0.1:1",
    async call(action, params): Promise<RpcResult> {
      calls.push({ action, params });
      if (action === "CreateKillInstanceSessionTask") {
        const ids = options.taskIds ?? ["t-1"];
        return {
          body: { Success: true, RequestId: "R", Data: ids.length === 1 ? ids[0] : JSON.stringify(ids) },
        };
      }
      if (action === "GetKillInstanceSessionTaskResult") {
        const error = failNextGet.shift();
        if (error) throw error;
        const taskId = String(params.TaskId);
        const node = options.nodeIds?.[(options.taskIds ?? ["t-1"]).indexOf(taskId)];
        if (node !== undefined && params.NodeId !== node) {
          throw new AlicloudApiError({
            operation: action,
            code: "InvalidParams",
            cloudMessage: `The task ${taskId} does not exist for this instance or node.`,
            httpStatus: 200,
            hint: "h",
          });
        }
        const n = (polls.get(taskId) ?? 0) + 1;
        polls.set(taskId, n);
        const states = options.states ?? ["SUCCESS"];
        const state = states[Math.min(n, states.length) - 1];
        const index = (options.taskIds ?? ["t-1"]).indexOf(taskId);
        const rows = state === "RUNNING" ? [] : (options.rows ?? []);
        return {
          body: {
            Success: true,
            Data: {
              TaskId: taskId,
              TaskState: state,
              NodeId: options.nodeIds?.[index],
              Sessions: rows.map((r) => r.Id),
              Result: rows,
            },
          },
        };
      }
      throw new Error(`unexpected action ${action}`);
    },
  };
  return { client, calls, polls, failNextGet };
}

function setup(das: ReturnType<typeof fakeDas>) {
  const notices: string[] = [];
  let t = 0;
  const provider = createKillInstanceSessionTaskProvider({
    env: {},
    client: () => das.client,
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    notice: (m) => notices.push(m),
  });
  return { provider, notices };
}

const PROVIDER = "serialized-provider";
const inputs = {
  instanceId: "rm-abc",
  dbUser: "ops",
  dbUserPassword: "s3cret",
  killAllSessions: true,
  ignoredUsers: ["replicator"],
  waitForCompletion: true,
  timeoutSeconds: 60,
  failOnKillFailure: true,
  __provider: PROVIDER,
};

const killedTwoSparedTwo: Row[] = [
  { Id: 11, User: "app", Reason: "SESSION_KILLED" },
  { Id: 12, User: "app2", Reason: "SESSION_KILLED" },
  { Id: 13, User: "replicator", Reason: "SESSION_IGNORED_USER" },
  { Id: 14, User: "repl", Command: "Binlog Dump", Reason: "SESSION_INTERNAL_USER_OR_COMMAND" },
];

async function failure(p: Promise<unknown>): Promise<ResourceInitError> {
  try {
    await p;
  } catch (e) {
    return e as ResourceInitError;
  }
  throw new Error("expected a failure");
}

describe("create", () => {
  test("creates the task with the API's parameter shapes, waits with backoff and records the results", async () => {
    const das = fakeDas({ states: ["RUNNING", "RUNNING", "SUCCESS"], rows: killedTwoSparedTwo });
    const { provider } = setup(das);
    const { id, outs } = await provider.create(inputs);
    expect(id).toBe("t-1");
    expect(das.calls[0]).toEqual({
      action: "CreateKillInstanceSessionTask",
      params: {
        InstanceId: "rm-abc",
        NodeId: undefined,
        DbUser: "ops",
        DbUserPassword: "s3cret",
        IgnoredUsers: '["replicator"]',
        KillAllSessions: true,
        SessionIds: undefined,
      },
    });
    expect(das.calls.filter((c) => c.action === "GetKillInstanceSessionTaskResult")).toHaveLength(3);
    expect(outs).toMatchObject({
      instanceId: "rm-abc",
      taskIds: ["t-1"],
      state: "SUCCESS",
      killSuccessCount: 2,
      killFailCount: 0,
      ignoredSessionCount: 2,
      killedSessionIds: [11, 12],
    });
    expect(outs!.tasks).toEqual([
      expect.objectContaining({
        taskId: "t-1",
        state: "SUCCESS",
        killedSessionIds: [11, 12],
        sessionIds: [11, 12, 13, 14],
      }),
    ]);
    expect((outs!.tasks as Array<{ sessions: unknown[] }>)[0].sessions[3]).toEqual({
      id: 14,
      user: "repl",
      command: "Binlog Dump",
      reason: "SESSION_INTERNAL_USER_OR_COMMAND",
    });
  });

  test("a PolarDB cluster drained without nodeId gives one task per node; each task's node is found and kept", async () => {
    const das = fakeDas({
      taskIds: ["t-a", "t-b"],
      nodeIds: ["pi-a", "pi-b"],
      states: ["RUNNING", "SUCCESS"],
    });
    const { provider } = setup(das);
    const { id, outs } = await provider.create({
      ...inputs,
      instanceId: "pc-abc",
      clusterNodeIds: ["pi-b", "pi-a"],
    });
    expect(id).toBe("t-a,t-b");
    expect(outs!.taskIds).toEqual(["t-a", "t-b"]);
    expect((outs!.tasks as Array<{ nodeId: string }>).map((t) => t.nodeId)).toEqual(["pi-a", "pi-b"]);
    const gets = das.calls.filter((c) => c.action === "GetKillInstanceSessionTaskResult");
    // First round: t-a is unknown on pi-b, found on pi-a; t-b tries the unmatched pi-b first.
    expect(gets.map((c) => [c.params.TaskId, c.params.NodeId])).toEqual([
      ["t-a", "pi-b"],
      ["t-a", "pi-a"],
      ["t-b", "pi-b"],
      ["t-a", "pi-a"],
      ["t-b", "pi-b"],
    ]);
    expect(das.calls[0].params.NodeId).toBeUndefined();
  });

  test("a task no listed node knows is an error that says to list every node", async () => {
    const das = fakeDas({ taskIds: ["t-a", "t-b"], nodeIds: ["pi-a", "pi-b"] });
    const { provider } = setup(das);
    const error = await failure(
      provider.create({ ...inputs, instanceId: "pc-abc", clusterNodeIds: ["pi-a"] }),
    );
    expect(error.message).toContain(
      "DAS knows task t-b on none of clusterNodeIds (pi-a): list every node of pc-abc",
    );
    expect(error.properties).toMatchObject({ taskIds: ["t-a", "t-b"] });
  });

  test("listed sessions travel as a JSON array and a node id as given", async () => {
    const das = fakeDas();
    const { provider } = setup(das);
    await provider.create({
      ...inputs,
      instanceId: "pc-abc",
      nodeId: "pi-x",
      killAllSessions: false,
      sessionIds: [5, 6],
    });
    expect(das.calls[0].params).toMatchObject({
      NodeId: "pi-x",
      SessionIds: "[5,6]",
      KillAllSessions: false,
    });
    expect(das.calls[1].params).toMatchObject({ NodeId: "pi-x", TaskId: "t-1", InstanceId: "pc-abc" });
  });

  test("a wrong password fails the deployment in plain words and keeps the task in state", async () => {
    const das = fakeDas({
      states: ["FAILURE"],
      rows: [
        { Id: 11, Reason: "SESSION_ACCOUNT_ERROR" },
        { Id: 12, Reason: "SESSION_ACCOUNT_ERROR" },
      ],
    });
    const { provider } = setup(das);
    const error = await failure(provider.create(inputs));
    expect(error.name).toBe("ResourceInitError");
    expect(error.id).toBe("t-1");
    expect(error.message).toContain("The kill on rm-abc did not fully succeed: task t-1 ended in FAILURE");
    expect(error.message).toContain(
      "2 sessions were not killed (11, 12): DAS could not log in: dbUser or dbUserPassword is wrong [SESSION_ACCOUNT_ERROR]; check dbUser and dbUserPassword",
    );
    expect(error.message).not.toContain("s3cret");
    expect(error.properties).toMatchObject({ state: "FAILURE", taskIds: ["t-1"], __provider: PROVIDER });
  });

  test("with failOnKillFailure false the same failure is recorded, not raised", async () => {
    const das = fakeDas({ states: ["FAILURE"], rows: [{ Id: 11, Reason: "SESSION_NO_PERMISSION" }] });
    const { provider } = setup(das);
    const { outs } = await provider.create({ ...inputs, failOnKillFailure: false });
    expect(outs).toMatchObject({ state: "FAILURE", killFailCount: 1 });
  });

  test("a timeout fails with the task still RUNNING in state; nothing is killed twice", async () => {
    const das = fakeDas({ states: ["RUNNING"] });
    const { provider } = setup(das);
    const error = await failure(provider.create({ ...inputs, timeoutSeconds: 10 }));
    expect(error.message).toContain("kill task t-1 on rm-abc still RUNNING after 10 s");
    expect(error.properties).toMatchObject({ state: "RUNNING", taskIds: ["t-1"] });
    expect(das.calls.filter((c) => c.action === "CreateKillInstanceSessionTask")).toHaveLength(1);
  });

  test("without waiting: one look, then done", async () => {
    const das = fakeDas({ states: ["RUNNING", "SUCCESS"] });
    const { provider } = setup(das);
    const { outs } = await provider.create({ ...inputs, waitForCompletion: false });
    expect(outs).toMatchObject({ state: "RUNNING", taskIds: ["t-1"] });
    expect(das.calls).toHaveLength(2);
  });

  test("without waiting, a failed look is not a failed kill", async () => {
    const das = fakeDas();
    das.failNextGet.push(new Error("socket hang up"));
    const { provider, notices } = setup(das);
    const { outs } = await provider.create({ ...inputs, waitForCompletion: false });
    expect(outs).toMatchObject({ state: "RUNNING" });
    expect(notices[0]).toContain("could not read kill task t-1");
  });

  test("a DAS error on create is raised as is (no task, nothing recorded)", async () => {
    const das = fakeDas();
    const error = new AlicloudApiError({
      operation: "CreateKillInstanceSessionTask",
      code: "InvalidParams",
      cloudMessage: "bad",
      httpStatus: 200,
      requestId: "REQ",
      hint: "h",
    });
    das.client.call = async () => {
      throw error;
    };
    const { provider } = setup(das);
    await expect(provider.create(inputs)).rejects.toBe(error);
  });
});

describe("diff", () => {
  const olds = {
    ...inputs,
    ...computedOutputs([
      taskOutput({
        taskId: "t-1",
        taskState: "SUCCESS",
        sessions: [],
        killSuccessCount: 0,
        killFailCount: 0,
        ignoredUserSessionCount: 0,
        result: [],
      }),
    ]),
  };

  test("no change, no diff", async () => {
    const { provider } = setup(fakeDas());
    expect(await provider.diff!("t-1", olds, inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test.each([
    ["triggers", { triggers: ["v2"] }],
    ["instanceId", { instanceId: "rm-other" }],
    ["sessionIds", { killAllSessions: false, sessionIds: [1] }],
    ["ignoredUsers", { ignoredUsers: ["replicator", "backup"] }],
    ["an unknown trigger", { triggers: [UNKNOWN] }],
  ])("%s replaces (runs the kill again) and says what replacing means", async (_name, change) => {
    const { provider, notices } = setup(fakeDas());
    const diff = await provider.diff!(
      "t-1",
      { ...olds, triggers: ["v1"] },
      { ...inputs, triggers: ["v1"], ...change },
    );
    expect(diff.changes).toBe(true);
    expect(diff.replaces!.length).toBeGreaterThan(0);
    expect(notices[0]).toContain("replacing it runs the kill again");
    expect(notices[0]).toContain("sessions it killed stay killed");
  });

  test.each([
    ["the password", { dbUserPassword: "rotated" }],
    ["the account", { dbUser: "ops2" }],
    ["the timeout", { timeoutSeconds: 120 }],
    ["waiting", { waitForCompletion: false }],
    ["the failure policy", { failOnKillFailure: false }],
  ])("%s updates in place: no kill", async (_name, change) => {
    const { provider, notices } = setup(fakeDas());
    const diff = await provider.diff!("t-1", olds, { ...inputs, ...change });
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(notices).toEqual([]);
  });

  test("a finished kill that failed is replaced on the next deployment, unless failures are accepted", async () => {
    const failed = {
      ...olds,
      ...computedOutputs([
        taskOutput({
          taskId: "t-1",
          taskState: "FAILURE",
          sessions: [],
          killSuccessCount: 0,
          killFailCount: 0,
          ignoredUserSessionCount: 0,
          result: [],
        }),
      ]),
    };
    const { provider } = setup(fakeDas());
    expect((await provider.diff!("t-1", failed, inputs)).replaces).toEqual(["state"]);
    expect((await provider.diff!("t-1", failed, { ...inputs, failOnKillFailure: false })).replaces).toEqual(
      [],
    );
  });

  test("a kill still RUNNING (timed out) is not replaced: the next deployment waits for it", async () => {
    const running = {
      ...olds,
      ...computedOutputs([
        taskOutput({
          taskId: "t-1",
          taskState: "RUNNING",
          sessions: [],
          killSuccessCount: 0,
          killFailCount: 0,
          ignoredUserSessionCount: 0,
          result: [],
        }),
      ]),
    };
    const { provider } = setup(fakeDas());
    expect(await provider.diff!("t-1", running, inputs)).toMatchObject({ changes: false, replaces: [] });
  });

  test("state written before a default existed compares equal to the default", async () => {
    const { waitForCompletion: _w, timeoutSeconds: _t, failOnKillFailure: _f, ...older } = olds;
    const { provider } = setup(fakeDas());
    expect((await provider.diff!("t-1", older, { ...inputs, timeoutSeconds: 300 })).changes).toBe(false);
  });
});

describe("update (in-place changes, or a timed-out create)", () => {
  test("waits for the recorded tasks and never creates a new one", async () => {
    const das = fakeDas({ states: ["RUNNING"] });
    const { provider } = setup(das);
    const timedOut = await failure(provider.create({ ...inputs, timeoutSeconds: 5 }));
    das.polls.clear();
    const done = fakeDas({ states: ["RUNNING", "SUCCESS"], rows: killedTwoSparedTwo });
    const { provider: later } = setup(done);
    const { outs } = await later.update!("t-1", timedOut.properties, { ...inputs, timeoutSeconds: 30 });
    expect(done.calls.map((c) => c.action)).toEqual([
      "GetKillInstanceSessionTaskResult",
      "GetKillInstanceSessionTaskResult",
    ]);
    expect(outs).toMatchObject({
      state: "SUCCESS",
      killSuccessCount: 2,
      timeoutSeconds: 30,
      dbUserPassword: "s3cret",
    });
  });

  test("a rotated password is recorded; the finished kill is only read again", async () => {
    const das = fakeDas({ rows: killedTwoSparedTwo });
    const { provider } = setup(das);
    const { outs: first } = await provider.create(inputs);
    das.calls.length = 0;
    const { outs } = await provider.update!("t-1", first!, { ...inputs, dbUserPassword: "rotated" });
    expect(das.calls.map((c) => c.action)).toEqual(["GetKillInstanceSessionTaskResult"]);
    expect(outs).toMatchObject({ dbUserPassword: "rotated", taskIds: ["t-1"], killedSessionIds: [11, 12] });
  });
});

describe("read and delete", () => {
  test("read returns the task results", async () => {
    const das = fakeDas({ states: ["RUNNING", "SUCCESS"], rows: killedTwoSparedTwo });
    const { provider } = setup(das);
    const { outs } = await provider.create({ ...inputs, waitForCompletion: false });
    const read = await provider.read!("t-1", outs);
    expect(read.id).toBe("t-1");
    expect(read.props).toMatchObject({
      state: "SUCCESS",
      killedSessionIds: [11, 12],
      dbUserPassword: "s3cret",
    });
  });

  test("read keeps the last result when DAS no longer knows the task (never drops it: that would re-kill)", async () => {
    const das = fakeDas();
    const { provider } = setup(das);
    const { outs } = await provider.create(inputs);
    das.failNextGet.push(
      new AlicloudApiError({
        operation: "GetKillInstanceSessionTaskResult",
        code: "InvalidParams",
        cloudMessage: "no task",
        httpStatus: 200,
        hint: "h",
      }),
    );
    const read = await provider.read!("t-1", outs);
    expect(read).toEqual({ id: "t-1", props: outs });
  });

  test("delete calls nothing and says that killed sessions cannot come back", async () => {
    const das = fakeDas();
    const { provider, notices } = setup(das);
    await provider.delete!("t-1", { ...inputs, taskIds: ["t-1"] });
    expect(das.calls).toEqual([]);
    expect(notices[0]).toContain("Killed sessions cannot come back");
  });
});

describe("verdict helpers", () => {
  const task = (state: string, reasons: string[] = [], killFailCount?: number) =>
    taskOutput({
      taskId: "t",
      taskState: state,
      sessions: [],
      killSuccessCount: 0,
      killFailCount: killFailCount ?? 0,
      ignoredUserSessionCount: 0,
      result: reasons.map((reason, i) => ({ id: i + 1, reason })),
    });

  test("overall state", () => {
    expect(overallState([task("SUCCESS"), task("RUNNING")])).toBe("RUNNING");
    expect(overallState([task("SUCCESS"), task("FAILURE"), task("ERROR")])).toBe("ERROR");
    expect(overallState([task("SUCCESS"), task("FAILURE")])).toBe("FAILURE");
    expect(overallState([task("SUCCESS")])).toBe("SUCCESS");
    expect(overallState([])).toBe("RUNNING");
  });

  test("spared and already-gone sessions are not problems; refused ones are", () => {
    expect(
      killProblems([task("SUCCESS", ["SESSION_KILLED", "SESSION_EXPIRED", "SESSION_IGNORED_USER"])]),
    ).toEqual([]);
    expect(killProblems([task("SUCCESS", ["SESSION_NO_PERMISSION"])])[0]).toContain(
      "1 session was not killed (1): dbUser lacks the privilege to kill it [SESSION_NO_PERMISSION]",
    );
    expect(killProblems([task("SUCCESS", [], 3)])).toEqual(["task t: 3 session(s) could not be killed"]);
    expect(killProblems([task("ERROR")])).toEqual(["task t ended in ERROR"]);
  });

  test("a task-level row (id 0) gives the reason and DAS's words without naming a session", () => {
    const t = taskOutput({
      taskId: "t",
      taskState: "FAILURE",
      sessions: [],
      killSuccessCount: 0,
      killFailCount: 1,
      ignoredUserSessionCount: 0,
      result: [{ id: 0, reason: "SESSION_ACCOUNT_ERROR", info: "Access denied for user 'ops'@'127.0.0.1'." }],
    });
    expect(t.sessions).toEqual([
      { id: 0, reason: "SESSION_ACCOUNT_ERROR", message: "Access denied for user 'ops'@'127.0.0.1'." },
    ]);
    expect(killProblems([t])).toEqual([
      "task t ended in FAILURE: DAS could not log in: dbUser or dbUserPassword is wrong [SESSION_ACCOUNT_ERROR] " +
        "(DAS said: Access denied for user 'ops'@'127.0.0.1'); check dbUser and dbUserPassword",
    ]);
  });

  test("the SQL text of a session row never reaches the outputs", () => {
    const t = taskOutput({
      taskId: "t",
      taskState: "SUCCESS",
      sessions: [7],
      killSuccessCount: 1,
      killFailCount: 0,
      ignoredUserSessionCount: 0,
      result: [{ id: 7, reason: "SESSION_KILLED", info: "SET PASSWORD = 'hunter2'" }],
    });
    expect(JSON.stringify(t)).not.toContain("hunter2");
  });
});

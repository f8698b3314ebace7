/**
 * The DAS backend on its own, against a real MariaDB (scripts/mariadb.sh), with a ManualClock:
 * task states, every Reason, and which client connections really die.
 */
import { createServer } from "node:net";
import { ManualClock } from "../../clock";
import { dasInstanceSchema, type DasInstance } from "../../config";
import { DasBackend, type DasBackendOptions } from "./backend";
import { DasFailure } from "./errors";
import type { KillRequest, TaskResultData } from "./model";
import {
  closeAll,
  createAccounts,
  isAlive,
  openSession,
  startTestMariadb,
  type ClientSession,
  type TestMariadb,
} from "./testing/mariadb";

const PW = { ops: "ops-pw-1", proc: "proc-pw-1", app: "app-pw-1", nopriv: "nopriv-pw-1", root: "aliroot-pw" };

let db: TestMariadb;
let closedPort: number;
const open: ClientSession[] = [];

async function session(user: keyof typeof USERS): Promise<ClientSession> {
  const s = await openSession(db, user, USERS[user]);
  open.push(s);
  return s;
}

const USERS = {
  ops: PW.ops,
  opsproc: PW.proc,
  app1: PW.app,
  app2: PW.app,
  nopriv: PW.nopriv,
  aliyun_root: PW.root,
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

beforeAll(
  async () => {
    db = await startTestMariadb("das-backend");
    await createAccounts(db, [
      { user: "ops", password: PW.ops, grants: "PROCESS, CONNECTION ADMIN" },
      // Sees every session but may only end its own.
      { user: "opsproc", password: PW.proc, grants: "PROCESS" },
      { user: "app1", password: PW.app },
      { user: "app2", password: PW.app },
      { user: "nopriv", password: PW.nopriv },
      { user: "aliyun_root", password: PW.root, grants: "ALL PRIVILEGES" },
    ]);
    closedPort = await freePort();
  },
  20 * 60 * 1000,
);

afterEach(async () => {
  await closeAll(open.splice(0));
});

afterAll(async () => {
  await db?.stop();
});

function instances(): DasInstance[] {
  return [
    dasInstanceSchema.parse({
      instanceId: "rm-backend1",
      engine: "MySQL",
      port: db.port,
      internalUsers: ["aliyun_root", "psadmin"],
    }),
    dasInstanceSchema.parse({
      instanceId: "pc-backend1",
      engine: "PolarDBMySQL",
      nodes: [
        { nodeId: "pi-node1", port: db.port },
        { nodeId: "pi-node2", port: db.port },
      ],
    }),
    dasInstanceSchema.parse({ instanceId: "pc-empty", engine: "PolarDBMySQL" }),
    dasInstanceSchema.parse({ instanceId: "rm-closed", engine: "MySQL", port: closedPort }),
    dasInstanceSchema.parse({ instanceId: "rm-noport", engine: "MySQL" }),
    // The config schema admits only the two engines; this stands for an instance of another kind.
    {
      ...dasInstanceSchema.parse({ instanceId: "pgm-other", engine: "MySQL" }),
      engine: "PostgreSQL",
    } as unknown as DasInstance,
  ];
}

/** One caller of the default local account. */
const CALLER = { accountId: "local" };

function setup(over: Partial<DasBackendOptions> = {}) {
  const clock = new ManualClock(new Date("2026-01-01T00:00:00Z"));
  const backend = new DasBackend({ clock, instances, minRunningMs: 300, ...over });
  return { clock, backend };
}

function killRequest(over: Partial<KillRequest> = {}): KillRequest {
  return {
    instanceId: "rm-backend1",
    dbUser: "ops",
    dbUserPassword: PW.ops,
    ignoredUsers: [],
    killAllSessions: true,
    sessionIds: [],
    ...over,
  };
}

function create(backend: DasBackend, req: KillRequest): string[] {
  const created = backend.createKillTasks(req, CALLER);
  if (created instanceof DasFailure) throw new Error(created.detail);
  return created.taskIds;
}

function result(backend: DasBackend, instanceId: string, taskId: string, nodeId?: string): TaskResultData {
  const r = backend.taskResult({ instanceId, taskId, nodeId }, CALLER);
  if (r instanceof DasFailure) throw new Error(r.detail);
  return r;
}

/** Lets the background work finish, then moves the clock past the minimum RUNNING time. */
async function settle(backend: DasBackend, clock: ManualClock): Promise<void> {
  await backend.idle();
  clock.advance(1000);
}

const reasonOf = (data: TaskResultData, id: number) => data.Result.find((r) => r.Id === id)?.Reason;

describe("DAS backend on a real MariaDB", () => {
  test("KillAllSessions: RUNNING until the clock allows, then SUCCESS; spared sessions survive", async () => {
    const { clock, backend } = setup();
    const a1 = await session("app1");
    const a2 = await session("app1");
    const b = await session("app2");
    const root = await session("aliyun_root");
    const opsOther = await session("ops");

    const [taskId] = create(backend, killRequest({ ignoredUsers: ["app2"] }));
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(result(backend, "rm-backend1", taskId).TaskState).toBe("RUNNING");
    await backend.idle();
    // The work is done, but the clock has not moved: still RUNNING, with nothing reported yet.
    const early = result(backend, "rm-backend1", taskId);
    expect(early).toMatchObject({ TaskState: "RUNNING", KillSuccessCount: 0, Result: [], Sessions: [] });
    clock.advance(299);
    expect(result(backend, "rm-backend1", taskId).TaskState).toBe("RUNNING");
    clock.advance(1);

    const data = result(backend, "rm-backend1", taskId);
    expect(data.TaskState).toBe("SUCCESS");
    expect(data.NodeId).toBeUndefined();
    expect(data.UserId).toMatch(/^1\d{15}$/);
    expect(reasonOf(data, a1.id)).toBe("SESSION_KILLED");
    expect(reasonOf(data, a2.id)).toBe("SESSION_KILLED");
    // The account's other sessions are fair game; only the task's own connection is left out.
    expect(reasonOf(data, opsOther.id)).toBe("SESSION_KILLED");
    expect(reasonOf(data, b.id)).toBe("SESSION_IGNORED_USER");
    expect(reasonOf(data, root.id)).toBe("SESSION_INTERNAL_USER_OR_COMMAND");
    expect(data.Sessions).toEqual(expect.arrayContaining([a1.id, a2.id, b.id, root.id, opsOther.id]));
    expect(data.KillSuccessCount).toBe(data.Result.filter((r) => r.Reason === "SESSION_KILLED").length);
    expect(data.KillFailCount).toBe(0);
    expect(data.IgnoredUserSessionCount).toBe(
      data.Result.filter((r) => r.Reason !== "SESSION_KILLED" && r.Reason !== "SESSION_EXPIRED").length,
    );

    expect(await isAlive(a1)).toBe(false);
    expect(await isAlive(a2)).toBe(false);
    expect(await isAlive(opsOther)).toBe(false);
    expect(await isAlive(b)).toBe(true);
    expect(await isAlive(root)).toBe(true);
  });

  test("Result rows carry the process list's columns", async () => {
    const { clock, backend } = setup();
    const idle = await session("app1");
    await idle.conn.query("USE information_schema");
    const busy = await session("app2");
    const sleeping = busy.conn.query("SELECT SLEEP(30)").then(
      () => "finished",
      () => "interrupted",
    );
    // Wait until the statement shows in the process list.
    const admin = await db.admin();
    try {
      for (let i = 0; i < 50; i++) {
        const [rows] = await admin.query<import("mysql2/promise").RowDataPacket[]>(
          "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND = 'Query'",
          [busy.id],
        );
        if (rows.length > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await admin.end();
    }

    const [taskId] = create(backend, killRequest({ killAllSessions: false, sessionIds: [idle.id, busy.id] }));
    await settle(backend, clock);
    const data = result(backend, "rm-backend1", taskId);
    expect(data.Result).toEqual([
      {
        Id: idle.id,
        User: "app1",
        Host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        Db: "information_schema",
        Command: "Sleep",
        Time: expect.any(Number),
        Active: false,
        Reason: "SESSION_KILLED",
        TaskId: expect.stringMatching(/^task_[0-9a-f-]{36}$/),
      },
      expect.objectContaining({
        Id: busy.id,
        User: "app2",
        Command: "Query",
        State: expect.any(String),
        Info: "SELECT SLEEP(30)",
        Active: true,
        Reason: "SESSION_KILLED",
      }),
    ]);
    expect(await sleeping).toBe("interrupted");
  });

  test("SessionIds: only those die; an unknown id is SESSION_EXPIRED and not a failure", async () => {
    const { clock, backend } = setup();
    const a = await session("app1");
    const keep = await session("app1");
    const [taskId] = create(backend, killRequest({ killAllSessions: false, sessionIds: [a.id, 987654321] }));
    await settle(backend, clock);
    const data = result(backend, "rm-backend1", taskId);
    expect(data).toMatchObject({ TaskState: "SUCCESS", KillSuccessCount: 1, KillFailCount: 0 });
    expect(data.Sessions).toEqual([a.id, 987654321]);
    expect(reasonOf(data, 987654321)).toBe("SESSION_EXPIRED");
    expect(await isAlive(a)).toBe(false);
    expect(await isAlive(keep)).toBe(true);
  });

  test("SessionIds still spare internal accounts", async () => {
    const { clock, backend } = setup();
    const root = await session("aliyun_root");
    const [taskId] = create(backend, killRequest({ killAllSessions: false, sessionIds: [root.id] }));
    await settle(backend, clock);
    const data = result(backend, "rm-backend1", taskId);
    expect(data).toMatchObject({ TaskState: "SUCCESS", IgnoredUserSessionCount: 1, KillSuccessCount: 0 });
    expect(await isAlive(root)).toBe(true);
  });

  test("wrong password: the task runs and ends FAILURE with SESSION_ACCOUNT_ERROR", async () => {
    const { clock, backend } = setup();
    const a = await session("app1");
    const [all] = create(backend, killRequest({ dbUserPassword: "wrong" }));
    const [some] = create(
      backend,
      killRequest({ dbUserPassword: "wrong", killAllSessions: false, sessionIds: [a.id] }),
    );
    await settle(backend, clock);

    const allData = result(backend, "rm-backend1", all);
    expect(allData).toMatchObject({
      TaskState: "FAILURE",
      KillSuccessCount: 0,
      KillFailCount: 1,
      Sessions: [],
    });
    expect(allData.Result).toEqual([
      expect.objectContaining({
        Id: 0,
        User: "ops",
        Reason: "SESSION_ACCOUNT_ERROR",
        Info: expect.stringMatching(/Access denied for user 'ops'/),
      }),
    ]);
    const someData = result(backend, "rm-backend1", some);
    expect(someData).toMatchObject({ TaskState: "FAILURE", KillFailCount: 1, Sessions: [a.id] });
    expect(someData.Result[0]).toMatchObject({ Id: a.id, Reason: "SESSION_ACCOUNT_ERROR" });
    expect(await isAlive(a)).toBe(true);
  });

  test("PROCESS without CONNECTION ADMIN: other accounts' sessions are SESSION_NO_PERMISSION", async () => {
    const { clock, backend } = setup();
    const a = await session("app1");
    const [taskId] = create(backend, killRequest({ dbUser: "opsproc", dbUserPassword: PW.proc }));
    await settle(backend, clock);
    const data = result(backend, "rm-backend1", taskId);
    expect(data.TaskState).toBe("FAILURE");
    expect(reasonOf(data, a.id)).toBe("SESSION_NO_PERMISSION");
    expect(data.KillFailCount).toBeGreaterThanOrEqual(1);
    expect(await isAlive(a)).toBe(true);
  });

  test("an account without PROCESS cannot see or end other accounts' sessions", async () => {
    const { clock, backend } = setup();
    const a = await session("app1");
    const own = await session("nopriv");
    const [all] = create(backend, killRequest({ dbUser: "nopriv", dbUserPassword: PW.nopriv }));
    await settle(backend, clock);
    const allData = result(backend, "rm-backend1", all);
    expect(allData.TaskState).toBe("FAILURE");
    // Its own other session it may end; the rest it cannot even list.
    expect(reasonOf(allData, own.id)).toBe("SESSION_KILLED");
    expect(reasonOf(allData, 0)).toBe("SESSION_NO_PERMISSION");
    expect(allData.Sessions).not.toContain(a.id);

    const [some] = create(
      backend,
      killRequest({
        dbUser: "nopriv",
        dbUserPassword: PW.nopriv,
        killAllSessions: false,
        sessionIds: [a.id],
      }),
    );
    await settle(backend, clock);
    const someData = result(backend, "rm-backend1", some);
    expect(someData).toMatchObject({ TaskState: "FAILURE", KillFailCount: 1 });
    expect(someData.Result[0]).toMatchObject({
      Id: a.id,
      Reason: "SESSION_NO_PERMISSION",
      Info: expect.stringMatching(/not owner of thread/i),
    });
    expect(await isAlive(a)).toBe(true);
    expect(await isAlive(own)).toBe(false);
  });

  test("no time left: SESSION_KILL_TASK_TIMEOUT, nothing killed", async () => {
    const { clock, backend } = setup({ taskTimeoutMs: -1 });
    const a = await session("app1");
    const [taskId] = create(backend, killRequest({ killAllSessions: false, sessionIds: [a.id] }));
    await settle(backend, clock);
    const data = result(backend, "rm-backend1", taskId);
    expect(data).toMatchObject({ TaskState: "FAILURE", KillFailCount: 1 });
    expect(data.Result[0].Reason).toBe("SESSION_KILL_TASK_TIMEOUT");
    expect(await isAlive(a)).toBe(true);
  });

  test("an unreachable server or a missing endpoint ends the task ERROR", async () => {
    const { clock, backend } = setup();
    const [closed] = create(backend, killRequest({ instanceId: "rm-closed" }));
    const [noport] = create(
      backend,
      killRequest({ instanceId: "rm-noport", killAllSessions: false, sessionIds: [5] }),
    );
    await settle(backend, clock);
    const c = result(backend, "rm-closed", closed);
    expect(c).toMatchObject({ TaskState: "ERROR", KillFailCount: 1 });
    expect(c.Result[0]).toMatchObject({
      Id: 0,
      Reason: "SESSION_OTHER_ERROR",
      Info: expect.stringMatching(/ECONNREFUSED|connect/),
    });
    const n = result(backend, "rm-noport", noport);
    expect(n).toMatchObject({ TaskState: "ERROR", Sessions: [5] });
    expect(n.Result[0]).toMatchObject({ Id: 5, Reason: "SESSION_OTHER_ERROR" });
  });

  test("PolarDB: one task per node without NodeId, one with", async () => {
    const { clock, backend } = setup();
    const a = await session("app1");
    const all = backend.createKillTasks(killRequest({ instanceId: "pc-backend1" }), CALLER);
    expect(all).toMatchObject({ perNode: true, taskIds: [expect.any(String), expect.any(String)] });
    const one = backend.createKillTasks(
      killRequest({ instanceId: "pc-backend1", nodeId: "pi-node2", killAllSessions: false, sessionIds: [1] }),
      CALLER,
    );
    expect(one).toMatchObject({ perNode: false, taskIds: [expect.any(String)] });
    await settle(backend, clock);
    if (all instanceof DasFailure || one instanceof DasFailure) throw new Error("unexpected failure");
    // Both nodes share this server: the tasks run one after the other and do not end each other.
    const first = result(backend, "pc-backend1", all.taskIds[0], "pi-node1");
    const second = result(backend, "pc-backend1", all.taskIds[1], "pi-node2");
    expect(first).toMatchObject({ NodeId: "pi-node1", TaskState: "SUCCESS" });
    expect(second).toMatchObject({ NodeId: "pi-node2", TaskState: "SUCCESS" });
    expect(reasonOf(first, a.id)).toBe("SESSION_KILLED");
    expect(second.Sessions).not.toContain(a.id);
    expect(await isAlive(a)).toBe(false);
    // A PolarDB task needs its NodeId, and the right one.
    expect(backend.taskResult({ instanceId: "pc-backend1", taskId: all.taskIds[0] }, CALLER)).toBeInstanceOf(
      DasFailure,
    );
    expect(
      backend.taskResult({ instanceId: "pc-backend1", taskId: all.taskIds[0], nodeId: "pi-node2" }, CALLER),
    ).toBeInstanceOf(DasFailure);
    expect(backend.taskResult({ instanceId: "rm-backend1", taskId: all.taskIds[0] }, CALLER)).toBeInstanceOf(
      DasFailure,
    );
  });

  test.each([
    ["unknown instance", { instanceId: "rm-nope" }, /does not exist/],
    ["another engine", { instanceId: "pgm-other" }, /applicable only to ApsaraDB RDS for MySQL/],
    ["node outside the cluster", { instanceId: "pc-backend1", nodeId: "pi-other" }, /does not belong/],
    ["NodeId on RDS", { nodeId: "pi-node1" }, /does not belong/],
    [
      "PolarDB, no NodeId, SessionIds",
      { instanceId: "pc-backend1", killAllSessions: false, sessionIds: [1] },
      /NodeId must be specified/,
    ],
    ["PolarDB without nodes", { instanceId: "pc-empty" }, /has no nodes/],
  ])("%s: InvalidParams business failure", (_label, over, detail) => {
    const { backend } = setup();
    const r = backend.createKillTasks(killRequest(over), CALLER);
    expect(r).toBeInstanceOf(DasFailure);
    expect(r).toMatchObject({ code: "InvalidParams", status: 400, detail: expect.stringMatching(detail) });
  });

  test("snapshot lists tasks without passwords", async () => {
    const { clock, backend } = setup();
    const [taskId] = create(backend, killRequest({ killAllSessions: false, sessionIds: [1] }));
    await settle(backend, clock);
    const snap = backend.snapshot();
    expect(snap).toEqual([
      expect.objectContaining({ taskId, instanceId: "rm-backend1", dbUser: "ops", state: "SUCCESS" }),
    ]);
    expect(JSON.stringify(snap)).not.toContain(PW.ops);
  });
});

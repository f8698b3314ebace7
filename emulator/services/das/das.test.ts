/**
 * DAS kill-session tasks end to end: the official `@alicloud/openapi-core` client (generic
 * callApi, as PROTOCOLS.md describes for DAS) -> the local cloud's Alibaba RPC protocol with ACS3
 * signature checks -> the DAS service -> two real MariaDB servers (scripts/mariadb.sh). What
 * died is checked from the database clients' side: a killed connection fails its next query.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import OpenApi, { $OpenApiUtil } from "@alicloud/openapi-core";
import * as $dara from "@darabonba/typescript";
import type { LocalCloudConfigInput } from "../../config";
import { startLocalCloud, type LocalCloud } from "../../server";
import { acsConfig, acsError, TEST_CREDENTIAL } from "../../testing/alibaba";
import type { TaskResultData } from "./model";
import {
  closeAll,
  createAccounts,
  isAlive,
  openSession,
  startBinlogDump,
  startTestMariadb,
  threadsWithCommand,
  type AccountSpec,
  type BinlogDump,
  type ClientSession,
  type TestMariadb,
} from "./testing/mariadb";

const PW = {
  ops: "Ops#pw-01",
  app: "app-pw-01",
  repl: "repl-pw-01",
  nopriv: "nopriv-pw-01",
  root: "root-pw-01",
};
const ACCOUNTS: AccountSpec[] = [
  { user: "ops", password: PW.ops, grants: "PROCESS, CONNECTION ADMIN" },
  { user: "app1", password: PW.app },
  { user: "app2", password: PW.app },
  { user: "replicator", password: PW.repl, grants: "REPLICATION SLAVE" },
  { user: "nopriv", password: PW.nopriv },
  { user: "aliyun_root", password: PW.root, grants: "ALL PRIVILEGES" },
];
const PASSWORDS: Record<string, string> = {
  app1: PW.app,
  app2: PW.app,
  nopriv: PW.nopriv,
  aliyun_root: PW.root,
  ops: PW.ops,
};

const RDS = "rm-das0000000001";
const POLAR = "pc-das0000000001";

let dbA: TestMariadb;
let dbB: TestMariadb;
let cloud: LocalCloud;
let client: OpenApi;
let binlog: BinlogDump | undefined;
const open: ClientSession[] = [];

async function session(db: TestMariadb, user: string): Promise<ClientSession> {
  const s = await openSession(db, user, PASSWORDS[user]);
  open.push(s);
  return s;
}

function config(): LocalCloudConfigInput {
  // The test's admin account (psadmin) sets things up; it stands in for an O&M account here.
  const internalUsers = ["aliyun_root", "psadmin"];
  return {
    credentials: [TEST_CREDENTIAL],
    das: {
      instances: [
        { instanceId: RDS, engine: "MySQL", port: dbA.port, internalUsers },
        {
          instanceId: POLAR,
          engine: "PolarDBMySQL",
          nodes: [
            { nodeId: "pi-nodea00000001", port: dbA.port },
            { nodeId: "pi-nodeb00000001", port: dbB.port },
          ],
          internalUsers,
        },
      ],
    },
  };
}

beforeAll(
  async () => {
    [dbA, dbB] = await Promise.all([startTestMariadb("das-service-a"), startTestMariadb("das-service-b")]);
    await Promise.all([createAccounts(dbA, ACCOUNTS), createAccounts(dbB, ACCOUNTS)]);
    cloud = await startLocalCloud(config());
    // DAS is called with region cn-shanghai, as its API reference asks of SDK callers.
    client = new OpenApi(acsConfig(cloud, TEST_CREDENTIAL, "cn-shanghai"));
  },
  20 * 60 * 1000,
);

afterEach(async () => {
  await closeAll(open.splice(0));
});

afterAll(async () => {
  binlog?.stop();
  await cloud?.stop();
  await Promise.all([dbA?.stop(), dbB?.stop()]);
});

interface DasResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

/** The generic callApi with DAS's Params, exactly as a caller without a generated package does. */
async function das(action: string, query: Record<string, unknown>): Promise<DasResponse> {
  const params = new $OpenApiUtil.Params({
    action,
    version: "2020-01-16",
    protocol: "HTTP",
    pathname: "/",
    method: "POST",
    authType: "AK",
    style: "RPC",
    reqBodyType: "formData",
    bodyType: "json",
  });
  const request = new $OpenApiUtil.OpenApiRequest({ query: $OpenApiUtil.default.query(query) });
  return (await client.callApi(params, request, new $dara.RuntimeOptions({}))) as DasResponse;
}

function createTask(query: Record<string, unknown>): Promise<DasResponse> {
  return das("CreateKillInstanceSessionTask", {
    InstanceId: RDS,
    DbUser: "ops",
    DbUserPassword: PW.ops,
    KillAllSessions: true,
    ...query,
  });
}

/** Creates a task and returns its id, failing on anything but a single-id success. */
async function createOne(query: Record<string, unknown>): Promise<string> {
  const res = await createTask(query);
  expect(res.body).toMatchObject({ Code: 200, Success: true });
  expect(res.body.Data).toMatch(/^[0-9a-f]{32}$/);
  return res.body.Data as string;
}

function getResult(instanceId: string, taskId: string, nodeId?: string): Promise<DasResponse> {
  return das("GetKillInstanceSessionTaskResult", { InstanceId: instanceId, TaskId: taskId, NodeId: nodeId });
}

/** Polls until the task leaves RUNNING, as a caller must. */
async function waitTask(instanceId: string, taskId: string, nodeId?: string): Promise<TaskResultData> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await getResult(instanceId, taskId, nodeId);
    expect(res.body).toMatchObject({ Code: 200, Message: "Successful", Success: true });
    const data = res.body.Data as TaskResultData;
    if (data.TaskState !== "RUNNING") return data;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still RUNNING after 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const reasonOf = (data: TaskResultData, id: number) => data.Result.find((r) => r.Id === id)?.Reason;

describe("DAS CreateKillInstanceSessionTask / GetKillInstanceSessionTaskResult", () => {
  test("KillAllSessions ends exactly the unprotected sessions; ignored, O&M and Binlog Dump stay", async () => {
    const app1a = await session(dbA, "app1");
    const app1b = await session(dbA, "app1");
    const app2 = await session(dbA, "app2");
    const root = await session(dbA, "aliyun_root");
    binlog = await startBinlogDump(dbA, "replicator", PW.repl);

    // The API reference's own example writes the array with single quotes.
    const created = await createTask({ IgnoredUsers: "['app2']", SessionIds: `[${app2.id}]` });
    expect(created.statusCode).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(["Code", "Data", "Message", "RequestId", "Success"]);
    expect(created.body).toMatchObject({ Code: 200, Message: "Successful", Success: true });
    expect(created.body.RequestId).toEqual(expect.any(String));
    const taskId = created.body.Data as string;
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);

    // Asynchronous: the first look finds the task still running.
    const first = await getResult(RDS, taskId);
    expect((first.body.Data as TaskResultData).TaskState).toBe("RUNNING");

    const data = await waitTask(RDS, taskId);
    expect(data).toMatchObject({
      TaskId: taskId,
      InstanceId: RDS,
      TaskState: "SUCCESS",
      UserId: expect.stringMatching(/^\d{16}$/),
      KillSuccessCount: 2,
      KillFailCount: 0,
      // app2 (IgnoredUsers), aliyun_root (O&M account), the Binlog Dump thread.
      IgnoredUserSessionCount: 3,
    });
    expect(data.NodeId).toBeUndefined();
    expect(data.Sessions.sort((x, y) => x - y)).toEqual(
      [app1a.id, app1b.id, app2.id, root.id, binlog.threadId].sort((x, y) => x - y),
    );
    expect(reasonOf(data, app1a.id)).toBe("SESSION_KILLED");
    expect(reasonOf(data, app1b.id)).toBe("SESSION_KILLED");
    expect(reasonOf(data, app2.id)).toBe("SESSION_IGNORED_USER");
    expect(reasonOf(data, root.id)).toBe("SESSION_INTERNAL_USER_OR_COMMAND");
    expect(data.Result.find((r) => r.Id === binlog?.threadId)).toMatchObject({
      User: "replicator",
      Command: "Binlog Dump",
      Reason: "SESSION_INTERNAL_USER_OR_COMMAND",
    });

    // From the clients' side.
    expect(await isAlive(app1a)).toBe(false);
    expect(await isAlive(app1b)).toBe(false);
    expect(await isAlive(app2)).toBe(true);
    expect(await isAlive(root)).toBe(true);
    expect(binlog.child.exitCode).toBeNull();
    expect(await threadsWithCommand(dbA, "Binlog Dump")).toContain(binlog.threadId);
  });

  test("SessionIds: only the listed sessions end", async () => {
    const a = await session(dbA, "app1");
    const b = await session(dbA, "app1");
    const c = await session(dbA, "app2");
    const taskId = await createOne({ KillAllSessions: false, SessionIds: JSON.stringify([a.id, c.id]) });
    const data = await waitTask(RDS, taskId);
    expect(data).toMatchObject({
      TaskState: "SUCCESS",
      KillSuccessCount: 2,
      KillFailCount: 0,
      Sessions: [a.id, c.id],
    });
    expect(data.Result.map((r) => [r.Id, r.User, r.Reason])).toEqual([
      [a.id, "app1", "SESSION_KILLED"],
      [c.id, "app2", "SESSION_KILLED"],
    ]);
    expect(await isAlive(a)).toBe(false);
    expect(await isAlive(b)).toBe(true);
    expect(await isAlive(c)).toBe(false);
  });

  test("a wrong DbUserPassword creates a task that ends FAILURE with SESSION_ACCOUNT_ERROR", async () => {
    const a = await session(dbA, "app1");
    const taskId = await createOne({ DbUserPassword: "not-the-password" });
    const data = await waitTask(RDS, taskId);
    expect(data).toMatchObject({ TaskState: "FAILURE", KillSuccessCount: 0, KillFailCount: 1 });
    expect(data.Result[0]).toMatchObject({
      Reason: "SESSION_ACCOUNT_ERROR",
      Info: expect.stringMatching(/Access denied for user 'ops'/),
    });
    expect(await isAlive(a)).toBe(true);
  });

  test("an account without the privilege gets SESSION_NO_PERMISSION and ends nothing", async () => {
    const a = await session(dbA, "app1");
    const taskId = await createOne({
      DbUser: "nopriv",
      DbUserPassword: PW.nopriv,
      KillAllSessions: false,
      SessionIds: `[${a.id}]`,
    });
    const data = await waitTask(RDS, taskId);
    expect(data).toMatchObject({ TaskState: "FAILURE", KillFailCount: 1 });
    expect(data.Result[0]).toMatchObject({ Id: a.id, Reason: "SESSION_NO_PERMISSION" });
    expect(await isAlive(a)).toBe(true);
  });

  test("PolarDB without NodeId: one task per node, Data a JSON array of ids", async () => {
    const onA = await session(dbA, "app1");
    const onB = await session(dbB, "app1");
    const created = await createTask({ InstanceId: POLAR });
    expect(created.body).toMatchObject({ Code: 200, Success: true });
    expect(typeof created.body.Data).toBe("string");
    const ids = JSON.parse(created.body.Data as string) as string[];
    expect(ids).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/), expect.stringMatching(/^[0-9a-f]{32}$/)]);

    const a = await waitTask(POLAR, ids[0], "pi-nodea00000001");
    const b = await waitTask(POLAR, ids[1], "pi-nodeb00000001");
    expect(a).toMatchObject({ NodeId: "pi-nodea00000001", TaskState: "SUCCESS" });
    expect(b).toMatchObject({ NodeId: "pi-nodeb00000001", TaskState: "SUCCESS" });
    expect(reasonOf(a, onA.id)).toBe("SESSION_KILLED");
    expect(reasonOf(b, onB.id)).toBe("SESSION_KILLED");
    expect(await isAlive(onA)).toBe(false);
    expect(await isAlive(onB)).toBe(false);
    // The O&M account's session and the Binlog Dump thread on node A were spared again.
    expect(binlog?.child.exitCode).toBeNull();

    // A PolarDB task is looked up with its node.
    const noNode = await getResult(POLAR, ids[0]);
    expect(noNode.statusCode).toBe(200);
    expect(noNode.body).toMatchObject({
      Code: 400,
      Success: false,
      Message: expect.stringMatching(/^InvalidParams: /),
    });
    const wrongNode = await getResult(POLAR, ids[0], "pi-nodeb00000001");
    expect(wrongNode.body).toMatchObject({
      Success: false,
      Message: expect.stringMatching(/^InvalidParams: /),
    });
  });

  test("PolarDB with NodeId: that node only, Data a single id", async () => {
    const onA = await session(dbA, "app1");
    const onB = await session(dbB, "app1");
    const taskId = await createOne({ InstanceId: POLAR, NodeId: "pi-nodeb00000001" });
    const data = await waitTask(POLAR, taskId, "pi-nodeb00000001");
    expect(data).toMatchObject({ NodeId: "pi-nodeb00000001", TaskState: "SUCCESS" });
    expect(await isAlive(onA)).toBe(true);
    expect(await isAlive(onB)).toBe(false);
  });

  test.each([
    ["an unknown instance", { InstanceId: "rm-doesnotexist" }, /does not exist/],
    ["a node outside the cluster", { InstanceId: POLAR, NodeId: "pi-elsewhere" }, /does not belong/],
    ["a NodeId on RDS", { NodeId: "pi-nodea00000001" }, /does not belong/],
    [
      "PolarDB without NodeId and KillAllSessions=false",
      { InstanceId: POLAR, KillAllSessions: false, SessionIds: "[1]" },
      /NodeId must be specified/,
    ],
  ])("%s: HTTP 200, Success false, InvalidParams", async (_label, query, detail) => {
    const res = await createTask(query);
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["Code", "Message", "RequestId", "Success"]);
    expect(res.body).toMatchObject({ Code: 400, Success: false });
    expect(res.body.Message).toMatch(/^InvalidParams: /);
    expect(res.body.Message).toMatch(detail);
  });

  test("an unknown task: HTTP 200, Success false", async () => {
    const res = await getResult(RDS, "0123456789abcdef0123456789abcdef");
    expect(res.body).toMatchObject({
      Code: 400,
      Success: false,
      Message: expect.stringMatching(/does not exist/),
    });
  });

  test.each([
    ["no DbUser", { DbUser: undefined }, /DbUser is required/],
    ["KillAllSessions not a boolean", { KillAllSessions: "yes" }, /KillAllSessions must be true or false/],
    ["SessionIds not JSON", { KillAllSessions: false, SessionIds: "1,2" }, /SessionIds must be a JSON array/],
    ["neither KillAllSessions nor SessionIds", { KillAllSessions: false }, /SessionIds must list/],
  ])("%s: HTTP 400 InvalidParams", async (_label, query, detail) => {
    const e = await acsError(createTask(query));
    expect(e).toMatchObject({ name: "ClientError", code: "InvalidParams", statusCode: 400 });
    expect(e.data).toMatchObject({ Code: "InvalidParams", Message: expect.stringMatching(detail) });
  });

  test("a missing TaskId is HTTP 400 InvalidParams", async () => {
    const e = await acsError(das("GetKillInstanceSessionTaskResult", { InstanceId: RDS }));
    expect(e).toMatchObject({ code: "InvalidParams", statusCode: 400 });
  });

  test("the admin API shows the tasks, never the password", async () => {
    const res = await fetch(`${cloud.url}/_admin/sessions`, {
      headers: { authorization: `Bearer ${cloud.adminToken}` },
    });
    const body = (await res.json()) as { das: Array<{ taskId: string; state: string }> };
    expect(body.das.length).toBeGreaterThan(0);
    expect(body.das[0]).toMatchObject({ taskId: expect.any(String), instanceId: RDS });
    expect(JSON.stringify(body)).not.toContain(PW.ops);
  });
});

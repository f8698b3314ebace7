/**
 * alicloud.KillInstanceSessionTask under the real engine, against the local cloud's DAS backed by
 * a real MariaDB server: the program drains the database as a user would write it, and the test
 * checks from the client side which connections died.
 */
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import {
  closeAll,
  createAccounts,
  isAlive,
  openSession,
  startBinlogDump,
  startTestMariadb,
  testAccount,
  threadsWithCommand,
  type BinlogDump,
  type ClientSession,
  type TestMariadb,
} from "../../emulator/services/das/testing/mariadb";
import { TestStack, uniqueSuffix } from "../support/harness";

// Engine runs take tens of seconds each; the e2e project's testTimeout is not applied per project.
jest.setTimeout(600_000);

const TYPE = "pulumi-nodejs:dynamic/alicloud:KillInstanceSessionTask";
const CREDENTIAL = { accessKeyId: "LTAIkilltaske2e01", accessKeySecret: "kill-task-e2e-secret" };

const sfx = uniqueSuffix();
const INSTANCE_ID = `rm-e2ekill${sfx}`;
const account = (name: string, grants?: string) => testAccount(name, sfx, grants);
const OPS = account("ops", "PROCESS, CONNECTION ADMIN");
const APP1 = account("app1");
const APP2 = account("app2");
const KEEPER = account("keeper");
const REPL = account("repl", "REPLICATION SLAVE");
const WRONG_PASSWORD = `not-the-password-${sfx}`;

interface RequestRow {
  service: string | null;
  action: string | null;
}

let db: TestMariadb;
let cloud: LocalCloud;
let admin: AdminClient;
let dump: BinlogDump;
const opened: ClientSession[] = [];

async function open(acc: { user: string; password: string }): Promise<ClientSession> {
  const session = await openSession(db, acc.user, acc.password);
  opened.push(session);
  return session;
}

/** Open sessions of every kind the drain must tell apart. */
async function openWorkload() {
  return {
    apps: [await open(APP1), await open(APP1), await open(APP2)],
    keeper: await open(KEEPER),
  };
}

async function aliveMap(sessions: ClientSession[]): Promise<boolean[]> {
  return Promise.all(sessions.map(isAlive));
}

async function dasCalls(): Promise<RequestRow[]> {
  return (await admin.requests()).filter((r) => r.service === "das");
}

function stackConfig(password: string) {
  return {
    config: {
      "sessions:localCloud": cloud.url,
      "alicloud:accessKey": CREDENTIAL.accessKeyId,
      "drain:instanceId": INSTANCE_ID,
      "drain:dbUser": OPS.user,
      "drain:ignoredUsers": JSON.stringify([KEEPER.user]),
      "drain:release": "v1",
      "drain:sessionIds": JSON.stringify([999_999]),
    },
    secrets: { "alicloud:secretKey": CREDENTIAL.accessKeySecret, "drain:dbPassword": password },
  };
}

beforeAll(async () => {
  db = await startTestMariadb("kill-task-e2e");
  await createAccounts(db, [OPS, APP1, APP2, KEEPER, REPL]);
  cloud = await startLocalCloud({
    credentials: [CREDENTIAL],
    das: { instances: [{ instanceId: INSTANCE_ID, engine: "MySQL", host: db.host, port: db.port }] },
  });
  admin = new AdminClient(cloud);
  dump = await startBinlogDump(db, REPL.user, REPL.password);
});

afterAll(async () => {
  dump?.stop();
  await closeAll(opened);
  await cloud?.stop();
  // The server is private to this file (its own folder and port): stop it, Binlog Dump thread included.
  await db?.stop();
});

describe("a drain before a migration", () => {
  let stack: TestStack;
  let workload: Awaited<ReturnType<typeof openWorkload>>;

  beforeAll(async () => {
    stack = await TestStack.create({ program: "kill-sessions", ...stackConfig(OPS.password) });
    workload = await openWorkload();
  });

  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview plans the task and touches nothing", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    const step = preview.steps.find((s) => s.newState?.type === TYPE);
    expect(step?.op).toBe("create");
    // The program lists a session id next to killAllSessions: valid, ignored, and warned about.
    const warning = preview.diagnostics?.find((d) => d.message.includes("sessionIds is ignored"));
    expect(warning).toMatchObject({ severity: "warning", urn: step!.urn });
    expect(await aliveMap([...workload.apps, workload.keeper])).toEqual([true, true, true, true]);
    expect(await dasCalls()).toEqual([]);
  });

  test("up kills exactly the application sessions; the ignored user and the Binlog Dump survive", async () => {
    await admin.clearRequests();
    const up = await stack.up();
    expect(await aliveMap(workload.apps)).toEqual([false, false, false]);
    expect(await isAlive(workload.keeper)).toBe(true);
    expect(await threadsWithCommand(db, "Binlog Dump")).toContain(dump.threadId);
    expect(dump.child.exitCode).toBeNull();

    const outputs = await stack.outputs();
    const appIds = workload.apps.map((s) => s.id).sort((a, b) => a - b);
    expect([...(outputs.killedSessionIds as number[])].sort((a, b) => a - b)).toEqual(appIds);
    expect(outputs).toMatchObject({
      state: "SUCCESS",
      killSuccessCount: 3,
      killFailCount: 0,
      ignoredSessionCount: 2,
    });
    const tasks = outputs.tasks as Array<{ taskId: string; sessions: Array<{ id: number; reason: string }> }>;
    expect(outputs.taskIds).toEqual([tasks[0].taskId]);
    const reasonOf = (id: number) => tasks[0].sessions.find((r) => r.id === id)?.reason;
    expect(reasonOf(workload.keeper.id)).toBe("SESSION_IGNORED_USER");
    expect(reasonOf(dump.threadId)).toBe("SESSION_INTERNAL_USER_OR_COMMAND");
    for (const id of appIds) expect(reasonOf(id)).toBe("SESSION_KILLED");

    const calls = (await dasCalls()).map((r) => r.action);
    expect(calls[0]).toBe("CreateKillInstanceSessionTask");
    expect(calls.filter((a) => a === "CreateKillInstanceSessionTask")).toHaveLength(1);
    // The waiter polled until the task was final (the local DAS reports RUNNING first).
    expect(calls.filter((a) => a === "GetKillInstanceSessionTaskResult").length).toBeGreaterThanOrEqual(2);
    expect(`${up.stdout}${up.stderr}`).not.toContain(OPS.password);
  });

  test("the password is a secret: nowhere in plaintext in stack export or the state file", async () => {
    const [resource] = await stack.resourcesOfType(TYPE);
    expect(resource.additionalSecretOutputs).toContain("dbUserPassword");
    expect(await stack.exportText()).not.toContain(OPS.password);
    expect(stack.rawState()).not.toContain(OPS.password);
  });

  test("a second up with the same triggers kills nothing", async () => {
    const fresh = await open(APP1);
    await admin.clearRequests();
    await stack.up();
    expect(await isAlive(fresh)).toBe(true);
    expect((await dasCalls()).map((r) => r.action)).not.toContain("CreateKillInstanceSessionTask");
  });

  test("changing triggers shows a replacement in preview and runs the kill again on up", async () => {
    const before = (await stack.outputs()).taskIds as string[];
    const again = [await open(APP2), await open(APP1)];
    await stack.setConfig("drain:release", "v2");

    await admin.clearRequests();
    const preview = await stack.preview();
    const step = preview.steps.find((s) => s.urn.endsWith("::drain") && s.op !== "same");
    expect(step?.op).toBe("replace");
    expect(`${preview.stdout}${preview.stderr}`).toContain("replacing it runs the kill again");
    expect(await aliveMap(again)).toEqual([true, true]);
    expect((await dasCalls()).map((r) => r.action)).not.toContain("CreateKillInstanceSessionTask");

    await stack.up();
    expect(await aliveMap(again)).toEqual([false, false]);
    expect(await isAlive(workload.keeper)).toBe(true);
    expect((await dasCalls()).filter((r) => r.action === "CreateKillInstanceSessionTask")).toHaveLength(1);
    const outputs = await stack.outputs();
    expect(outputs.taskIds).not.toEqual(before);
    expect(outputs.killSuccessCount).toBeGreaterThanOrEqual(2);
    expect(outputs.killedSessionIds).toEqual(expect.arrayContaining(again.map((s) => s.id)));
  });

  test("destroy calls no kill and says killed sessions cannot come back", async () => {
    const bystander = await open(APP1);
    await admin.clearRequests();
    const result = await stack.destroy();
    expect(await dasCalls()).toEqual([]);
    expect(await isAlive(bystander)).toBe(true);
    expect(`${result.stdout}${result.stderr}`).toContain("Killed sessions cannot come back");
    expect(await stack.resourcesOfType(TYPE)).toEqual([]);
  });
});

describe("a wrong database password", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.create({ program: "kill-sessions", ...stackConfig(WRONG_PASSWORD) });
  });

  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("fails the update with the reason in plain words, kills nothing, and keeps the password secret", async () => {
    const victims = [await open(APP1), await open(APP2)];
    const up = await stack.up({ allowFailure: true });
    const text = `${up.stdout}\n${up.stderr}`;
    expect(up.code).not.toBe(0);
    expect(text).toContain("did not fully succeed");
    expect(text).toContain("DAS could not log in: dbUser or dbUserPassword is wrong [SESSION_ACCOUNT_ERROR]");
    expect(text).toContain("Access denied for user");
    expect(text).toContain("check dbUser and dbUserPassword");
    expect(text).not.toContain(WRONG_PASSWORD);
    expect(await aliveMap(victims)).toEqual([true, true]);

    // The failed task is recorded (nothing created is forgotten), with the password still secret.
    const [resource] = await stack.resourcesOfType(TYPE);
    expect(resource.outputs).toMatchObject({ state: "FAILURE", killFailCount: 1 });
    expect(await stack.exportText()).not.toContain(WRONG_PASSWORD);
    expect(stack.rawState()).not.toContain(WRONG_PASSWORD);
  });

  test("fixing the password runs the kill again on the next up", async () => {
    const victims = [await open(APP1)];
    await stack.setConfig("drain:dbPassword", OPS.password, true);
    await admin.clearRequests();
    await stack.up();
    expect(await aliveMap(victims)).toEqual([false]);
    expect((await dasCalls()).filter((r) => r.action === "CreateKillInstanceSessionTask")).toHaveLength(1);
    expect((await stack.outputs()).state).toBe("SUCCESS");
  });
});

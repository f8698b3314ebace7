/**
 * `--state-dir` keeps the services' records: the store's file (atomic, 0600, debounced, refused
 * when unreadable), and a local cloud stopped and started again on the same folder, driven by the
 * official SDKs: ECS and SSM sessions, a DAS task and an inventory change are all still there.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import {
  DescribeSessionsCommand,
  SSMClient,
  StartSessionCommand,
  TerminateSessionCommand,
} from "@aws-sdk/client-ssm";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminClient } from "../admin/client";
import type { LocalCloudConfigInput } from "../config";
import { StateDirError } from "../security/stateDir";
import { startLocalCloud, type LocalCloud } from "../server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../testing/alibaba";
import { STATE_FILE, StateStore, type PersistentPart } from "./store";

const REGION = "cn-hangzhou";
const AWS_REGION = "us-east-1";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pulumi-sessions-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A part holding one value, counting how often it was asked for it. */
function part(value: unknown): PersistentPart & { saves: number; restored: unknown[] } {
  const p = {
    saves: 0,
    restored: [] as unknown[],
    save: () => {
      p.saves++;
      return value;
    },
    restore: (saved: unknown) => void p.restored.push(saved),
  };
  return p;
}

describe("StateStore", () => {
  test("round trip: what parts save is what they get back, through one 0600 file", async () => {
    const file = join(dir, STATE_FILE);
    const store = new StateStore(file, { debounceMs: 20 });
    const ecs = part({ sessions: [{ id: "s-1", createdAt: "2026-01-01T00:00:00.000Z" }] });
    const das = part({ tasks: [] });
    store.add("ecs", ecs);
    store.add("das", das);
    store.restore(store.read());
    expect(ecs.restored).toEqual([]); // no file yet: nothing to take back

    // Changes that come together are written once, after the debounce.
    store.changed();
    store.changed();
    store.changed();
    expect(ecs.saves).toBe(0);
    await sleep(80);
    expect(ecs.saves).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([STATE_FILE]); // the temporary file was renamed over it

    const again = new StateStore(file);
    const ecs2 = part(null);
    const das2 = part(null);
    again.add("ecs", ecs2);
    again.add("das", das2);
    again.restore(again.read());
    expect(ecs2.restored).toEqual([{ sessions: [{ id: "s-1", createdAt: "2026-01-01T00:00:00.000Z" }] }]);
    expect(das2.restored).toEqual([{ tasks: [] }]);
  });

  test("nothing is written before restore (the file is not yet read) nor after close", async () => {
    const file = join(dir, STATE_FILE);
    writeFileSync(file, JSON.stringify({ version: 1, savedAt: "x", parts: { ecs: "old" } }), { mode: 0o600 });
    const store = new StateStore(file, { debounceMs: 5 });
    const ecs = part("new");
    store.add("ecs", ecs);
    store.changed();
    store.flush();
    await sleep(20);
    expect(ecs.saves).toBe(0);
    store.restore(store.read());
    expect(ecs.restored).toEqual(["old"]);
    store.close();
    expect(ecs.saves).toBe(1);
    store.changed();
    await sleep(20);
    expect(ecs.saves).toBe(1);
  });

  test.each([
    ["not JSON", "{", /is not JSON/],
    ["another format version", JSON.stringify({ version: 99, savedAt: "x", parts: {} }), /format version 1/],
  ])("a file that is %s is refused with what to do", (_what, text, why) => {
    const file = join(dir, STATE_FILE);
    writeFileSync(file, text, { mode: 0o600 });
    const store = new StateStore(file);
    expect(() => store.read()).toThrow(StateDirError);
    expect(() => store.read()).toThrow(why);
    expect(() => store.read()).toThrow(/Move it away to start with an empty local cloud/);
  });

  test("a part that does not read back is refused, naming the part", () => {
    const file = join(dir, STATE_FILE);
    const store = new StateStore(file);
    store.add("ecs", {
      save: () => null,
      restore: () => {
        throw new Error("bad record");
      },
    });
    expect(() => store.restore({ ecs: {} })).toThrow(/"ecs" part does not read back \(Error: bad record\)/);
  });

  test("a file other users may read is refused", () => {
    const file = join(dir, STATE_FILE);
    writeFileSync(file, JSON.stringify({ version: 1, savedAt: "x", parts: {} }));
    chmodSync(file, 0o644);
    expect(() => new StateStore(file).read()).toThrow(/may be read by other users \(mode 644\)/);
  });
});

describe("StateStore writes", () => {
  test("many changes in one debounce period make one write", async () => {
    const writes: string[] = [];
    const store = new StateStore(join(dir, STATE_FILE), {
      debounceMs: 10,
      write: (_f, text) => writes.push(text),
    });
    store.add("ecs", part({ n: 1 }));
    store.restore(undefined);
    for (let i = 0; i < 1000; i++) store.changed();
    await sleep(40);
    expect(writes).toHaveLength(1);
    store.changed();
    await sleep(40);
    expect(writes).toHaveLength(2);
  });

  test("a write that fails (ENOSPC) is reported in one line and in status(), never thrown; the next change retries", async () => {
    const reports: string[] = [];
    let failing = true;
    const file = join(dir, STATE_FILE);
    const store = new StateStore(file, {
      debounceMs: 5,
      onWriteError: (line) => reports.push(line),
      write: (f, text) => {
        if (failing)
          throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        writeFileSync(f, text, { mode: 0o600 });
      },
    });
    store.add("ecs", part({ secret: "s3cr3t-value" }));
    store.restore(undefined);
    store.changed();
    await sleep(30); // the timer's write failed: had it thrown, the test process would have
    expect(reports).toEqual([
      `[local-cloud] could not save ${file} (ENOSPC): the sessions go on; the next change tries again.`,
    ]);
    expect(store.status().lastError).toMatchObject({
      code: "ENOSPC",
      message: "ENOSPC: no space left on device, write",
    });
    expect(() => store.close()).not.toThrow(); // the last write at stop fails the same way, reported too
    expect(reports).toHaveLength(2);

    const again = new StateStore(file, {
      debounceMs: 5,
      onWriteError: (line) => reports.push(line),
      write: (f, t) => {
        if (failing) throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
        writeFileSync(f, t, { mode: 0o600 });
      },
    });
    again.add("ecs", part({ n: 2 }));
    again.restore(undefined);
    again.changed();
    await sleep(30);
    expect(again.status().lastError?.code).toBe("EACCES");
    failing = false;
    again.changed();
    await sleep(30);
    expect(again.status().lastError).toBeUndefined();
    expect(again.status().savedAt).toEqual(expect.any(String));
    expect(JSON.parse(readFileSync(file, "utf8")).parts).toEqual({ ecs: { n: 2 } });
    expect(reports.join("\n")).not.toContain("s3cr3t-value");
  });

  test("a local cloud whose state file cannot be written keeps serving, and says so in /_admin/health", async () => {
    const lines: string[] = [];
    const cloud = await startLocalCloud(
      { stateDir: join(dir, "state"), credentials: [TEST_CREDENTIAL] },
      { log: (line) => lines.push(line) },
    );
    try {
      const admin = new AdminClient(cloud);
      const file = join(dir, "state", STATE_FILE);
      // A folder where the file goes: the rename over it fails, whoever runs the test.
      mkdirSync(join(file, "blocker"), { recursive: true });
      await admin.addInventory({ ssm: { targets: [{ target: "i-0bbb", region: AWS_REGION }] } });
      await sleep(300);
      expect(lines.filter((l) => l.includes("could not save"))).toHaveLength(1);
      const health = await admin.health();
      expect(health.ok).toBe(true);
      expect(health.state?.lastError?.code).toMatch(/^E[A-Z]+$/);
      expect(
        (await callRpc(openApiClient(cloud), "DescribeTerminalSessions", { RegionId: REGION })).statusCode,
      ).toBe(200);

      rmSync(file, { recursive: true });
      await admin.addInventory({ ssm: { targets: [{ target: "i-0ccc", region: AWS_REGION }] } });
      await sleep(300);
      expect((await admin.health()).state?.lastError).toBeUndefined();
      expect(readFileSync(file, "utf8")).toContain("i-0ccc");
    } finally {
      await cloud.stop();
    }
  });
});

describe("a local cloud restarted on the same state dir", () => {
  const OTHER = { accessKeyId: "AKIAOTHERKEY00001", accessKeySecret: "other-secret" };
  const config = (stateDir: string): LocalCloudConfigInput => ({
    stateDir,
    credentials: [TEST_CREDENTIAL],
    ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] },
    ssm: { targets: [{ target: "i-0aaa", region: AWS_REGION }] },
    // No port: a task on it ends ERROR at once, without a database server.
    das: { instances: [{ instanceId: "rm-noport", engine: "MySQL" }] },
  });
  const ssm = (cloud: LocalCloud, cred = TEST_CREDENTIAL) =>
    new SSMClient({
      region: AWS_REGION,
      endpoint: cloud.url,
      credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.accessKeySecret },
      maxAttempts: 1,
    });
  const describeEcs = async (cloud: LocalCloud, sessionId: string) =>
    (
      (
        await callRpc(openApiClient(cloud), "DescribeTerminalSessions", {
          RegionId: REGION,
          SessionId: sessionId,
        })
      ).body as { Sessions: { Session: Array<{ SessionId: string; Connections: unknown }> } }
    ).Sessions.Session;

  let clouds: LocalCloud[] = [];
  afterEach(async () => {
    await Promise.all(clouds.map((c) => c.stop()));
    clouds = [];
  });
  const start = async (input: LocalCloudConfigInput) => {
    const cloud = await startLocalCloud(input);
    clouds.push(cloud);
    return cloud;
  };

  test("ECS and SSM sessions, DAS tasks and inventory changes are all still there; ending works", async () => {
    const first = await start(config(dir));
    const started = await callRpc(openApiClient(first), "StartTerminalSession", {
      RegionId: REGION,
      "InstanceId.1": "i-1",
      CommandLine: "echo hi",
      ClientToken: "restart-token-1",
    });
    const ecsId = started.body.SessionId as string;
    const ssmId = (await ssm(first).send(new StartSessionCommand({ Target: "i-0aaa" }))).SessionId!;
    const task = await callRpc(
      openApiClient(first),
      "CreateKillInstanceSessionTask",
      { InstanceId: "rm-noport", DbUser: "ops", DbUserPassword: "pw", KillAllSessions: true },
      { version: "2020-01-16" },
    );
    const taskId = task.body.Data as string;
    await new AdminClient(first).addInventory({
      credentials: [OTHER],
      ecs: { instances: [{ instanceId: "i-added", regionId: REGION }] },
    });
    await first.stop();
    // The password reached DAS but is never written down.
    expect(readFileSync(join(dir, STATE_FILE), "utf8")).not.toContain('"pw"');

    const second = await start(config(dir));
    // ECS: the session is found, still open; the same ClientToken hands back the same session.
    expect((await describeEcs(second, ecsId)).map((s) => s.SessionId)).toEqual([ecsId]);
    const replay = await callRpc(openApiClient(second), "StartTerminalSession", {
      RegionId: REGION,
      "InstanceId.1": "i-1",
      CommandLine: "echo hi",
      ClientToken: "restart-token-1",
    });
    expect(replay.body.SessionId).toBe(ecsId);
    // SSM: active, and found by the key that started it.
    const active = await ssm(second).send(new DescribeSessionsCommand({ State: "Active" }));
    expect(active.Sessions?.map((s) => [s.SessionId, s.Status])).toEqual([[ssmId, "Connecting"]]);
    // DAS: the task's result reads back (once past the 300 ms a task always shows RUNNING).
    await sleep(350);
    const result = await callRpc(
      openApiClient(second),
      "GetKillInstanceSessionTaskResult",
      { InstanceId: "rm-noport", TaskId: taskId },
      { version: "2020-01-16" },
    );
    expect((result.body.Data as { TaskState: string }).TaskState).toBe("ERROR");
    // The admin API's inventory change was applied again over the config: the added key works.
    const inventory = (await new AdminClient(second).inventory()) as {
      ecs: { instances: Array<{ instanceId: string }> };
    };
    expect(inventory.ecs.instances.map((i) => i.instanceId)).toEqual(["i-1", "i-added"]);
    // A key of the same (default) account sees the session too.
    const seen = await ssm(second, OTHER).send(new DescribeSessionsCommand({ State: "Active" }));
    expect(seen.Sessions?.map((s) => s.SessionId)).toEqual([ssmId]);

    // Ending after the restart, then once more: the ends are kept too.
    await callRpc(openApiClient(second), "EndTerminalSession", { RegionId: REGION, SessionId: ecsId });
    await ssm(second).send(new TerminateSessionCommand({ SessionId: ssmId }));
    await second.stop();
    const third = await start(config(dir));
    expect((await describeEcs(third, ecsId)).map((s) => s.SessionId)).toEqual([ecsId]);
    const ecsRecords = (await new AdminClient(third).sessions()).ecs as Array<{
      sessionId: string;
      state: string;
    }>;
    expect(ecsRecords.find((s) => s.sessionId === ecsId)?.state).toBe("Ended");
    const history = await ssm(third).send(new DescribeSessionsCommand({ State: "History" }));
    expect(history.Sessions?.map((s) => [s.SessionId, s.Status])).toEqual([[ssmId, "Terminated"]]);
  });

  test("without a state dir a restart forgets everything", async () => {
    const { stateDir: _none, ...memoryOnly } = config(dir);
    const first = await start(memoryOnly);
    await ssm(first).send(new StartSessionCommand({ Target: "i-0aaa" }));
    await first.stop();
    const second = await start(memoryOnly);
    expect((await ssm(second).send(new DescribeSessionsCommand({ State: "Active" }))).Sessions).toEqual([]);
  });
});

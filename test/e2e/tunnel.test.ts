/**
 * Tunnels under the real engine, per cloud, with a real MariaDB that only the local cloud's data
 * plane reaches, and downstream dynamic resources (a database and a user each, made with mysql2)
 * that talk to it through the tunnel's host and port only:
 *
 *   up with 20 databases at once, an up that removes 19 (their deletes run after the program
 *   has finished), refresh (reads through the tunnel; one database dropped out of band goes),
 *   destroy (without --run-program), a downstream failure, SIGINT once and twice, and a plugin
 *   killed mid-up whose session the next run ends.
 *
 * After every command: no live session in the local cloud and nothing listening on the port.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import {
  MARIADB_ADMIN,
  startTestMariadb,
  type TestMariadb,
} from "../../emulator/services/das/testing/mariadb";
import { TestStack, uniqueSuffix } from "../support/harness";
import { programRoot, workRoot } from "../support/paths";
import { pluginFolder } from "../support/installedPackage";
import { liveSessions as liveSessionsOf } from "../support/liveSessions";
import { listening } from "../support/ports";

jest.setTimeout(600_000);

const ALI_REGION = "cn-hangzhou";
const AWS_REGION = "us-west-2";
const ALI = { accessKeyId: "LTAItunnele2e00001", accessKeySecret: "tunnel-e2e-ali-secret" };
const AWS = { accessKeyId: "AKIATUNNELE2E00001", accessKeySecret: "tunnel-e2e-aws-secret" };
const INSTANCE = "i-tunnele2e000001";
const TARGET = "i-0tunnele2e00001";

let db: TestMariadb;
let cloud: LocalCloud;
let admin: AdminClient;
/** A folder holding the plugin as `npm install` links it, named in the programs' Pulumi.yaml. */
let pluginDir: string;

beforeAll(async () => {
  db = await startTestMariadb("tunnel-e2e");
  cloud = await startLocalCloud({
    credentials: [ALI, AWS],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: ALI_REGION }] },
    ssm: { targets: [{ target: TARGET, region: AWS_REGION }] },
  });
  admin = new AdminClient(cloud);
  pluginDir = pluginFolder(workRoot(), programRoot());
});

afterAll(async () => {
  await cloud?.stop();
  await db?.stop();
  if (pluginDir) fs.rmSync(pluginDir, { recursive: true, force: true });
});

/** Every session (or running kill task) the local cloud still considers live. */
const liveSessions = () => liveSessionsOf(admin);

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function schemas(prefix: string): Promise<string[]> {
  const conn = await db.admin();
  try {
    const [rows] = await conn.query(
      "SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
      [`${prefix}\\_%`],
    );
    return (rows as Array<{ s: string }>).map((r) => r.s).sort();
  } finally {
    await conn.end();
  }
}

async function tunnelStack(
  cloudName: "aws" | "alicloud",
  extra: Record<string, string> = {},
  { plugin = true } = {},
) {
  const prefix = `t${uniqueSuffix()}`
    .replace(/[^a-z0-9]/gi, "")
    .slice(0, 20)
    .toLowerCase();
  const journal = fs.mkdtempSync(path.join(workRoot(), "tunnel-journal-"));
  const stack = await TestStack.create({
    program: "tunnel",
    config: {
      "sessions:localCloud": cloud.url,
      "e2e:cloud": cloudName,
      "e2e:target": cloudName === "aws" ? TARGET : INSTANCE,
      "e2e:dbPort": String(db.port),
      "e2e:dbUser": MARIADB_ADMIN.user,
      "e2e:prefix": prefix,
      ...(cloudName === "aws"
        ? { "aws:region": AWS_REGION, "aws:accessKey": AWS.accessKeyId }
        : { "alicloud:region": ALI_REGION, "alicloud:accessKey": ALI.accessKeyId }),
      ...extra,
    },
    secrets: {
      "e2e:dbPassword": MARIADB_ADMIN.password,
      ...(cloudName === "aws"
        ? { "aws:secretKey": AWS.accessKeySecret }
        : { "alicloud:secretKey": ALI.accessKeySecret }),
    },
    env: { PULUMI_SESSIONS_TUNNEL_JOURNAL: journal },
  });
  // As docs/tunnels.md tells a user: the plugin from the installed package.
  if (plugin)
    fs.appendFileSync(
      path.join(stack.programDir, "Pulumi.yaml"),
      `plugins:\n  providers:\n    - name: sessions\n      path: ${pluginDir}\n`,
    );
  return { stack, prefix, journal };
}

/** Starts `pulumi up` and returns the child, to signal it. */
function startUp(stack: TestStack) {
  const child = spawn(
    "pulumi",
    ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.stackName],
    {
      cwd: stack.programDir,
      env: stack.cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe.each(["aws", "alicloud"] as const)("%s tunnel", (cloudName) => {
  let stack: TestStack;
  let prefix: string;
  let port: number;

  beforeAll(async () => {
    ({ stack, prefix } = await tunnelStack(cloudName, { "e2e:databases": "20" }));
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("up: 20 databases made at once through one tunnel; then no session is left and the port is closed", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    port = outputs.port as number;
    expect(outputs.host).toBe("127.0.0.1");
    expect(port).not.toBe(db.port);
    expect(await schemas(prefix)).toEqual(Array.from({ length: 20 }, (_, i) => `${prefix}_${i}`).sort());
    expect(await liveSessions()).toEqual([]);
    expect(await listening(port)).toBe(false);
    // The tunnel provider's keys and the database password are secrets in state.
    const raw = stack.rawState();
    for (const secret of [AWS.accessKeySecret, ALI.accessKeySecret, MARIADB_ADMIN.password])
      expect(raw).not.toContain(secret);
  });

  test("an up that removes 19 databases: their deletes, after the program ended, go through the tunnel", async () => {
    await stack.setConfig("e2e:databases", "1");
    await stack.up();
    expect(await schemas(prefix)).toEqual([`${prefix}_0`]);
    expect((await stack.outputs()).port).toBe(port);
    expect(await liveSessions()).toEqual([]);
    expect(await listening(port)).toBe(false);
  });

  test("refresh reads through the tunnel: a database dropped out of band leaves the state", async () => {
    await stack.setConfig("e2e:databases", "2");
    await stack.up();
    const conn = await db.admin();
    await conn.query(`DROP DATABASE \`${prefix}_1\``);
    await conn.end();
    await stack.refresh();
    const left = (await stack.resources())
      .filter((r) => r.type === "pulumi-nodejs:dynamic:Resource")
      .map((r) => r.id);
    expect(left).toEqual([`${prefix}_0`]);
    expect(await liveSessions()).toEqual([]);
    expect(await listening(port)).toBe(false);
  });

  test("destroy, without --run-program, deletes through the tunnel", async () => {
    await stack.destroy();
    expect(await schemas(prefix)).toEqual([]);
    expect(await liveSessions()).toEqual([]);
    expect(await listening(port)).toBe(false);
  });
});

describe("preview (aws)", () => {
  test("without the plugin in Pulumi.yaml, the program says how to add it before registering anything", async () => {
    const { stack } = await tunnelStack("aws", {}, { plugin: false });
    try {
      await admin.clearRequests();
      const preview = await stack.preview({ allowFailure: true });
      expect(preview.code).not.toBe(0);
      expect(`${preview.stdout}${preview.stderr}`).toContain(
        "plugins: { providers: [{ name: sessions, path: node_modules/.bin }] }",
      );
      expect(await admin.requests()).toEqual([]);
    } finally {
      stack.cleanup();
    }
  });

  const startSessions = async () => (await admin.requests()).filter((r) => r.action === "StartSession");

  test("a bad tunnel input fails at preview, naming the field and the rule, before any API call", async () => {
    const { stack } = await tunnelStack("aws", { "e2e:localPort": "70000" });
    try {
      await admin.clearRequests();
      const preview = await stack.preview({ allowFailure: true });
      expect(preview.code).not.toBe(0);
      expect(`${preview.stdout}${preview.stderr}`).toContain(
        "awsTunnel.localPort: localPort must be at most 65535",
      );
      expect(await admin.requests()).toEqual([]);
    } finally {
      stack.cleanup();
    }
  });

  test("preview starts a session only with openOnPreview, and leaves none", async () => {
    const { stack, prefix } = await tunnelStack("aws", { "e2e:databases": "1" });
    try {
      await admin.clearRequests();
      await stack.preview();
      expect(await startSessions()).toEqual([]);
      await stack.setConfig("e2e:openOnPreview", "true");
      await stack.preview();
      expect(await startSessions()).toHaveLength(1);
      expect(await liveSessions()).toEqual([]);
      expect(await schemas(prefix)).toEqual([]);
    } finally {
      stack.cleanup();
    }
  });
});

describe("when things go wrong (aws)", () => {
  test("a downstream failure mid-up: the up fails, no session is left", async () => {
    const { stack, prefix } = await tunnelStack("aws", { "e2e:databases": "3", "e2e:failAt": "1" });
    try {
      const result = await stack.up({ allowFailure: true });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toContain("failing as configured");
      expect(await liveSessions()).toEqual([]);
      await stack.pulumi(["config", "rm", "e2e:failAt", "--stack", stack.stackName]);
      await stack.destroy();
      expect(await schemas(prefix)).toEqual([]);
    } finally {
      stack.cleanup();
    }
  });

  test.each([1, 2])("SIGINT %i time(s) mid-up: no session is left", async (times) => {
    const { stack } = await tunnelStack("aws", { "e2e:databases": "2", "e2e:holdMs": "60000" });
    try {
      const up = startUp(stack);
      expect(await eventually(liveSessions, (s) => s.length === 1, 60_000)).toHaveLength(1);
      for (let i = 0; i < times; i++) {
        up.child.kill("SIGINT");
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(await up.exited).not.toBe(0);
      expect(await eventually(liveSessions, (s) => s.length === 0)).toEqual([]);
    } finally {
      await stack.pulumi(["cancel", "--yes"], { allowFailure: true });
      await stack.destroy({ allowFailure: true });
      stack.cleanup();
    }
  });

  test("a plugin killed mid-up leaves a recognisable session, which the next run ends", async () => {
    const { stack, journal } = await tunnelStack("aws", { "e2e:databases": "1", "e2e:holdMs": "15000" });
    try {
      const up = startUp(stack);
      const [live] = await eventually(liveSessions, (s) => s.length === 1, 60_000);
      const sessionId = live.replace(/^ssm /, "");
      // The journal entry follows StartSession's answer by a moment.
      const entry = path.join(journal, `${sessionId}.json`);
      await eventually(async () => fs.existsSync(entry), Boolean);
      const record = JSON.parse(fs.readFileSync(entry, "utf8")) as {
        pid: number;
      };
      process.kill(record.pid, "SIGKILL");
      await up.exited;
      const state = (await admin.sessions()) as { ssm: Array<{ sessionId: string; reason?: string }> };
      expect(state.ssm.find((s) => s.sessionId === sessionId)?.reason).toMatch(
        new RegExp(`^pulumi-sessions tunnel ${stack.projectName}/${stack.stackName}/db #[0-9a-f]{12}$`),
      );
      expect(await liveSessions()).toEqual([`ssm ${sessionId}`]);
      await stack.pulumi(["cancel", "--yes"], { allowFailure: true });
      await stack.setConfig("e2e:holdMs", "0");
      await stack.up({ allowFailure: true });
      expect(await liveSessions()).toEqual([]);
      expect(fs.readdirSync(journal)).toEqual([]);
    } finally {
      await stack.destroy({ allowFailure: true });
      stack.cleanup();
    }
  });
});

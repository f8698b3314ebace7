/**
 * Tunnels under the real engine, per cloud, with a real MariaDB that only the local cloud's data
 * plane reaches, and downstream dynamic resources (a database and a user each, made with mysql2)
 * that talk to it through the tunnel's host and port only:
 *
 *   up with 20 databases at once, an up that removes 19 (their deletes run after the program
 *   has finished), refresh (reads through the tunnel; one database dropped out of band goes),
 *   destroy (without --run-program), a downstream failure, SIGINT once and twice, and a plugin
 *   killed mid-up whose session the next run ends; and, for up, refresh and destroy each, the
 *   tunnel's session terminated out of band between two downstream operations, and (SSM) its
 *   WebSocket dropped in the middle of a query.
 *
 * After every command: no live session in the local cloud and nothing listening on the port.
 */
import { SSMClient, TerminateSessionCommand } from "@aws-sdk/client-ssm";
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
import { alicloudClientFor, endTerminalSession } from "../../provider/clients/alicloud";
import { resolveProviderSettings } from "../../provider/config";
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

/** Starts `pulumi <command>` (default up) and returns the child, to signal it. */
function startUp(stack: TestStack, command: "up" | "refresh" | "destroy" = "up") {
  const child = spawn(
    "pulumi",
    [command, "--yes", "--skip-preview", "--non-interactive", "--stack", stack.stackName],
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

/** Ends a session as an operator would, with the cloud's own API. */
async function endOutOfBand(live: string): Promise<void> {
  const [service, sessionId] = live.split(" ");
  if (service === "ssm") {
    const ssm = new SSMClient({
      region: AWS_REGION,
      endpoint: cloud.url,
      credentials: { accessKeyId: AWS.accessKeyId, secretAccessKey: AWS.accessKeySecret },
    });
    await ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    return;
  }
  const values: Record<string, string> = {
    "sessions:localCloud": cloud.url,
    "alicloud:accessKey": ALI.accessKeyId,
    "alicloud:secretKey": ALI.accessKeySecret,
  };
  const settings = resolveProviderSettings({ get: (key) => values[key] }, {});
  await endTerminalSession(alicloudClientFor(settings, "ecs", ALI_REGION), {
    regionId: ALI_REGION,
    sessionId,
  });
}

/** Lets every gated operation through (a failed test's cleanup must not wait at the gate). */
function openGates(gate: string): void {
  for (const op of ["create", "read", "delete"]) fs.writeFileSync(path.join(gate, `${op}.go`), "");
}

/**
 * Runs a command whose gated downstream operation (`op`) waits at the gate: `before` acts while
 * it waits (no connection of it open yet), `during` once its query is running. The command must
 * succeed.
 */
async function gated(
  stack: TestStack,
  gate: string,
  command: "up" | "refresh" | "destroy",
  act: { before?: () => Promise<void>; during?: () => Promise<void> },
): Promise<string> {
  const op = { up: "create", refresh: "read", destroy: "delete" }[command];
  const run = startUp(stack, command);
  const failed = run.exited.then((code) => new Error(`pulumi ${command} ended (${code}):\n${run.output()}`));
  const at = async (what: string) => {
    const file = path.join(gate, `${op}.${what}`);
    const reached = eventually(async () => fs.existsSync(file), Boolean, 60_000);
    const outcome = await Promise.race([reached, failed]);
    if (outcome !== true) throw outcome instanceof Error ? outcome : new Error(`${file} never appeared`);
  };
  await at("waiting");
  await act.before?.();
  fs.writeFileSync(path.join(gate, `${op}.go`), "");
  if (act.during) {
    await at("querying");
    await new Promise((r) => setTimeout(r, 300)); // the query is on the wire
    await act.during();
  }
  const code = await run.exited;
  if (code !== 0) throw new Error(`pulumi ${command} failed (${code}):\n${run.output()}`);
  fs.rmSync(path.join(gate, `${op}.go`));
  return run.output();
}

/**
 * The tunnel's lines in a command's output (the engine's log, as the user sees it): the event's
 * line with the counts so far, the last line (logged as the engine stops the plugin) with the
 * same counts, and none holding a secret or a URL's query.
 */
function expectEventLine(output: string, event: RegExp, sessions: number, counts: string): void {
  const lines = output.split("\n").filter((l) => l.includes("tunnel db:"));
  expect(lines).toContainEqual(expect.stringMatching(event));
  expect(lines).toContainEqual(expect.stringContaining(`(so far: ${counts})`));
  expect(lines).toContainEqual(
    expect.stringMatching(new RegExp(`tunnel db: closed after \\d+ s: ${sessions} sessions?, ${counts}$`)),
  );
  for (const secret of [AWS.accessKeySecret, ALI.accessKeySecret, MARIADB_ADMIN.password, "token", "?"])
    for (const line of lines) expect(line).not.toContain(secret);
}

describe.each(["aws", "alicloud"] as const)(
  "%s tunnel: its session terminated out of band between two downstream operations",
  (cloudName) => {
    test("up, refresh and destroy each complete every downstream operation; no session is left", async () => {
      const gate = fs.mkdtempSync(path.join(workRoot(), "tunnel-gate-"));
      const { stack, prefix } = await tunnelStack(cloudName, { "e2e:databases": "2", "e2e:gate": gate });
      try {
        const between = (op: string) => async () => {
          // The other database's operation is over: the next one comes after the session ended.
          const done = path.join(gate, `${op}.${prefix}_0.done`);
          expect(await eventually(async () => fs.existsSync(done), Boolean, 60_000)).toBe(true);
          const [live] = await eventually(liveSessions, (l) => l.length === 1);
          await endOutOfBand(live);
        };
        const up = await gated(stack, gate, "up", { before: between("create") });
        expect(await schemas(prefix)).toEqual([`${prefix}_0`, `${prefix}_1`]);
        expectEventLine(
          up,
          cloudName === "aws"
            ? /session \S+ was ended by the service.*; starting a fresh session for new connections/
            : /session \S+ is gone \(.*\); session \S+ serves new connections/,
          2,
          "0 resumes, 1 replacement, 0 renewals",
        );
        expect(await liveSessions()).toEqual([]);

        await gated(stack, gate, "refresh", { before: between("read") });
        expect(
          (await stack.resources()).filter((r) => r.type === "pulumi-nodejs:dynamic:Resource"),
        ).toHaveLength(2);
        expect(await liveSessions()).toEqual([]);

        await gated(stack, gate, "destroy", { before: between("delete") });
        expect(await schemas(prefix)).toEqual([]);
        expect(await liveSessions()).toEqual([]);
      } finally {
        openGates(gate);
        await stack.destroy({ allowFailure: true });
        stack.cleanup();
        fs.rmSync(gate, { recursive: true, force: true });
      }
    });
  },
);

describe("aws tunnel: its WebSocket dropped mid-query", () => {
  test("up, refresh and destroy: the query in flight is answered after the resume; no session is left", async () => {
    const gate = fs.mkdtempSync(path.join(workRoot(), "tunnel-gate-"));
    const { stack, prefix } = await tunnelStack("aws", {
      "e2e:databases": "2",
      "e2e:gate": gate,
      "e2e:sleepMs": "1500",
    });
    const drop = async () => {
      const rule = await admin.addDataPlaneFault({ plane: "ssm", kind: "drop", at: "now" });
      expect(rule.applied).toBeGreaterThan(0);
    };
    try {
      const up = await gated(stack, gate, "up", { during: drop });
      expect(await schemas(prefix)).toEqual([`${prefix}_0`, `${prefix}_1`]);
      expectEventLine(
        up,
        /session \S+ resumed.*; its connection had dropped/,
        1,
        "1 resume, 0 replacements, 0 renewals",
      );
      expect(await liveSessions()).toEqual([]);

      await gated(stack, gate, "refresh", { during: drop });
      expect(
        (await stack.resources()).filter((r) => r.type === "pulumi-nodejs:dynamic:Resource"),
      ).toHaveLength(2);
      expect(await liveSessions()).toEqual([]);

      await gated(stack, gate, "destroy", { during: drop });
      expect(await schemas(prefix)).toEqual([]);
      expect(await liveSessions()).toEqual([]);
    } finally {
      openGates(gate);
      await admin.clearDataPlaneFaults();
      await stack.destroy({ allowFailure: true });
      stack.cleanup();
      fs.rmSync(gate, { recursive: true, force: true });
    }
  });
});

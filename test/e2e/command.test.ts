/**
 * alicloud.Command and aws.Command under the real Pulumi engine, against the in-process local
 * cloud, which runs the scripts: create, update in place, replace on triggers, delete scripts;
 * a secret environment value and stdin in neither state, the terminal nor the cloud's request
 * log; a non-zero exit and a timeout failing with the code and the output's tail, leaving no
 * session; 30 commands on one instance; a 64 KB script and binary stdin byte for byte; bad
 * inputs failing at preview, naming the field, with no API call; Ctrl-C (SIGINT to the CLI's
 * process group, once and twice) during a long script, leaving no session.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { TestStack, uniqueSuffix, type CliResult } from "../support/harness";

jest.setTimeout(600_000);

const SECRET = "e2e-command-secret-Zq81x";
const CLOUDS = [
  {
    cloud: "alicloud",
    type: "pulumi-nodejs:dynamic/alicloud:Command",
    key: { accessKeyId: "LTAIe2ecommand0001", accessKeySecret: "e2e-command-ali-secret-01" },
    region: "cn-hangzhou",
    instance: "i-e2ecommand0001",
    service: "ecs",
    start: "StartTerminalSession",
    end: "EndTerminalSession",
  },
  {
    cloud: "aws",
    type: "pulumi-nodejs:dynamic/aws:Command",
    key: { accessKeyId: "AKIAE2ECOMMAND00001", accessKeySecret: "e2e-command-aws-secret-01" },
    region: "us-east-2",
    instance: "i-0e2ecommand00001",
    service: "ssm",
    start: "StartSession",
    end: "TerminateSession",
  },
] as const;

type Cloud = (typeof CLOUDS)[number];

let cloud: LocalCloud;
let admin: AdminClient;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: CLOUDS.map((c) => c.key),
    ecs: { instances: [{ instanceId: CLOUDS[0].instance, regionId: CLOUDS[0].region }] },
    ssm: { targets: [{ target: CLOUDS[1].instance, region: CLOUDS[1].region }] },
  });
  admin = new AdminClient(cloud);
});
afterAll(() => cloud?.stop());

function newStack(c: Cloud): Promise<TestStack> {
  const config: Record<string, string> =
    c.cloud === "aws"
      ? { "aws:region": c.region, "sessions:ssmEndpoint": cloud.url }
      : { "alicloud:region": c.region, "sessions:localCloud": cloud.url };
  const secrets: Record<string, string> =
    c.cloud === "aws"
      ? { "aws:accessKey": c.key.accessKeyId, "aws:secretKey": c.key.accessKeySecret }
      : { "alicloud:accessKey": c.key.accessKeyId, "alicloud:secretKey": c.key.accessKeySecret };
  return TestStack.create({
    program: "command",
    config: { ...config, "e2e:cloud": c.cloud, "e2e:instance": c.instance },
    secrets: { ...secrets, "e2e:secret": SECRET },
    stackName: `c${uniqueSuffix()}`,
  });
}

async function declare(stack: TestStack, commands: unknown[]): Promise<void> {
  await stack.setConfig("e2e:commands", JSON.stringify(commands));
}

async function calls(c: Cloud, action?: string) {
  return (await admin.requests()).filter((r) => r.service === c.service && (!action || r.action === action));
}

/** Sessions the cloud still counts as live: an ECS session not Ended, an SSM one not terminating. */
async function liveSessions(c: Cloud): Promise<unknown[]> {
  const all = (await admin.sessions()) as Record<
    string,
    Array<{ state?: string; status?: string }> | undefined
  >;
  const live = (s: { state?: string; status?: string }) =>
    c.service === "ecs" ? s.state === "Open" : !/^(Terminating|Terminated|Failed)$/.test(s.status ?? "");
  return (all[c.service] ?? []).filter(live);
}

const printed = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

/** Every file the stack's engine wrote (state, history, backups, logs), as text. */
function engineFiles(stack: TestStack): string {
  return [stack.home, stack.backendDir]
    .flatMap((dir) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

/** Polls until `check` holds, or fails after `ms`. */
async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check());) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `pulumi up` interrupted as a terminal's Ctrl-C does it: SIGINT to the CLI's process group
 * (the engine and its plugins), `times` times, once the cloud shows the script's session live.
 */
async function interruptedUp(stack: TestStack, c: Cloud, times: number): Promise<CliResult & { ms: number }> {
  const child = spawn(
    "pulumi",
    ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.stackName],
    {
      cwd: stack.programDir,
      env: stack.cliEnv(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let exitCode: number | undefined;
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve((exitCode = code ?? (signal ? 130 : 1)))),
  );
  await eventually(
    async () => {
      if (exitCode !== undefined)
        throw new Error(`pulumi up exited (${exitCode}) first:\n${stdout}\n${stderr}`);
      return (await liveSessions(c)).length > 0;
    },
    60_000,
    "the script's session is live",
  );
  const start = Date.now();
  for (let i = 0; i < times; i++) {
    process.kill(-child.pid!, "SIGINT");
    await new Promise((r) => setTimeout(r, 300));
  }
  const code = await exited;
  return { code, stdout, stderr, ms: Date.now() - start };
}

describe.each(CLOUDS)("$cloud.Command", (c) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await newStack(c);
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("bad inputs fail at preview naming the field, with no API call", async () => {
    await declare(stack, [
      { name: "bad", args: { create: "", timeout: 0, logging: "all", environment: { "1X": "v" } } },
    ]);
    await admin.clearRequests();
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    const text = printed(preview);
    expect(text).toContain("create must not be empty");
    expect(text).toContain("timeout must be at least 1 second (rule 1..86400)");
    expect(text).toContain("logging must be stdout, stderr, stdoutAndStderr or none");
    expect(text).toContain("environment names must be shell variable names");
    expect(await calls(c)).toEqual([]);
  });

  test("create runs, with a secret in the environment and on stdin that never reaches state, terminal or the cloud", async () => {
    await declare(stack, [
      {
        name: "setup",
        args: {
          create: 'echo "created:$TOKEN by $WHO"; cat',
          delete: "echo bye",
          environment: { WHO: "release-bot" },
        },
        secretEnv: "TOKEN",
        secretStdin: true,
      },
    ]);
    await admin.clearRequests();
    const up = await stack.up();
    // The live log masks the secret value and shows the plain one.
    expect(printed(up)).toContain("created:[secret] by release-bot");
    expect((await calls(c, c.start)).length).toBe(1);
    expect((await calls(c, c.end)).length).toBe(1);
    const outputs = await stack.outputs();
    expect((outputs.stdout as Record<string, string>).setup).toContain(`created:${SECRET} by release-bot`);
    for (const text of [
      printed(up),
      await stack.exportText(),
      engineFiles(stack),
      JSON.stringify(await admin.requests()),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    const [resource] = await stack.resourcesOfType(c.type);
    expect(JSON.stringify(resource.outputs!.stdout)).toContain("ciphertext");
    expect(await liveSessions(c)).toEqual([]);
  });

  test("a change of the script runs update in place; a trigger replaces (new create, then old delete)", async () => {
    const [before] = await stack.resourcesOfType(c.type);
    await declare(stack, [
      { name: "setup", args: { create: "echo one", update: "echo updated", delete: "echo bye" } },
    ]);
    await stack.up();
    const [after] = await stack.resourcesOfType(c.type);
    expect(after.id).toBe(before.id);
    expect(((await stack.outputs()).stdout as Record<string, string>).setup).toContain("updated");

    await declare(stack, [
      {
        name: "setup",
        args: { create: "echo one", update: "echo updated", delete: "echo bye", triggers: [2] },
      },
    ]);
    await admin.clearRequests();
    await stack.up();
    const [replaced] = await stack.resourcesOfType(c.type);
    expect(replaced.id).not.toBe(before.id);
    // create of the new one and delete of the old one: two sessions, both ended.
    expect((await calls(c, c.start)).length).toBe(2);
    expect((await calls(c, c.end)).length).toBe(2);
    expect(await liveSessions(c)).toEqual([]);
  });

  test("a non-zero exit fails with the code and the output's tail, and leaves nothing in state", async () => {
    await declare(stack, [{ name: "fails", args: { create: "echo first; echo last words; exit 3" } }]);
    const up = await stack.up({ allowFailure: true });
    expect(up.code).not.toBe(0);
    expect(printed(up)).toContain("exited with code 3");
    expect(printed(up)).toContain("last words");
    const names = (await stack.resourcesOfType(c.type)).map((r) => r.urn.split("::").pop());
    expect(names).not.toContain("fails");
    expect(await liveSessions(c)).toEqual([]);
  });

  test("a timeout fails with no exit code and the tail, and ends the session", async () => {
    await declare(stack, [{ name: "slow", args: { create: "echo started; sleep 30", timeout: 2 } }]);
    const up = await stack.up({ allowFailure: true });
    expect(printed(up)).toMatch(/timed out after \d+ s, with no exit code/);
    expect(printed(up)).toContain("started");
    expect(await liveSessions(c)).toEqual([]);
  });

  test("30 commands on one instance, a 64 KB script and binary stdin all arrive whole", async () => {
    const big = `cat <<'EOF' | sha256sum\n${"x".repeat(64 * 1024)}\nEOF\n`;
    const binary = randomBytes(4096);
    const commands = [
      { name: "big", args: { create: big } },
      { name: "binary", args: { create: "sha256sum", stdinBase64: binary.toString("base64") } },
      ...Array.from({ length: 30 }, (_, i) => ({ name: `many${i}`, args: { create: `echo many ${i}` } })),
    ];
    await declare(stack, commands);
    await admin.clearRequests();
    await stack.up();
    const stdout = (await stack.outputs()).stdout as Record<string, string>;
    expect(stdout.big).toContain(
      createHash("sha256")
        .update(`${"x".repeat(64 * 1024)}\n`)
        .digest("hex"),
    );
    expect(stdout.binary).toContain(createHash("sha256").update(binary).digest("hex"));
    for (let i = 0; i < 30; i++) expect(stdout[`many${i}`]).toContain(`many ${i}`);
    expect((await admin.requests()).filter((r) => r.code === "SessionCount.ExceedLimit")).toEqual([]);
    expect(await liveSessions(c)).toEqual([]);
  });

  // A first Ctrl-C cancels gracefully: the engine waits for the steps in flight (the Node.js
  // dynamic provider host ignores its Cancel), so the script finishes and its session is ended.
  test("Ctrl-C once during a script lets it finish, and leaves no session", async () => {
    await declare(stack, [{ name: "once", args: { create: "echo started; sleep 6; echo finished" } }]);
    const up = await interruptedUp(stack, c, 1);
    expect(up.code).not.toBe(0);
    expect(up.ms).toBeLessThan(30_000);
    expect(await liveSessions(c)).toEqual([]);
  });

  // A second one stops the plugins (SIGINT): the script is stopped and its session ended.
  test("Ctrl-C twice during a long script stops it, and leaves no session", async () => {
    await declare(stack, [{ name: "twice", args: { create: "echo started; sleep 120" } }]);
    const up = await interruptedUp(stack, c, 2);
    expect(up.code).not.toBe(0);
    expect(up.ms).toBeLessThan(30_000);
    await eventually(async () => (await liveSessions(c)).length === 0, 15_000, "no session left");
  });

  test("destroy runs the delete scripts; a failing delete fails destroy and runs again next time", async () => {
    await declare(stack, [{ name: "stubborn", args: { create: "true", delete: "exit 4" } }]);
    await stack.up();
    const failed = await stack.destroy({ allowFailure: true });
    expect(printed(failed)).toContain("exited with code 4");
    expect(await stack.resourcesOfType(c.type)).toHaveLength(1);
    await admin.clearRequests();
    await stack.destroy({ allowFailure: true });
    expect((await calls(c, c.start)).length).toBe(1);
  });
});

/**
 * A Go program through the Automation API (examples/go-terminal-session: an inline program, the
 * generated Go SDK in sdks/go) with the `pulumi-resource-sessions` plugin from the installed
 * package, under the real engine with no Go language host anywhere on PATH: preview with a bad
 * port fails naming the field with no API call; up; the keys, set as plain config, encrypted in
 * state; refresh after a session ended outside Pulumi; destroy.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { Server } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { endTerminalSession } from "../../provider/clients/alicloud";
import { recordIssuedSecrets } from "../support/localCloudStack";
import { engineBin, uniqueSuffix, type StateResource } from "../support/harness";
import { repoRoot } from "../support/paths";
import { connect, probeCloud, type CloudProbe, installPluginPackage, startEcho } from "./pluginSupport";

jest.setTimeout(600_000);

const TYPE = "sessions:alicloud:TerminalSession";
const KEY = { accessKeyId: "LTAIe2egoauto0001", accessKeySecret: "e2e-go-automation-secret-01" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2egoauto0001";

let cloud: LocalCloud;
let admin: AdminClient;
let probe: CloudProbe;
let issued: string[];
let work: string;
let program: string;
let env: NodeJS.ProcessEnv;
let echo: Server;
let echoPort: number;
const stack = `g${uniqueSuffix()}`;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-go-"));
  const dotBin = installPluginPackage(work);
  program = path.join(work, "go-terminal-session");
  execFileSync("go", ["build", "-o", program, "."], {
    cwd: path.join(repoRoot, "examples", "go-terminal-session"),
    env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  cloud = await startLocalCloud({
    credentials: [KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
  });
  admin = new AdminClient(cloud);
  probe = probeCloud(cloud, KEY, REGION);
  issued = recordIssuedSecrets(cloud);
  ({ server: echo, port: echoPort } = await startEcho());
  fs.mkdirSync(path.join(work, "home"));
  fs.mkdirSync(path.join(work, "state"));
  env = {
    ...process.env,
    PATH: [engineBin(), dotBin, process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: path.join(work, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
    AWS_EC2_METADATA_DISABLED: "true",
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
  };
});

afterAll(async () => {
  if (program) await run("destroy");
  await cloud?.stop();
  await new Promise((resolve) => echo?.close(resolve));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs the example's command; resolves with its exit code and output. */
function run(command: string, port = echoPort): Promise<{ code: number; output: string }> {
  const args = ["-stack", stack, "-instance", INSTANCE, "-region", REGION, "-local-cloud", cloud.url];
  return new Promise((resolve) =>
    execFile(program, [...args, "-port", String(port), command], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    ),
  );
}

function rawState(): string {
  return fs.readFileSync(
    path.join(work, "state", ".pulumi", "stacks", "go-terminal-session", `${stack}.json`),
    "utf8",
  );
}

function resources(type: string): StateResource[] {
  const state = JSON.parse(rawState()) as { checkpoint: { latest?: { resources?: StateResource[] } } };
  return (state.checkpoint.latest?.resources ?? []).filter((r) => r.type === type);
}

test("no Go language host is on the engine's PATH", () => {
  const dirs = (env.PATH ?? "").split(path.delimiter);
  expect(dirs.filter((d) => fs.existsSync(path.join(d, "pulumi-language-go")))).toEqual([]);
});

test("preview rejects a bad port naming the field and the rule, calling no API", async () => {
  await admin.clearRequests();
  const { code, output } = await run("preview", 70000);
  expect(code).not.toBe(0);
  expect(output).toContain(
    "property portNumber value {70000} has a problem: portNumber must be at most 65535 (rule PortNumber.Invalid)",
  );
  expect(await probe.ecsCalls()).toEqual([]);
});

test("up starts one session; outputs and the plain-config keys are encrypted in state", async () => {
  await admin.clearRequests();
  const { code, output } = await run("up");
  expect({ code, output }).toMatchObject({ code: 0 });
  expect(await probe.ecsCalls("StartTerminalSession")).toHaveLength(1);
  const [session] = resources(TYPE);
  expect(output).toContain(`sessionId: ${session.id}`);
  expect(await probe.openSessionIds()).toEqual([session.id]);
  const raw = rawState();
  for (const value of [KEY.accessKeyId, KEY.accessKeySecret, ...issued]) expect(raw).not.toContain(value);
  const isCiphertext = expect.objectContaining({ ciphertext: expect.any(String) });
  expect(session.outputs).toMatchObject({ webSocketUrl: isCiphertext, securityToken: isCiphertext });
  const [provider] = resources("pulumi:providers:sessions");
  expect(provider.inputs).toMatchObject({ alicloudAccessKey: isCiphertext, alicloudSecretKey: isCiphertext });
});

test("refresh drops a session ended outside Pulumi; destroy ends the next one", async () => {
  const [before] = resources(TYPE);
  // recordIssuedSecrets keeps [token, url] per session started.
  const ws = await connect(probe.ecs(), REGION, issued[issued.length - 1], before.id!);
  try {
    await endTerminalSession(probe.ecs(), { regionId: REGION, sessionId: before.id! });
  } finally {
    ws.close();
  }
  expect((await run("refresh")).code).toBe(0);
  expect(resources(TYPE)).toEqual([]);
  expect((await run("up")).code).toBe(0);
  const [after] = resources(TYPE);
  expect(await probe.openSessionIds()).toEqual([after.id]);
  await admin.clearRequests();
  expect((await run("destroy")).code).toBe(0);
  expect(await probe.ecsCalls("EndTerminalSession")).toHaveLength(1);
  expect(await probe.openSessionIds()).toEqual([]);
});

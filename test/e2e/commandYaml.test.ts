/**
 * alicloud.Command and aws.Command through the YAML door: the packed package's plugin under the
 * real engine, a YAML program with one Command per cloud and a secret in the environment and on
 * stdin. Bad input fails at preview naming the field with no API call; up runs both scripts, the
 * output streams are secrets (the secret is in neither state, the terminal nor the cloud's
 * request log) and no session is left; destroy runs the delete scripts (a session each).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { engineBin, TestStack, uniqueSuffix, type CliResult } from "../support/harness";
import { installPluginPackage, scriptOutput } from "./pluginSupport";

jest.setTimeout(600_000);

const SECRET = "e2e-yaml-command-secret-Pq73";
const ALI = { accessKeyId: "LTAIe2eyamlcmd0001", accessKeySecret: "e2e-yaml-cmd-ali-secret" };
const AWS = { accessKeyId: "AKIAE2EYAMLCMD00001", accessKeySecret: "e2e-yaml-cmd-aws-secret" };
const INSTANCE = "i-e2eyamlcmd0001";
const TARGET = "i-0e2eyamlcmd00001";

let cloud: LocalCloud;
let admin: AdminClient;
let installDir: string;
let stack: TestStack;

beforeAll(async () => {
  const yamlBin = scriptOutput("yaml-host.sh");
  installDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-command-yaml-"));
  const dotBin = installPluginPackage(installDir);
  cloud = await startLocalCloud({
    credentials: [ALI, AWS],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: "cn-hangzhou" }] },
    ssm: { targets: [{ target: TARGET, region: "us-east-2" }] },
  });
  admin = new AdminClient(cloud);
  stack = await TestStack.create({
    program: "command-yaml",
    config: {
      "e2e-command-yaml:instanceId": INSTANCE,
      "e2e-command-yaml:target": TARGET,
      "sessions:localCloud": cloud.url,
      "sessions:alicloudRegion": "cn-hangzhou",
      "sessions:awsRegion": "us-east-2",
    },
    secrets: {
      "e2e-command-yaml:token": SECRET,
      "sessions:alicloudAccessKey": ALI.accessKeyId,
      "sessions:alicloudSecretKey": ALI.accessKeySecret,
      "sessions:awsAccessKey": AWS.accessKeyId,
      "sessions:awsSecretKey": AWS.accessKeySecret,
    },
    // Only the engine, the YAML host and the installed package's bins: nothing of the repo.
    env: { PATH: [engineBin(), yamlBin, dotBin, process.env.PATH ?? ""].join(path.delimiter) },
    stackName: `y${uniqueSuffix()}`,
  });
});

afterAll(async () => {
  await stack?.destroy({ allowFailure: true });
  stack?.cleanup();
  await cloud?.stop();
  if (installDir) fs.rmSync(installDir, { recursive: true, force: true });
});

const printed = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

/** The sessions the local cloud still holds open. */
async function liveSessions(): Promise<unknown[]> {
  const all = (await admin.sessions()) as Record<string, Array<{ state?: string; status?: string }>>;
  return [
    ...(all.ecs ?? []).filter((s) => s.state === "Open"),
    ...(all.ssm ?? []).filter((s) => !/^(Terminating|Terminated|Failed)$/.test(s.status ?? "")),
  ];
}

const actions = async () => (await admin.requests()).map((r) => r.action);

test("a bad timeout fails at preview naming the field, with no API call", async () => {
  await stack.setConfig("e2e-command-yaml:timeout", "0");
  await admin.clearRequests();
  const preview = await stack.preview({ allowFailure: true });
  expect(preview.code).not.toBe(0);
  expect(printed(preview)).toMatch(
    /property timeout value \{0\} has a problem: timeout must be at least 1 second \(rule 1..86400\)/,
  );
  expect(await admin.requests()).toEqual([]);
  await stack.setConfig("e2e-command-yaml:timeout", "60");
});

test("up runs both scripts; the streams are secrets and the secret is nowhere in the open", async () => {
  await admin.clearRequests();
  const up = await stack.up();
  expect((await actions()).sort()).toEqual(
    ["EndTerminalSession", "StartSession", "StartTerminalSession", "TerminateSession"].sort(),
  );
  const outputs = await stack.outputs();
  expect(outputs.aliStdout).toContain(`ali:${SECRET}`);
  expect(outputs.awsStdout).toContain(`aws:${SECRET}`);
  expect(outputs.awsStdout).not.toContain("aws err");
  expect(outputs.awsStderr).toContain("aws err");
  // The live output reaches `pulumi up`'s own output, the secret masked.
  expect(printed(up)).toContain(`alicloud.Command create on ${INSTANCE}: ali:[secret]`);
  expect(printed(up)).toContain(`aws.Command create on ${TARGET} (stderr): aws err`);
  for (const text of [
    printed(up),
    await stack.exportText(),
    stack.rawState(),
    JSON.stringify(await admin.requests()),
  ])
    expect(text).not.toContain(SECRET);
  for (const type of ["sessions:alicloud:Command", "sessions:aws:Command"]) {
    const [command] = await stack.resourcesOfType(type);
    const sealed = expect.objectContaining({ ciphertext: expect.any(String) });
    expect(command.outputs).toMatchObject({ stdout: sealed, stderr: sealed, exitCode: 0 });
    expect(command.outputs).not.toHaveProperty("__secretStreams");
  }
  expect(await liveSessions()).toEqual([]);
});

test("destroy runs the delete scripts, one session each, and leaves none", async () => {
  await admin.clearRequests();
  await stack.destroy();
  expect((await actions()).sort()).toEqual(
    ["EndTerminalSession", "StartSession", "StartTerminalSession", "TerminateSession"].sort(),
  );
  expect(await liveSessions()).toEqual([]);
});

/**
 * The `pulumi-resource-sessions` plugin under the real engine, as a user of another language
 * gets it: the packed package installed outside the repo (its `node_modules/.bin` on PATH,
 * automatic plugin acquisition off), a YAML program run by the YAML language host built from
 * the Go module proxy, against the in-process local cloud. Schema served exactly; bad input
 * rejected at preview naming the field with no API call; up, refresh after a session ended
 * outside Pulumi, destroy; secrets (outputs and provider keys set without --secret) encrypted;
 * the plugin installed from its archive; the same cloud calls as the dynamic resource's, parameters
 * included.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { Server } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { endTerminalSession } from "../../provider/clients/alicloud";
import { engineBin, TestStack, uniqueSuffix } from "../support/harness";
import { repoRoot } from "../support/paths";
import { pluginSchemaText } from "./pluginSchema";
import {
  connect,
  probeCloud,
  type CloudProbe,
  installPluginPackage,
  scriptOutput,
  startEcho,
} from "./pluginSupport";

jest.setTimeout(600_000);

const TYPE = "sessions:alicloud:TerminalSession";
const KEY = { accessKeyId: "LTAIe2eplugin0001", accessKeySecret: "e2e-plugin-secret-value-01" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2eplugin0001";

let cloud: LocalCloud;
let admin: AdminClient;
let probe: CloudProbe;
let installDir: string;
let pluginPath: string;
let cliPath: string;
let yamlBin: string;
let echo: Server;
let echoPort: number;

beforeAll(async () => {
  yamlBin = scriptOutput("yaml-host.sh");
  installDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-plugin-"));
  const dotBin = installPluginPackage(installDir);
  pluginPath = path.join(dotBin, "pulumi-resource-sessions");
  // Only the engine, the YAML host and the installed package's bins: nothing of the repo.
  cliPath = [engineBin(), yamlBin, dotBin, process.env.PATH ?? ""].join(path.delimiter);
  cloud = await startLocalCloud({
    credentials: [KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
  });
  admin = new AdminClient(cloud);
  probe = probeCloud(cloud, KEY, REGION);
  ({ server: echo, port: echoPort } = await startEcho());
});

afterAll(async () => {
  await cloud?.stop();
  await new Promise((resolve) => echo?.close(resolve));
  if (installDir) fs.rmSync(installDir, { recursive: true, force: true });
});

/** A stack of the YAML program whose provider keys are set without `--secret`. */
async function newStack(searchPath: string = cliPath): Promise<TestStack> {
  const stack = await TestStack.create({
    program: path.join(repoRoot, "examples", "yaml-terminal-session"),
    config: {
      "yaml-terminal-session:instanceId": INSTANCE,
      "yaml-terminal-session:port": String(echoPort),
      "sessions:localCloud": cloud.url,
      "sessions:alicloudRegion": REGION,
      "sessions:alicloudAccessKey": KEY.accessKeyId,
    },
    env: { PATH: searchPath },
    stackName: `y${uniqueSuffix()}`,
  });
  // The CLI refuses a secret-looking value without --secret unless told it is meant.
  await stack.pulumi([
    "config",
    "set",
    "--plaintext",
    "sessions:alicloudSecretKey",
    KEY.accessKeySecret,
    "--stack",
    stack.stackName,
  ]);
  return stack;
}

test("the plugin serves schema.json byte for byte, and `pulumi package get-schema` returns it", async () => {
  const schemaFile = fs.readFileSync(path.join(repoRoot, "schema.json"), "utf8");
  expect(await pluginSchemaText(pluginPath)).toBe(schemaFile);
  const home = fs.mkdtempSync(path.join(installDir, "home-"));
  const stdout = execFileSync("pulumi", ["package", "get-schema", pluginPath], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PATH: cliPath, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  // The CLI re-serializes what it got (its own key order): the same document.
  expect(isDeepStrictEqual(JSON.parse(stdout), JSON.parse(schemaFile))).toBe(true);
});

describe("a YAML program's TerminalSession through preview, up, refresh and destroy", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await newStack();
  });

  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview rejects a bad port naming the field and the rule, calling no API", async () => {
    await stack.setConfig("yaml-terminal-session:port", "70000");
    await admin.clearRequests();
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    expect(`${preview.stdout}\n${preview.stderr}`).toMatch(
      /property portNumber value \{70000\} has a problem: portNumber must be at most 65535 \(rule PortNumber.Invalid\)/,
    );
    expect(await probe.ecsCalls()).toEqual([]);
    await stack.setConfig("yaml-terminal-session:port", String(echoPort));
  });

  test("up starts one session; URL, token and the provider's keys are encrypted in state", async () => {
    await admin.clearRequests();
    await stack.up();
    expect(await probe.ecsCalls("StartTerminalSession")).toHaveLength(1);
    const [session] = await stack.resourcesOfType(TYPE);
    expect(session.id).toMatch(/^s-/);
    expect(await probe.openSessionIds()).toEqual([session.id]);

    const outputs = await stack.outputs();
    expect(outputs.sessionId).toBe(session.id);
    const url = outputs.webSocketUrl as string;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);

    const raw = stack.rawState();
    const exported = await stack.exportText();
    for (const text of [raw, exported]) {
      expect(text).not.toContain(KEY.accessKeySecret);
      expect(text).not.toContain(KEY.accessKeyId);
      expect(text).not.toContain(url);
    }
    const isCiphertext = expect.objectContaining({ ciphertext: expect.any(String) });
    expect(session.outputs).toMatchObject({ webSocketUrl: isCiphertext, securityToken: isCiphertext });
    const [provider] = await stack.resourcesOfType("pulumi:providers:sessions");
    expect(provider.inputs).toMatchObject({
      alicloudAccessKey: isCiphertext,
      alicloudSecretKey: isCiphertext,
      alicloudRegion: REGION,
      localCloud: cloud.url,
    });
  });

  test("refresh drops a session ended outside Pulumi; up starts a new one", async () => {
    const [before] = await stack.resourcesOfType(TYPE);
    const url = (await stack.outputs()).webSocketUrl as string;
    const ws = await connect(probe.ecs(), REGION, url, before.id!);
    try {
      await endTerminalSession(probe.ecs(), { regionId: REGION, sessionId: before.id! });
    } finally {
      ws.close();
    }
    await stack.refresh();
    expect(await stack.resourcesOfType(TYPE)).toEqual([]);
    await stack.up();
    const [after] = await stack.resourcesOfType(TYPE);
    expect(after.id).not.toBe(before.id);
    expect(await probe.openSessionIds()).toEqual([after.id]);
  });

  test("destroy ends the session", async () => {
    await admin.clearRequests();
    await stack.destroy();
    expect(await probe.ecsCalls("EndTerminalSession")).toHaveLength(1);
    expect(await probe.openSessionIds()).toEqual([]);
    expect(await stack.resourcesOfType(TYPE)).toEqual([]);
  });
});

describe("the plugin archive, installed with `pulumi plugin install --file`", () => {
  let stack: TestStack;

  beforeAll(async () => {
    // No plugin on PATH this time: the engine must find the installed one in PULUMI_HOME.
    stack = await newStack([engineBin(), yamlBin, process.env.PATH ?? ""].join(path.delimiter));
  });

  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("serves a YAML program's up and destroy", async () => {
    const archive = scriptOutput("plugin-archive.sh", installDir);
    const version = (
      JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }
    ).version;
    execFileSync("pulumi", ["plugin", "install", "resource", "sessions", version, "--file", archive], {
      env: {
        ...process.env,
        PATH: `${engineBin()}${path.delimiter}${process.env.PATH}`,
        PULUMI_HOME: stack.home,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(
      fs.existsSync(
        path.join(stack.home, "plugins", `resource-sessions-v${version}`, "pulumi-resource-sessions"),
      ),
    ).toBe(true);
    await stack.up();
    const [session] = await stack.resourcesOfType(TYPE);
    expect(await probe.openSessionIds()).toContain(session.id);
    await stack.destroy();
    expect(await probe.openSessionIds()).not.toContain(session.id);
  });
});

describe("the two doors make the same calls", () => {
  /** Differ between two programs by design: the token derives from the URN, the cloud makes the ids. */
  const RUN_SPECIFIC = /^(ClientToken|SessionId(\.\d+)?)$/;

  /** The ECS calls `step` makes, as the cloud's request log records them, tokens and ids masked. */
  async function callsOf(step: () => Promise<unknown>) {
    await admin.clearRequests();
    await step();
    return (await probe.ecsCalls()).map((r) => ({
      action: r.action,
      status: r.status,
      code: r.code,
      params: Object.fromEntries(
        Object.entries(r.params ?? {}).map(([k, v]) => [k, RUN_SPECIFIC.test(k) ? "<masked>" : v]),
      ),
    }));
  }

  test("a TypeScript program's dynamic resource and the YAML program's plugin resource", async () => {
    const dynamicStack = await TestStack.create({
      program: "terminal-session",
      config: {
        "alicloud:region": REGION,
        "sessions:localCloud": cloud.url,
        "e2e:instanceId": INSTANCE,
        "e2e:port": String(echoPort),
      },
      secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
      stackName: `t${uniqueSuffix()}`,
    });
    const pluginStack = await newStack();
    try {
      const dynamicUp = await callsOf(() => dynamicStack.up());
      const pluginUp = await callsOf(() => pluginStack.up());
      expect(pluginUp.find((c) => c.action === "StartTerminalSession")?.params).toMatchObject({
        RegionId: REGION,
        "InstanceId.1": INSTANCE,
        PortNumber: String(echoPort),
        ClientToken: "<masked>",
      });
      expect(pluginUp).toEqual(dynamicUp);
      const dynamicRefresh = await callsOf(() => dynamicStack.refresh());
      expect(await callsOf(() => pluginStack.refresh())).toEqual(dynamicRefresh);
      const dynamicDestroy = await callsOf(() => dynamicStack.destroy());
      expect(await callsOf(() => pluginStack.destroy())).toEqual(dynamicDestroy);
    } finally {
      await dynamicStack.destroy({ allowFailure: true });
      await pluginStack.destroy({ allowFailure: true });
      dynamicStack.cleanup();
      pluginStack.cleanup();
    }
  });
});

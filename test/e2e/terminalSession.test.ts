/**
 * alicloud.TerminalSession under the real Pulumi engine, against the in-process local cloud:
 * preview with an unknown instance id, up, outputs, secrets at rest, refresh, a session ended
 * outside Pulumi, destroy, a lost StartTerminalSession response, invalid inputs rejected at
 * preview without any API call, and adoption of an existing session.
 */
import { createServer, type Server } from "node:net";
import { EcsChannel } from "../../client/ecs/channel";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import {
  createAlicloudClient,
  endTerminalSession,
  findTerminalSession,
  startTerminalSession,
} from "../../provider/clients/alicloud";
import { TestStack, uniqueSuffix, UNKNOWN, type StateResource } from "../support/harness";

// Engine runs take seconds each; the project's e2e timeout is not applied to every run mode.
jest.setTimeout(600_000);

const TYPE = "pulumi-nodejs:dynamic/alicloud:TerminalSession";
const KEY = { accessKeyId: "LTAIe2eterminal01", accessKeySecret: "e2e-terminal-secret-value" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2eterminal01";

let cloud: LocalCloud;
let admin: AdminClient;
let echo: Server;
let echoPort: number;

interface AdminSession {
  sessionId: string;
  state: string;
  clientToken?: string;
  connections: Array<{ status: string }>;
}

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
  });
  admin = new AdminClient(cloud);
  // Port-forwarding target, so a test can hold a live connection to a session.
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as { port: number }).port;
});

afterAll(async () => {
  await cloud?.stop();
  await new Promise((resolve) => echo?.close(resolve));
});

function newStack(config: Record<string, string> = {}): Promise<TestStack> {
  return TestStack.create({
    program: "terminal-session",
    config: {
      "alicloud:region": REGION,
      "sessions:localCloud": cloud.url,
      "e2e:instanceId": INSTANCE,
      "e2e:port": String(echoPort),
      ...config,
    },
    // Both halves of the key are secret config: neither may reach state in plaintext.
    secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    // One stack name per stack: equal URNs and inputs derive equal client tokens (tested apart).
    stackName: `t${uniqueSuffix()}`,
  });
}

const ecs = () =>
  createAlicloudClient({
    product: "ecs",
    region: REGION,
    endpoint: cloud.url,
    credentials: { kind: "static", ...KEY, source: "test" },
  });

async function sessions(): Promise<AdminSession[]> {
  return ((await admin.sessions()).ecs ?? []) as AdminSession[];
}

async function ecsCalls(action?: string) {
  return (await admin.requests()).filter((r) => r.service === "ecs" && (!action || r.action === action));
}

async function terminalSessions(stack: TestStack): Promise<StateResource[]> {
  return stack.resourcesOfType(TYPE);
}

/** Connects with our Session Manager client and waits until the cloud reports the connection Connected. */
async function connect(url: string, sessionId: string): Promise<EcsChannel> {
  const channel = await EcsChannel.open(url, { onOutput: () => undefined, onEnd: () => undefined });
  for (let i = 0; i < 100; i++) {
    const { record } = await findTerminalSession(ecs(), REGION, sessionId);
    if (record?.connections.some((c) => c.status === "Connected")) return channel;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${sessionId} never showed a Connected connection`);
}

describe("a TerminalSession through preview, up, refresh and destroy", () => {
  let stack: TestStack;
  let first: { id: string; webSocketUrl: string; securityToken: string };

  beforeAll(async () => {
    stack = await newStack();
  });

  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview plans the session with an instance id unknown until apply, calling no API", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    const step = preview.steps.find((s) => s.newState?.type === TYPE);
    expect(step?.op).toBe("create");
    expect(step!.newState!.inputs!.instanceIds).toEqual([UNKNOWN]);
    expect(step!.newState!.inputs!.region).toBe(REGION);
    expect(await ecsCalls()).toEqual([]);
  });

  test("up starts exactly one session; outputs carry the URL and token", async () => {
    await admin.clearRequests();
    await stack.up();
    const [resource] = await terminalSessions(stack);
    expect(resource.id).toMatch(/^s-/);
    expect(await ecsCalls("StartTerminalSession")).toHaveLength(1);

    const outputs = await stack.outputs();
    first = {
      id: resource.id!,
      webSocketUrl: outputs.webSocketUrl as string,
      securityToken: outputs.securityToken as string,
    };
    expect(outputs.sessionId).toBe(resource.id);
    expect(first.webSocketUrl).toBe(
      `ws://${cloud.endpoint}/session?sessionId=${resource.id}&token=${first.securityToken}`,
    );
    expect(outputs.region).toBe(REGION);
    expect(outputs.clientToken).toMatch(/^pulumi-[0-9a-f]{40}$/);
    expect(outputs.creationTime).toMatch(/Z$/);
    expect((await sessions()).find((s) => s.sessionId === resource.id)?.state).toBe("Open");

    // The provider in state is the short module that loads the package, not the provider's code.
    const stub = resource.inputs!.__provider as string;
    expect(stub).toContain('require("pulumi-sessions/dist/provider/resources/terminalSession")');
    expect(Buffer.byteLength(stub)).toBeLessThan(400);
    // The SDK's registration shortcut (see sdk/internal/dynamicResource.ts) keeps the stack
    // the engine records, down to the program's own line.
    expect(resource.sourcePosition).toMatch(/terminalSession\.(ts|js)#\d+,\d+$/);
    expect(resource.stackTrace?.map((f) => f.sourcePosition)).toContainEqual(
      expect.stringMatching(/^project:\/\/\/index\.ts#\d+,\d+$/),
    );
  });

  test("state holds neither the WebSocket URL, the security token nor any access key in plaintext", async () => {
    const [resource] = await terminalSessions(stack);
    expect(resource.additionalSecretOutputs).toEqual(
      expect.arrayContaining(["webSocketUrl", "securityToken"]),
    );
    for (const text of [await stack.exportText(), stack.rawState()]) {
      expect(text).not.toContain(first.securityToken);
      expect(text).not.toContain(first.webSocketUrl);
      expect(text).not.toContain(`token=${first.securityToken}`);
      expect(text).not.toContain(KEY.accessKeySecret);
      expect(text).not.toContain(KEY.accessKeyId);
    }
  });

  test("a second preview shows no change (the derived client token is stable)", async () => {
    const preview = await stack.preview();
    expect(Object.keys(preview.changeSummary ?? {})).toEqual(["same"]);
  });

  test("refresh keeps a live session and its secret outputs", async () => {
    await stack.refresh();
    const [resource] = await terminalSessions(stack);
    expect(resource.id).toBe(first.id);
    const outputs = await stack.outputs();
    expect(outputs.webSocketUrl).toBe(first.webSocketUrl);
    expect(outputs.securityToken).toBe(first.securityToken);
    expect(stack.rawState()).not.toContain(first.securityToken);
  });

  test("a session ended outside Pulumi disappears on refresh; the next up starts a new one", async () => {
    const channel = await connect(first.webSocketUrl, first.id);
    try {
      await endTerminalSession(ecs(), { regionId: REGION, sessionId: first.id });
      await stack.refresh();
      expect(await terminalSessions(stack)).toEqual([]);
    } finally {
      channel.close();
    }
    await admin.clearRequests();
    await stack.up();
    const [again] = await terminalSessions(stack);
    expect(again.id).toMatch(/^s-/);
    expect(again.id).not.toBe(first.id);
    // Same URN and inputs, same derived token: the cloud replayed the ended session, and
    // create retried with a token of its own.
    expect(again.outputs!.clientToken).toBe((await stack.outputs()).clientToken);
    expect(again.outputs!.effectiveClientToken).not.toBe(again.outputs!.clientToken);
    expect((await sessions()).find((s) => s.sessionId === again.id)?.state).toBe("Open");
  });

  test("destroy ends the session and leaves no live session in the local cloud", async () => {
    const [resource] = await terminalSessions(stack);
    await stack.destroy();
    expect(await terminalSessions(stack)).toEqual([]);
    expect((await sessions()).find((s) => s.sessionId === resource.id)?.state).toBe("Ended");
    expect((await sessions()).filter((s) => s.state === "Open")).toEqual([]);
  });
});

describe("idempotency under a lost response", () => {
  test("up succeeds with exactly one session when the first StartTerminalSession response is dropped", async () => {
    const stack = await newStack();
    try {
      const before = await sessions();
      await admin.clearRequests();
      await admin.addFault({ action: "StartTerminalSession", kind: "dropResponse", count: 1 });
      await stack.up();
      const starts = await ecsCalls("StartTerminalSession");
      expect(starts.map((r) => r.status)).toEqual([0, 200]);
      const created = (await sessions()).filter((s) => !before.some((b) => b.sessionId === s.sessionId));
      const [resource] = await terminalSessions(stack);
      expect(created.map((s) => s.sessionId)).toEqual([resource.id]);
      await stack.destroy();
    } finally {
      await admin.clearFaults();
      stack.cleanup();
    }
  });
});

describe("a session that started but could not be read back", () => {
  test("is recorded by the engine, completed by the next up, and ended by destroy", async () => {
    const stack = await newStack();
    try {
      await admin.addFault({ action: "DescribeTerminalSessions", kind: "serverError" });
      const failed = await stack.up({ allowFailure: true });
      expect(failed.code).not.toBe(0);
      expect(`${failed.stdout}${failed.stderr}`).toContain("could not be read back");
      const [partial] = await terminalSessions(stack);
      expect(partial.id).toMatch(/^s-/);
      expect((await sessions()).find((s) => s.sessionId === partial.id)?.state).toBe("Open");
      // Recorded with its secrets encrypted.
      const SECRET_SIG = "4dabf18193072939515e22adb298388d";
      expect(partial.outputs!.securityToken).toEqual(
        expect.objectContaining({ [SECRET_SIG]: expect.any(String) }),
      );
      const shown = JSON.parse((await stack.pulumi(["stack", "export", "--show-secrets"])).stdout) as {
        deployment: { resources: StateResource[] };
      };
      const shownOutputs = shown.deployment.resources.find((r) => r.id === partial.id)!.outputs!;
      const plain = (v: unknown) => JSON.parse((v as { plaintext: string }).plaintext) as string;
      const token = plain(shownOutputs.securityToken);
      const url = plain(shownOutputs.webSocketUrl);
      expect(token).toEqual(expect.any(String));
      expect(stack.rawState()).not.toContain(token);

      await admin.clearFaults();
      await admin.clearRequests();
      await stack.up();
      const [completed] = await terminalSessions(stack);
      expect(completed.id).toBe(partial.id);
      expect(completed.outputs!.creationTime).toEqual(expect.any(String));
      expect((await stack.outputs()).webSocketUrl).toBe(url);
      expect(await ecsCalls("StartTerminalSession")).toEqual([]);

      await stack.destroy();
      expect((await sessions()).find((s) => s.sessionId === partial.id)?.state).toBe("Ended");
    } finally {
      await admin.clearFaults();
      stack.cleanup();
    }
  });
});

describe("invalid inputs fail at preview, naming the field and the rule, before any API call", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await newStack();
  });
  afterAll(() => stack.cleanup());

  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["a port out of range", { portNumber: 70000 }, "portNumber", "PortNumber.Invalid"],
    [
      "a command with port forwarding",
      { commandLine: "uptime" },
      "commandLine",
      "InvalidCommandLine.Conflict",
    ],
    [
      "a target server without a port",
      { targetServer: "10.0.0.8", portNumber: null },
      "portNumber",
      "InvalidTargetServer.MissingPortNumber",
    ],
    [
      "a command over 512 characters",
      { commandLine: "x".repeat(513), portNumber: null },
      "commandLine",
      "InvalidCommandLine.LengthLimitExceeded",
    ],
    ["a non-ASCII client token", { clientToken: "jeton-été" }, "clientToken", "InvalidClientToken.Malformed"],
    [
      "an unknown connection type",
      { connectionType: "Public" },
      "connectionType",
      "InvalidParameter.ConnectionType",
    ],
    [
      "Kms encryption without a key",
      { portNumber: null, encryptionOptions: { enabled: true, mode: "Kms" } },
      "encryptionOptions.kmsKeyId",
      "MissingParameter.EncryptionOptionsKMSKeyId",
    ],
    ["two instances", { instanceIds: [INSTANCE, "i-other"] }, "instanceIds", "InstanceIds.ExceedLimit"],
  ];

  test.each(cases)("%s", async (_name, extra, property, rule) => {
    await stack.setConfig("e2e:extraInputs", JSON.stringify(extra));
    await admin.clearRequests();
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    const output = `${preview.stdout}\n${preview.stderr}`;
    expect(output).toContain(property);
    expect(output).toContain(rule);
    expect(await admin.requests()).toEqual([]);
  });
});

describe("adopting a session started outside Pulumi", () => {
  test("up records it without starting one; destroy ends it", async () => {
    const existing = await startTerminalSession(ecs(), { regionId: REGION, instanceIds: [INSTANCE] });
    const stack = await newStack({ "e2e:adoptSessionId": existing.sessionId });
    try {
      await admin.clearRequests();
      await stack.up();
      const resources = await terminalSessions(stack);
      const adopted = resources.find((r) => r.urn.endsWith("::adopted"))!;
      expect(adopted.id).toBe(existing.sessionId);
      expect(adopted.outputs!.adopted).toBe(true);
      // Only the stack's own session was started.
      expect(await ecsCalls("StartTerminalSession")).toHaveLength(1);
      const outputs = await stack.outputs();
      expect(outputs.adoptedId).toBe(existing.sessionId);
      expect(outputs.adoptedFlag).toBe(true);

      await stack.destroy();
      expect((await sessions()).find((s) => s.sessionId === existing.sessionId)?.state).toBe("Ended");
    } finally {
      stack.cleanup();
    }
  });
});

/**
 * The local cloud a user runs, restarted under a stack: `pulumi-sessions local-cloud` with a
 * fixed port and `--state-dir`, a TerminalSession and an SsmSession created with `pulumi up`,
 * the local cloud stopped (SIGTERM) and started again on the same port and folder. `pulumi
 * refresh` still finds both sessions (a connection that was live shows Disconnected, not ended),
 * the TerminalSession's URL still opens, and `pulumi destroy` ends both: the restarted cloud's
 * Describe calls show them ended.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EcsChannel } from "../../client/ecs/channel";
import { spawnBin, type SpawnedBin } from "../../cli/testing/spawnBin";
import { createAlicloudClient, findTerminalSession } from "../../provider/clients/alicloud";
import { createSsmClient, findSsmSession } from "../../provider/clients/aws";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

const ALI_KEY = { accessKeyId: "LTAIe2erestart001", accessKeySecret: "e2e-restart-secret-value" };
const AWS_KEY = { accessKeyId: "AKIAE2ERESTART001", accessKeySecret: "e2e-restart-aws-secret" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2erestart01";
const AWS_REGION = "us-east-2";
const TARGET = "i-0e2erestart0001";
const TERMINAL = "pulumi-nodejs:dynamic/alicloud:TerminalSession";
const SSM = "pulumi-nodejs:dynamic/aws:SsmSession";

let dir: string;
let port: number;
let echo: Server;
let echoPort: number;
let cloud: SpawnedBin | undefined;
let url: string;

/** A port nothing listens on now, to start the local cloud on twice. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

/** `pulumi-sessions local-cloud --config ... --port PORT --state-dir DIR`, as a user runs it. */
async function startCloud(): Promise<void> {
  cloud = spawnBin("bin.ts", [
    "local-cloud",
    "--config",
    join(dir, "local-cloud.json"),
    "--port",
    String(port),
    "--state-dir",
    join(dir, "state"),
  ]);
  url = (await cloud.firstLine()).url as string;
}

async function stopCloud(): Promise<void> {
  const running = cloud!;
  cloud = undefined;
  running.child.kill("SIGTERM");
  expect(await running.exited).toBe(0);
}

const ecs = () =>
  createAlicloudClient({
    product: "ecs",
    region: REGION,
    endpoint: url,
    credentials: { kind: "static", ...ALI_KEY, source: "test" },
  });
const ssm = () =>
  createSsmClient({
    region: AWS_REGION,
    endpoint: url,
    credentials: {
      kind: "static",
      accessKeyId: AWS_KEY.accessKeyId,
      secretAccessKey: AWS_KEY.accessKeySecret,
      source: "test",
    },
  });

/** Opens the session's URL with our client and waits until Describe shows it Connected. */
async function connect(webSocketUrl: string, sessionId: string): Promise<EcsChannel> {
  const channel = await EcsChannel.open(webSocketUrl, { onOutput: () => undefined, onEnd: () => undefined });
  for (let i = 0; i < 100; i++) {
    const { record } = await findTerminalSession(ecs(), REGION, sessionId);
    if (record?.connections.some((c) => c.status === "Connected")) return channel;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${sessionId} never showed a Connected connection`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pulumi-sessions-restart-"));
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as { port: number }).port;
  writeFileSync(
    join(dir, "local-cloud.json"),
    JSON.stringify({
      credentials: [ALI_KEY, AWS_KEY],
      ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
      ssm: { targets: [{ target: TARGET, region: AWS_REGION }] },
    }),
  );
  port = await freePort();
});

afterAll(async () => {
  if (cloud) await stopCloud();
  await new Promise((resolve) => echo?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test("refresh and destroy of stacks made before a restart find and end their sessions", async () => {
  await startCloud();
  const terminal = await TestStack.create({
    program: "terminal-session",
    config: {
      "alicloud:region": REGION,
      "sessions:localCloud": url,
      "e2e:instanceId": INSTANCE,
      "e2e:port": String(echoPort),
    },
    secrets: { "alicloud:accessKey": ALI_KEY.accessKeyId, "alicloud:secretKey": ALI_KEY.accessKeySecret },
    stackName: `r${uniqueSuffix()}`,
  });
  const tunnel = await TestStack.create({
    program: "ssm-session",
    config: {
      "aws:region": AWS_REGION,
      "sessions:ssmEndpoint": url,
      "e2e:target": TARGET,
      "e2e:port": "5432",
    },
    secrets: { "aws:accessKey": AWS_KEY.accessKeyId, "aws:secretKey": AWS_KEY.accessKeySecret },
    stackName: `r${uniqueSuffix()}`,
  });
  try {
    await terminal.up();
    await tunnel.up();
    const [session] = await terminal.resourcesOfType(TERMINAL);
    const [ssmSession] = await tunnel.resourcesOfType(SSM);
    const { webSocketUrl } = (await terminal.outputs()) as { webSocketUrl: string };
    // A live connection when the local cloud stops: it must not read as an ended session later.
    const channel = await connect(webSocketUrl, session.id!);

    await stopCloud();
    channel.close();
    await startCloud();

    const { record } = await findTerminalSession(ecs(), REGION, session.id!);
    expect(record?.connections.map((c) => [c.status, c.closedReason])).toEqual([
      ["Disconnected", "AgentSocketClosed"],
    ]);
    expect((await findSsmSession(ssm(), ssmSession.id!))?.status).toBe("Connecting");

    const refreshed = await terminal.refresh();
    expect(refreshed.stdout).not.toMatch(/deleted/);
    expect((await terminal.resourcesOfType(TERMINAL)).map((r) => r.id)).toEqual([session.id]);
    expect((await tunnel.refresh()).stdout).not.toMatch(/deleted/);
    expect((await tunnel.resourcesOfType(SSM)).map((r) => r.id)).toEqual([ssmSession.id]);

    // The session is still usable: the same URL opens again on the restarted local cloud.
    (await connect(webSocketUrl, session.id!)).close();

    await terminal.destroy();
    await tunnel.destroy();
    expect(await terminal.resourcesOfType(TERMINAL)).toEqual([]);
    expect(await tunnel.resourcesOfType(SSM)).toEqual([]);
    const ended = await findTerminalSession(ecs(), REGION, session.id!);
    expect(new Set(ended.record?.connections.map((c) => c.status))).toEqual(new Set(["Terminated"]));
    expect(["Terminating", "Terminated"]).toContain((await findSsmSession(ssm(), ssmSession.id!))?.status);
  } finally {
    await terminal.destroy({ allowFailure: true });
    await tunnel.destroy({ allowFailure: true });
    terminal.cleanup();
    tunnel.cleanup();
  }
});

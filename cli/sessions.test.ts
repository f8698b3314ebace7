/**
 * `pulumi-sessions connect` and `forward` as a user runs them, against the local cloud: the
 * session comes from the environment (never the command line), output and exit status come
 * through, a forwarded port carries bytes both ways, and nothing secret is printed.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { createServer, connect as tcpConnect, type AddressInfo, type Server } from "node:net";
import { startSsmTestCloud, type SsmTestCloud } from "../emulator/dataplane/ssm/testing/cloud";
import { startLocalCloud, type LocalCloud } from "../emulator/server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../emulator/testing/alibaba";
import { spawnBin } from "./testing/spawnBin";

const REGION = "cn-hangzhou";

/**
 * Sends `text` through a forwarded port and resolves with the echo once it is all back. (No
 * half-close: SSM, like the official plugin, ends the whole stream at the local end's EOF.)
 */
const roundTrip = (host: string, port: number, text: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = tcpConnect(port, host, () => socket.write(text));
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) socket.end();
    });
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
  });

describe("pulumi-sessions connect and forward (Alibaba Cloud ECS sessions)", () => {
  let cloud: LocalCloud;
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: "i-cli", regionId: REGION }] },
    });
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    echoPort = (echo.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await cloud.stop();
    echo.close();
  });

  const start = async (q: Record<string, unknown>) => {
    const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-cli"],
      ...q,
    });
    return r.body as unknown as { WebSocketUrl: string; SecurityToken: string };
  };

  test("connect streams a command session's output and exits with its status", async () => {
    const session = await start({ CommandLine: "echo marker-$((40+2)); exit 3" });
    const run = spawnBin("bin.ts", ["connect"], { PULUMI_SESSIONS_URL: session.WebSocketUrl });
    expect(await run.exited).toBe(3);
    expect(run.out.stdout).toContain("marker-42");
    for (const text of [run.out.stdout, run.out.stderr]) expect(text).not.toContain(session.SecurityToken);
  });

  test("forward listens locally and carries several connections through the session", async () => {
    const session = await start({ PortNumber: echoPort });
    const run = spawnBin("bin.ts", ["forward"], { PULUMI_SESSIONS_URL: session.WebSocketUrl });
    const { host, port } = (await run.firstLine()) as { host: string; port: number };
    expect(host).toBe("127.0.0.1");
    const texts = ["one", "two", "three"];
    expect(await Promise.all(texts.map((text) => roundTrip(host, port, text)))).toEqual(texts);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    for (const text of [run.out.stdout, run.out.stderr]) expect(text).not.toContain(session.SecurityToken);
  });

  test.each([
    [
      [],
      {},
      "pulumi-sessions connect: no session given: use --output NAME, --session-file PATH (- for standard input) or PULUMI_SESSIONS_URL",
    ],
    [
      [],
      { PULUMI_SESSIONS_URL: "http://127.0.0.1:1/session" },
      "pulumi-sessions connect: PULUMI_SESSIONS_URL is not a ws:// or wss:// URL",
    ],
    [
      [],
      { PULUMI_SESSIONS_URL: "ws://127.0.0.1:1/v1/data-channel/s-1?role=publish_subscribe" },
      "pulumi-sessions connect: PULUMI_SESSIONS_URL is an SSM StreamUrl: give its TokenValue too (PULUMI_SESSIONS_TOKEN, or tokenValue in a session file)",
    ],
    [
      ["--stack", "dev"],
      {},
      "pulumi-sessions connect: --stack needs --output NAME: the output that holds the session",
    ],
  ])("connect %j with %j is a usage error naming the problem", async (args, env, line) => {
    const run = spawnBin("bin.ts", ["connect", ...args], { PULUMI_SESSIONS_URL: "", ...env });
    expect(await run.exited).toBe(2);
    expect(run.out.stderr.split("\n")[0]).toBe(line);
  });
});

describe("pulumi-sessions connect and forward (AWS SSM sessions)", () => {
  let t: SsmTestCloud;
  beforeAll(async () => {
    t = await startSsmTestCloud();
  });
  afterAll(() => t.stop());

  /** StreamUrl and TokenValue from the environment, as a script would hand them over. */
  const env = (s: { StreamUrl: string; TokenValue: string }) => ({
    PULUMI_SESSIONS_URL: s.StreamUrl,
    PULUMI_SESSIONS_TOKEN: s.TokenValue,
  });

  test("connect shows an interactive command's output", async () => {
    const session = await t.start({
      DocumentName: "AWS-StartInteractiveCommand",
      Parameters: { command: ["echo marker-$((40+2))"] },
    });
    const run = spawnBin("bin.ts", ["connect"], env(session));
    expect(await run.exited).toBe(0);
    expect(run.out.stdout).toContain("marker-42");
    for (const text of [run.out.stdout, run.out.stderr]) expect(text).not.toContain(session.TokenValue);
  });

  test("forward multiplexes several connections over the one session and stops on SIGTERM", async () => {
    const session = await t.start({
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(t.echoPort)] },
    });
    const run = spawnBin("bin.ts", ["forward"], env(session));
    const { host, port } = (await run.firstLine()) as { host: string; port: number };
    const texts = Array.from({ length: 5 }, (_, i) => `connection ${i}`);
    expect(await Promise.all(texts.map((text) => roundTrip(host, port, text)))).toEqual(texts);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    for (const text of [run.out.stdout, run.out.stderr]) expect(text).not.toContain(session.TokenValue);
  });
});

/**
 * `connect` and `forward` keep secrets off the command line and out of their messages, take the
 * session from a file or standard input, and end a failed session with one line and a non-zero
 * exit code.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { encodeFrame } from "../emulator/dataplane/ecs/frames";
import { encodeMessage, MessageType } from "../emulator/dataplane/ssm/codec";
import { startLocalCloud, type LocalCloud } from "../emulator/server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../emulator/testing/alibaba";
import { spawnBin } from "./testing/spawnBin";

const SECRET = "s3cr3t-token-value";
const REGION = "cn-hangzhou";

describe("no secret on the command line or in a message", () => {
  test.each([
    [["connect", "--url", `ws://127.0.0.1:1/session?token=${SECRET}`], "--url", "PULUMI_SESSIONS_URL"],
    [["forward", `--url=ws://127.0.0.1:1/session?token=${SECRET}`], "--url", "PULUMI_SESSIONS_URL"],
    [["connect", "--token", SECRET], "--token", "PULUMI_SESSIONS_TOKEN"],
  ])("%j is refused, saying where to put it, without its value", async (args, option, variable) => {
    const run = spawnBin("bin.ts", args);
    expect(await run.exited).toBe(2);
    const [first] = run.out.stderr.split("\n");
    expect(first).toBe(
      `pulumi-sessions ${args[0]}: ${option} is not accepted: a command line is visible to every user of this machine; set ${variable}, or use --session-file PATH (- for standard input) or --output NAME`,
    );
    expect(run.out.stderr + run.out.stdout).not.toContain(SECRET);
  });

  test("a malformed URL in the environment is reported without its value", async () => {
    const run = spawnBin("bin.ts", ["connect"], {
      PULUMI_SESSIONS_URL: `ws://127.0.0.1:99999/session?token=${SECRET}`,
    });
    expect(await run.exited).toBe(2);
    expect(run.out.stderr.split("\n")[0]).toBe(
      "pulumi-sessions connect: PULUMI_SESSIONS_URL is not a valid URL (its value is not shown: it may hold a token)",
    );
    expect(run.out.stderr + run.out.stdout).not.toContain(SECRET);
  });

  test("a stray argument is not echoed", async () => {
    const run = spawnBin("bin.ts", ["connect", `ws://127.0.0.1:1/session?token=${SECRET}`]);
    expect(await run.exited).toBe(2);
    expect(run.out.stderr.split("\n")[0]).toBe(
      "pulumi-sessions connect: Unexpected argument. This command does not take positional arguments",
    );
    expect(run.out.stderr).not.toContain(SECRET);
  });
});

describe("the session from a file or standard input", () => {
  let cloud: LocalCloud;
  let dir: string;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: "i-cli-file", regionId: REGION }] },
    });
    dir = mkdtempSync(join(tmpdir(), "pulumi-sessions-file-"));
  });
  afterAll(async () => {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async () => {
    const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-cli-file"],
      CommandLine: "echo from-file-$((40+2)); exit 4",
    });
    return r.body as unknown as { WebSocketUrl: string };
  };

  test("--session-file PATH holding {webSocketUrl}", async () => {
    const session = await start();
    const path = join(dir, "session.json");
    writeFileSync(path, JSON.stringify({ webSocketUrl: session.WebSocketUrl }), { mode: 0o600 });
    const run = spawnBin("bin.ts", ["connect", "--session-file", path], { PULUMI_SESSIONS_URL: "" });
    expect(await run.exited).toBe(4);
    expect(run.out.stdout).toContain("from-file-42");
  });

  test("--session-file - reads the URL on a line of standard input", async () => {
    const session = await start();
    const run = spawnBin("bin.ts", ["connect", "--session-file", "-"], {}, `${session.WebSocketUrl}\n`);
    expect(await run.exited).toBe(4);
    expect(run.out.stdout).toContain("from-file-42");
  });
});

describe("a failed session ends the command with one line and a non-zero exit code", () => {
  let wss: WebSocketServer;
  let port: number;
  beforeAll(async () => {
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((r) => wss.once("listening", r));
    port = (wss.address() as AddressInfo).port;
    wss.on("connection", (ws, req) => {
      if (req.url?.startsWith("/v1/data-channel/")) {
        // SSM: an acknowledge of JSON null once the client opened the channel.
        ws.once("message", () =>
          ws.send(
            encodeMessage({
              messageType: MessageType.acknowledge,
              schemaVersion: 1,
              createdDate: Date.now(),
              sequenceNumber: 0,
              flags: 3,
              messageId: randomUUID(),
              payloadType: 0,
              payload: Buffer.from("null"),
            }),
          ),
        );
      } else {
        // ECS: a send-rate status without its value.
        ws.send(encodeFrame(5, 0n, Buffer.from([7])));
      }
    });
  });
  afterAll(() => new Promise((r) => wss.close(r)));

  test("connect (ECS)", async () => {
    const run = spawnBin("bin.ts", ["connect"], {
      PULUMI_SESSIONS_URL: `ws://127.0.0.1:${port}/session?sessionId=s-1&token=${SECRET}`,
    });
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toBe(
      "pulumi-sessions connect: SessionProtocolError MalformedFrame: the far end sent a malformed message (a send rate has 1 to 4 bytes). Open a new session; if it happens again, the URL is not a Session Manager data channel.\n",
    );
  });

  test("forward (SSM)", async () => {
    const run = spawnBin("bin.ts", ["forward"], {
      PULUMI_SESSIONS_URL: `ws://127.0.0.1:${port}/v1/data-channel/s-1?role=publish_subscribe`,
      PULUMI_SESSIONS_TOKEN: SECRET,
    });
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toBe(
      "pulumi-sessions forward: SessionProtocolError MalformedFrame: the far end sent a malformed message (payload: acknowledge: Invalid input: expected object, received null). Open a new session; if it happens again, the URL is not a Session Manager data channel.\n",
    );
    expect(run.out.stdout).not.toContain(SECRET);
  });
});

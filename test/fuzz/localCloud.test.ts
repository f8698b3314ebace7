/**
 * Hostile peers against one local cloud process: control-plane requests of both protocols,
 * WebSocket upgrades to both data planes, SSM and ECS frames over sessions whose token the peer
 * holds, and admin API bodies. Each input must get an answer (HTTP status or close) and leave the
 * process running; after each surface, a normal session of each cloud still works through it.
 */
import { randomUUID } from "node:crypto";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { fc } from "@fast-check/jest";
import { WebSocket } from "ws";
import { ecsMessage, jsonText, mutatedJson, SSM_JSON, ssmFrame, ssmMessage } from "./support/arbitraries";
import { fuzz, type Surface } from "./support/budget";
import { CLOUD_KEY, SSM_REGION, startCloudProcess, type CloudProcess } from "./support/cloudProcess";
import { exchange, httpRequest } from "./support/rawPeer";
import {
  acsBody,
  AMZ_DATE,
  awsBody,
  capturedAcsRequests,
  capturedAwsRequests,
  mutatedRequest,
  type RequestSpec,
} from "./support/requests";
import {
  assertNormalSessions,
  endEcsSession,
  endSsmSession,
  ssmClient,
  startEcsSession,
  startSsmSession,
  startTarget,
} from "./support/sessions";

let cloud: CloudProcess;
let echo: Awaited<ReturnType<typeof startTarget>>;
let ssm: SSMClient;

/** The crash's own lines: the end of what the process printed. */
const crashReport = (c: CloudProcess) =>
  `the local cloud exited; its stderr ends:\n${c.stderr().slice(-1500)}`;

/** Starts a fresh process when the last input ended it (so shrinking replays each input alike). */
async function live(): Promise<void> {
  if (cloud.alive()) return;
  ssm.destroy();
  cloud = await startCloudProcess();
  ssm = ssmClient(cloud);
}

/** Sends one request's bytes; the peer must get an answer and the process must not exit. */
async function answered(request: RequestSpec): Promise<void> {
  await live();
  const answer = await exchange(
    cloud.port,
    httpRequest(request.method, request.target, request.headers, request.body),
  );
  if ("silent" in answer) throw new Error("the peer got neither an answer nor a close");
  if ("status" in answer ? !cloud.alive() : await cloud.exitedWithin(300))
    throw new Error(crashReport(cloud));
}

/** After a session's frames: the process still answers the API (and so did not exit meanwhile). */
async function stillServing(end: () => Promise<void>): Promise<void> {
  try {
    await end();
  } catch {
    // The call's failure is no verdict by itself; the process exiting is.
  }
  // A moment for an exit to be seen: a crash noticed by the next input would be blamed on it.
  if (await cloud.exitedWithin(cloud.alive() ? 50 : 300)) throw new Error(crashReport(cloud));
}

beforeAll(async () => {
  echo = await startTarget();
  cloud = await startCloudProcess();
  ssm = ssmClient(cloud);
});
afterAll(async () => {
  ssm.destroy();
  await cloud.stop();
  await echo.close();
});

describe("control-plane requests", () => {
  test("ACS RPC: query and form parameters, signature fields, headers", async () => {
    const fixtures = await capturedAcsRequests();
    await fuzz("control-plane ACS RPC", fc.asyncProperty(mutatedRequest(fixtures, acsBody), answered));
    await assertNormalSessions(cloud, echo.port);
  });

  test("AWS JSON 1.1: X-Amz-Target, SigV4 pieces, JSON bodies", async () => {
    const fixtures = await capturedAwsRequests();
    await fuzz("control-plane AWS JSON 1.1", fc.asyncProperty(mutatedRequest(fixtures, awsBody), answered));
    await assertNormalSessions(cloud, echo.port);
  });
});

/** A WebSocket upgrade request to `url` as `ws` writes one. */
function upgradeRequest(url: string, extra: Array<[string, string]> = []): RequestSpec {
  const u = new URL(url);
  return {
    method: "GET",
    target: `${u.pathname}${u.search}`,
    headers: [
      ["host", u.host],
      ["connection", "Upgrade"],
      ["upgrade", "websocket"],
      ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["sec-websocket-version", "13"],
      ...extra,
    ],
    body: Buffer.alloc(0),
  };
}

describe("WebSocket upgrade requests (path, query, headers)", () => {
  /** Upgrades made from `fixtures` (of a live session) must each get an answer. */
  const upgrades = async (surface: Surface, fixtures: RequestSpec[]) => {
    await fuzz(
      surface,
      fc.asyncProperty(
        mutatedRequest(fixtures, () => fc.constant(Buffer.alloc(0))),
        answered,
      ),
    );
    await assertNormalSessions(cloud, echo.port);
  };

  test("SSM data plane", async () => {
    await live();
    const s = await startSsmSession(ssm, echo.port);
    const signed = `AWS4-HMAC-SHA256 Credential=${CLOUD_KEY.accessKeyId}/${AMZ_DATE.slice(0, 8)}/${SSM_REGION}/ssmmessages/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
    await upgrades("upgrade SSM data plane", [
      upgradeRequest(s.StreamUrl),
      upgradeRequest(s.StreamUrl, [
        ["x-amz-date", AMZ_DATE],
        ["authorization", signed],
      ]),
    ]);
  });

  test("ECS data plane", async () => {
    await live();
    const e = await startEcsSession(cloud, echo.port);
    await upgrades("upgrade ECS data plane", [upgradeRequest(e.WebSocketUrl, [["x-acs-session-token", ""]])]);
  });
});

/** Opens `url`, sends `first` (if any) then `frames`, and waits for the close or a moment of quiet. */
async function sendFrames(url: string, first: string | undefined, frames: Buffer[]): Promise<void> {
  const ws = new WebSocket(url);
  ws.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  const opened = await Promise.race([
    new Promise<boolean>((resolve) => ws.once("open", () => resolve(true))),
    closed.then(() => false),
  ]);
  if (opened) {
    if (first !== undefined) ws.send(first);
    for (const f of frames) ws.send(f, { binary: true });
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  ws.terminate();
}

describe("data-plane frames from a peer holding a session's token", () => {
  test("SSM frames to the local cloud", async () => {
    const handshakeResponse = ssmFrame({
      type: "input_stream_data",
      sequence: 0n,
      flags: 1n,
      payloadType: 6,
      payload: Buffer.from(JSON.stringify(SSM_JSON.handshakeResponse)),
      consistent: true,
    });
    const input = fc.record({
      handshake: fc.boolean(),
      frames: fc.array(ssmMessage, { minLength: 1, maxLength: 6 }),
      // Numbered in order, the frames reach the agent's handling instead of its reorder buffer.
      inOrder: fc.boolean(),
    });
    await fuzz(
      "SSM frames to the local cloud",
      fc.asyncProperty(input, async ({ handshake, frames, inOrder }) => {
        if (inOrder)
          frames.forEach((f, i) => f.length >= 120 && f.writeBigInt64BE(BigInt(i + (handshake ? 1 : 0)), 48));
        await live();
        const s = await startSsmSession(ssm, echo.port);
        const open = JSON.stringify({
          MessageSchemaVersion: "1.0",
          RequestId: randomUUID(),
          TokenValue: s.TokenValue,
          ClientId: randomUUID(),
          ClientVersion: "1.2.0.0",
        });
        await sendFrames(s.StreamUrl, open, handshake ? [handshakeResponse, ...frames] : frames);
        await stillServing(() => endSsmSession(ssm, s.SessionId));
      }),
    );
    await assertNormalSessions(cloud, echo.port);
  });

  test("ECS frames to the local cloud", async () => {
    await fuzz(
      "ECS frames to the local cloud",
      fc.asyncProperty(fc.array(ecsMessage, { minLength: 1, maxLength: 6 }), async (frames) => {
        await live();
        const e = await startEcsSession(cloud, echo.port);
        await sendFrames(e.WebSocketUrl, undefined, frames);
        await stillServing(() => endEcsSession(cloud, e.SessionId));
      }),
    );
    await assertNormalSessions(cloud, echo.port);
  });
});

describe("admin API", () => {
  /** The bodies admin.test.ts posts, whose fields the generator changes. */
  const FAULT = {
    service: "ecs",
    action: "DescribeTerminalSessions",
    kind: "throttle",
    count: 2,
    probability: 1,
    latencyMs: 10,
  };
  const INVENTORY = {
    ecs: {
      instances: [{ instanceId: "i-other", regionId: "cn-beijing", agentOnline: false }],
      dispatchDelayMs: 0,
    },
    ssm: { targets: [{ target: "mi-other", region: "us-east-1", connected: false }] },
    remove: { ecsInstances: ["i-gone"], ssmTargets: ["mi-gone"] },
  };

  test("admin API bodies", async () => {
    const body = fc.oneof(
      jsonText(FAULT),
      jsonText(INVENTORY),
      mutatedJson(INVENTORY)
        .chain((v) => mutatedJson({ ecs: v, ssm: v, das: v, remove: v, credentials: [v] }))
        .map((v) => JSON.stringify(v)),
    );
    const input = fc.record({
      method: fc.constantFrom("POST", "POST", "GET", "DELETE", "PUT"),
      path: fc.oneof(
        fc.constantFrom("faults", "inventory", "requests", "sessions", "health"),
        fc.string({ maxLength: 12 }),
      ),
      body: body.map((t) => Buffer.from(t)),
      json: fc.oneof({ arbitrary: fc.constant("application/json"), weight: 5 }, fc.string({ maxLength: 20 })),
    });
    await fuzz(
      "admin API bodies",
      fc.asyncProperty(input, (r) =>
        answered({
          method: r.method,
          target: `/_admin/${r.path}`,
          headers: [
            ["host", cloud.endpoint],
            ["authorization", `Bearer ${cloud.adminToken}`],
            ["content-type", r.json],
          ],
          body: r.body,
        }),
      ),
    );
    // What the bodies changed must not decide the check that follows.
    for (const [method, path, body] of [
      ["DELETE", "faults", ""],
      ["POST", "inventory", JSON.stringify({ ecs: { dispatchDelayMs: 0 } })],
    ]) {
      await fetch(`${cloud.url}/_admin/${path}`, {
        method,
        headers: { authorization: `Bearer ${cloud.adminToken}`, "content-type": "application/json" },
        body: body || undefined,
      });
    }
    await assertNormalSessions(cloud, echo.port);
  });
});

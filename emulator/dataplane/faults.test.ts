/**
 * Data-plane faults and timing through the admin API, on a ManualClock: drops (at once, every N
 * ms, after N bytes) on both planes, the idle timeouts and the periodic close as settings. The
 * SSM side is driven with a hand-written data-channel client and the official SDK; after each
 * fault the same session (SSM, resumed) or a new connection (ECS) is served normally.
 */
import { createServer, type AddressInfo, type Server } from "node:net";
import {
  DescribeSessionsCommand,
  ResumeSessionCommand,
  SSMClient,
  StartSessionCommand,
} from "@aws-sdk/client-ssm";
import { WebSocket } from "ws";
import { AdminClient, AdminError } from "../admin/client";
import { ManualClock } from "../clock";
import { startLocalCloud, type LocalCloud } from "../server";
import { callRpc, connectionStatuses, openApiClient, TEST_CREDENTIAL } from "../testing/alibaba";
import { decodeFrame, encodeFrame, MESSAGE_TYPES } from "./ecs/frames";
import { RawSsmClient } from "./ssm/testing/rawClient";

const CRED = { accessKeyId: "AKIAFAULTS00000001", accessKeySecret: "faults-secret" };
const SSM_REGION = "eu-west-1";
const NODE = "i-0faults0000000001";
const ECS_REGION = "cn-hangzhou";
const INSTANCE = "i-faults1";
const MINUTE = 60_000;

let clock: ManualClock;
let cloud: LocalCloud;
let admin: AdminClient;
let ssm: SSMClient;
let echo: Server;
let echoPort: number;
const clients: RawSsmClient[] = [];

beforeAll(async () => {
  clock = new ManualClock();
  cloud = await startLocalCloud(
    {
      credentials: [CRED, TEST_CREDENTIAL],
      ssm: { targets: [{ target: NODE, region: SSM_REGION }] },
      ecs: { instances: [{ instanceId: INSTANCE, regionId: ECS_REGION }] },
    },
    { clock },
  );
  admin = new AdminClient(cloud);
  ssm = new SSMClient({
    region: SSM_REGION,
    endpoint: cloud.url,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
    maxAttempts: 1,
  });
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as AddressInfo).port;
});

afterEach(async () => {
  await admin.clearDataPlaneFaults();
  await admin.setDataPlaneSettings({
    ssm: { idleTimeoutMs: 20 * MINUTE, periodicCloseMs: null },
    ecs: { idleTimeoutMs: 3 * MINUTE, periodicCloseMs: null },
  });
  for (const c of clients.splice(0)) c.ws.terminate();
});

afterAll(async () => {
  ssm.destroy();
  await cloud.stop();
  await new Promise((r) => echo.close(r));
});

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function ssmStatus(sessionId: string): Promise<string | undefined> {
  const out = await ssm.send(
    new DescribeSessionsCommand({ State: "Active", Filters: [{ key: "SessionId", value: sessionId }] }),
  );
  if (out.Sessions?.[0]) return out.Sessions[0].Status;
  const old = await ssm.send(
    new DescribeSessionsCommand({ State: "History", Filters: [{ key: "SessionId", value: sessionId }] }),
  );
  return old.Sessions?.[0]?.Status;
}

/** Polls until `check` holds (real time; the local cloud's clock does not move meanwhile). */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await tick(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * An SSH-style SSM session (one byte stream) to the echo server, handshaken: `say` sends with the
 * next sequence number and waits for the echo.
 */
async function ssmSession() {
  const out = await ssm.send(
    new StartSessionCommand({
      Target: NODE,
      DocumentName: "AWS-StartSSHSession",
      Parameters: { portNumber: [String(echoPort)] },
    }),
  );
  const sessionId = out.SessionId ?? "";
  const streamUrl = out.StreamUrl ?? "";
  let sequence = 0;
  let echoed = "";
  const s = {
    sessionId,
    client: await RawSsmClient.open(streamUrl, out.TokenValue ?? ""),
    async say(text: string): Promise<void> {
      echoed += text;
      s.client.input(1, Buffer.from(text), ++sequence);
      await until(() => s.client.output().endsWith(echoed), `the echo of ${JSON.stringify(text)}`);
    },
    /** ResumeSession, then a new connection with the new token; output already seen counts. */
    async resume(): Promise<void> {
      const resumed = await ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
      expect(resumed.StreamUrl).toBe(streamUrl);
      echoed = "";
      s.client = await RawSsmClient.open(streamUrl, resumed.TokenValue ?? "");
      clients.push(s.client);
      await until(async () => (await ssmStatus(sessionId)) === "Connected", "Connected again");
    },
  };
  clients.push(s.client);
  await s.client.handshake();
  sequence = 0; // the handshake response was message 0
  await until(async () => (await ssmStatus(sessionId)) === "Connected", "Connected");
  return s;
}

/** Whether a close frame came before the socket closed (a drop sends none: code 1006). */
function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

describe("SSM data-plane drops", () => {
  it("a drop at once ends the socket without a close frame; the session stays Connected and resumes", async () => {
    const s = await ssmSession();
    await s.say("before-");
    const closed = s.client.closed;
    const rule = await admin.addDataPlaneFault({
      plane: "ssm",
      sessionId: s.sessionId,
      kind: "drop",
      at: "now",
    });
    expect(rule).toMatchObject({ kind: "drop", at: "now", applied: 1 });
    expect(await closed).toEqual({ code: 1006, reason: "" });
    expect(s.client.received.some((m) => m.type === "channel_closed")).toBe(false);
    // The service did not see it go (no close frame): the session is still Connected.
    expect(await ssmStatus(s.sessionId)).toBe("Connected");
    expect(await admin.dataPlaneFaults()).toEqual([]);
    await s.resume();
    await s.say("after");
  });

  it("a rule for another session leaves this one alone", async () => {
    const s = await ssmSession();
    const rule = await admin.addDataPlaneFault({
      plane: "ssm",
      sessionId: "nobody",
      kind: "drop",
      at: "now",
    });
    expect(rule.applied).toBe(0);
    await s.say("still-here");
  });

  it("everyMs drops each connection that long after it opened, on the clock; count retires the rule", async () => {
    const s = await ssmSession();
    await admin.addDataPlaneFault({
      plane: "ssm",
      sessionId: s.sessionId,
      kind: "drop",
      everyMs: MINUTE,
      count: 2,
    });
    clock.advance(MINUTE - 1);
    await s.say("almost");
    clock.advance(1);
    expect(await s.client.closed).toEqual({ code: 1006, reason: "" });
    await s.resume();
    clock.advance(MINUTE);
    expect(await s.client.closed).toEqual({ code: 1006, reason: "" });
    expect(await admin.dataPlaneFaults()).toEqual([]);
    await s.resume();
    clock.advance(MINUTE);
    await s.say("spared");
  });

  it("afterBytes drops a connection once it carried that many bytes either way", async () => {
    const s = await ssmSession();
    const [rule] = [
      await admin.addDataPlaneFault({ plane: "ssm", sessionId: s.sessionId, kind: "drop", afterBytes: 3000 }),
    ];
    // One echo of 500 bytes is about 1,900 bytes on the wire (input, output, two acknowledgements).
    await s.say("a".repeat(500));
    expect(s.client.ws.readyState).toBe(WebSocket.OPEN);
    s.client.input(1, Buffer.from("b".repeat(500)), 2);
    expect(await s.client.closed).toEqual({ code: 1006, reason: "" });
    expect((await admin.dataPlaneFaults()).find((r) => r.id === rule.id)?.applied).toBe(1);
    await s.resume();
    // The input sent as the connection dropped was acknowledged or is resent by the client.
    s.client.input(1, Buffer.from("b".repeat(500)), 2);
    await until(() => s.client.output().includes("b".repeat(500)), "the second echo");
  });
});

describe("SSM timing settings", () => {
  it("the idle timeout (20 minutes) runs on the clock: channel_closed IdleTimeout, then Terminated", async () => {
    expect((await admin.dataPlaneSettings()).ssm).toEqual({ idleTimeoutMs: 20 * MINUTE });
    const s = await ssmSession();
    await s.say("x");
    clock.advance(20 * MINUTE - 1);
    await tick();
    expect(await ssmStatus(s.sessionId)).toBe("Connected");
    clock.advance(1);
    expect(await s.client.channelClosed()).toBe("IdleTimeout");
    expect(await s.client.closed).toEqual({ code: 1000, reason: "Session ended: IdleTimeout" });
    expect(await ssmStatus(s.sessionId)).toBe("Terminated");
  });

  it("a changed idle timeout applies; data keeps a session alive", async () => {
    await admin.setDataPlaneSettings({ ssm: { idleTimeoutMs: 5 * MINUTE } });
    const s = await ssmSession();
    for (let i = 0; i < 3; i++) {
      clock.advance(4 * MINUTE);
      await s.say(`keep-${i}`);
    }
    clock.advance(5 * MINUTE);
    expect(await s.client.channelClosed()).toBe("IdleTimeout");
  });

  it("the periodic close: 1000 Bye after periodicCloseMs; the session is resumed and carries on", async () => {
    const settings = await admin.setDataPlaneSettings({ ssm: { periodicCloseMs: 60 * MINUTE } });
    expect(settings.ssm).toEqual({ idleTimeoutMs: 20 * MINUTE, periodicCloseMs: 60 * MINUTE });
    // Long enough not to be idle meanwhile.
    await admin.setDataPlaneSettings({ ssm: { idleTimeoutMs: 120 * MINUTE } });
    const s = await ssmSession();
    clock.advance(60 * MINUTE);
    expect(await s.client.closed).toEqual({ code: 1000, reason: "Bye" });
    expect(s.client.received.some((m) => m.type === "channel_closed")).toBe(false);
    await s.resume();
    await s.say("next-hour");
  });

  it("refuses bad settings and rules with 400, naming the field", async () => {
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => (e instanceof AdminError ? { status: e.status, body: e.body } : e),
      );
    const bad = await refusal(admin.setDataPlaneSettings({ ssm: { idleTimeoutMs: -1 } }));
    expect(bad).toMatchObject({ status: 400, body: { issues: [{ path: ["ssm", "idleTimeoutMs"] }] } });
    const unknown = await refusal(admin.setDataPlaneSettings({ das: {} } as never));
    expect(unknown).toMatchObject({
      status: 400,
      body: { issues: [{ code: "unrecognized_keys", keys: ["das"] }] },
    });
    const ecsFrames = await refusal(admin.addDataPlaneFault({ plane: "ecs", kind: "dropFrames" } as never));
    expect(ecsFrames).toMatchObject({ status: 400, body: { issues: [{ path: ["plane"] }] } });
    const two = await refusal(admin.addDataPlaneFault({ plane: "ssm", kind: "drop", at: "now", everyMs: 5 }));
    expect(two).toMatchObject({ status: 400, body: { issues: [{ path: ["at"] }] } });
    expect(await admin.dataPlaneSettings()).toEqual({
      ssm: { idleTimeoutMs: 20 * MINUTE },
      ecs: { idleTimeoutMs: 3 * MINUTE },
    });
  });
});

describe("ECS data-plane drops and timing", () => {
  const api = () => openApiClient(cloud);

  async function ecsConnection() {
    const r = await callRpc(api(), "StartTerminalSession", {
      RegionId: ECS_REGION,
      InstanceId: [INSTANCE],
      PortNumber: echoPort,
    });
    const { SessionId, WebSocketUrl } = r.body as { SessionId: string; WebSocketUrl: string };
    const ws = new WebSocket(WebSocketUrl);
    const closed = closeOf(ws);
    let output = "";
    ws.on("message", (d: Buffer) => {
      const f = decodeFrame(d);
      if (f.type === MESSAGE_TYPES.output) output += f.payload.toString();
    });
    await new Promise((r2) => ws.once("open", r2));
    await until(async () => (await ecsStatuses(SessionId)).includes("Connected"), "Connected");
    let seq = 0n;
    return {
      sessionId: SessionId,
      url: WebSocketUrl,
      ws,
      closed,
      async say(text: string): Promise<void> {
        ws.send(encodeFrame(MESSAGE_TYPES.input, seq++, Buffer.from(text)));
        await until(() => output.includes(text), `the echo of ${text}`);
      },
    };
  }

  const ecsStatuses = (sessionId: string) => connectionStatuses(api(), ECS_REGION, sessionId);

  it("a drop at once ends the socket without a close frame; a new connection is served", async () => {
    const c = await ecsConnection();
    await c.say("one");
    const rule = await admin.addDataPlaneFault({ plane: "ecs", kind: "drop", at: "now" });
    expect(rule.applied).toBe(1);
    expect(await c.closed).toEqual({ code: 1006, reason: "" });
    const again = await ecsConnection();
    await again.say("two");
    again.ws.close();
  });

  it("everyMs and afterBytes drop ECS connections too", async () => {
    const c = await ecsConnection();
    await admin.addDataPlaneFault({
      plane: "ecs",
      sessionId: c.sessionId,
      kind: "drop",
      everyMs: 90_000,
      count: 1,
    });
    clock.advance(89_999);
    await c.say("alive");
    clock.advance(1);
    expect(await c.closed).toEqual({ code: 1006, reason: "" });
    const d = await ecsConnection();
    await admin.addDataPlaneFault({ plane: "ecs", sessionId: d.sessionId, kind: "drop", afterBytes: 200 });
    await d.say("x".repeat(50));
    d.ws.send(encodeFrame(MESSAGE_TYPES.input, 1n, Buffer.from("y".repeat(100))));
    expect(await d.closed).toEqual({ code: 1006, reason: "" });
  });

  it("the idle timeout (3 minutes) and the periodic close run on the clock", async () => {
    const c = await ecsConnection();
    clock.advance(3 * MINUTE - 1);
    await c.say("kept");
    clock.advance(3 * MINUTE);
    expect(await c.closed).toEqual({ code: 4001, reason: "IdleTimeout" });
    expect(await ecsStatuses(c.sessionId)).toEqual(["Disconnected/DeliveryTimeout"]);
    await admin.setDataPlaneSettings({ ecs: { periodicCloseMs: 10 * MINUTE, idleTimeoutMs: 30 * MINUTE } });
    const p = await ecsConnection();
    clock.advance(10 * MINUTE);
    expect(await p.closed).toEqual({ code: 1001, reason: "PeriodicClose" });
    expect(await ecsStatuses(p.sessionId)).toEqual(["Disconnected/PeriodicClose"]);
  });
});

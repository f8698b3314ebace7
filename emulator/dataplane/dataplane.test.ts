/**
 * The WebSocket data plane behind StartTerminalSession's WebSocketUrl, driven end to end:
 * official client to start/describe/end, the `ws` package to connect.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { AdminClient } from "../admin/client";
import { ManualClock } from "../clock";
import { startLocalCloud, type LocalCloud } from "../server";
import { acsError, callRpc, openApiClient, TEST_CREDENTIAL } from "../testing/alibaba";
import { connectSession, handshakeStatus } from "../testing/wsClient";

const REGION = "cn-hangzhou";
const IDLE_MS = 1500;

interface Conn {
  Status: string;
  ClosedReason?: string;
  StartTime: string;
  EndTime?: string;
  InstanceId: string;
}

describe("data plane", () => {
  let cloud: LocalCloud;
  let clock: ManualClock;
  let api: ReturnType<typeof openApiClient>;
  let admin: AdminClient;
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    clock = new ManualClock();
    cloud = await startLocalCloud(
      {
        credentials: [TEST_CREDENTIAL],
        ecs: {
          instances: [
            { instanceId: "i-1", regionId: REGION },
            { instanceId: "i-busy", regionId: REGION },
            { instanceId: "i-flaky", regionId: REGION },
          ],
        },
      },
      { clock, idleTimeoutMs: IDLE_MS },
    );
    api = openApiClient(cloud);
    admin = new AdminClient(cloud.url);
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    echoPort = (echo.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await cloud.stop();
    echo.close();
  });

  const start = async (q: Record<string, unknown>, instance = "i-1") => {
    const r = await callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: [instance], ...q });
    return r.body as { SessionId: string; SecurityToken: string; WebSocketUrl: string };
  };
  const connections = async (sessionId: string): Promise<Conn[]> => {
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, SessionId: sessionId });
    const [s] = (r.body.Sessions as { Session: Array<{ Connections: { Connection: Conn[] } }> }).Session;
    return s.Connections.Connection;
  };
  /** Connection state changes arrive asynchronously; poll Describe until it shows `status`. */
  const waitForStatus = async (sessionId: string, status: string): Promise<Conn[]> => {
    for (let i = 0; i < 100; i++) {
      const conns = await connections(sessionId);
      if (conns.some((c) => c.Status === status)) return conns;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${status} connection; got ${JSON.stringify(await connections(sessionId))}`);
  };

  test("command mode: runs /bin/sh -c in a scratch folder, streams output, reports the exit, closes", async () => {
    const s = await start({ CommandLine: "echo hello; echo oops >&2; pwd; exit 3" });
    expect(s.WebSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/session\/s-[a-z0-9]+\?token=/);
    const c = connectSession(s.WebSocketUrl);
    const closed = await c.closed;
    expect(closed.code).toBe(1000);
    expect(c.output()).toContain("hello\n");
    expect(c.output()).toContain("oops\n");
    expect(c.output()).toMatch(/pulumi-sessions-[^\n]+\n/);
    expect(c.controls).toEqual([{ type: "exit", exitCode: 3 }]);
    const [conn] = await waitForStatus(s.SessionId, "Disconnected");
    expect(conn).toMatchObject({
      Status: "Disconnected",
      ClosedReason: "AgentSocketClosed",
      InstanceId: "i-1",
    });
    expect(conn.EndTime).toMatch(/Z$/);
  });

  test("command mode: the command arrives intact, and the emulator's environment does not leak", async () => {
    const s = await start({
      CommandLine: `printf '%s|' "(a)*!b" "é & =" "[$ALIBABA_CLOUD_ECS_METADATA_DISABLED]"`,
    });
    const c = connectSession(s.WebSocketUrl);
    await c.closed;
    expect(c.output()).toBe("(a)*!b|é & =|[]|");
  });

  test("shell mode: binary frames are stdin, eof control ends it", async () => {
    const s = await start({});
    const c = connectSession(s.WebSocketUrl);
    await c.opened;
    c.ws.send(Buffer.from("echo $((6*7))\n"));
    await c.waitFor("42\n");
    await waitForStatus(s.SessionId, "Connected");
    c.ws.send(JSON.stringify({ type: "resize", cols: 80, rows: 24 }));
    c.ws.send(JSON.stringify({ type: "eof" }));
    expect((await c.closed).code).toBe(1000);
    expect(c.controls).toEqual([{ type: "exit", exitCode: 0 }]);
  });

  test("port mode: bytes go to 127.0.0.1:<PortNumber> and back; client close -> Disconnected/ClientClosed", async () => {
    const s = await start({ PortNumber: echoPort, TargetServer: "192.168.0.246" });
    const c = connectSession(s.WebSocketUrl);
    await c.opened;
    c.ws.send(Buffer.from("ping over tcp"));
    await c.waitFor("ping over tcp");
    await waitForStatus(s.SessionId, "Connected");
    c.ws.close();
    const [conn] = await waitForStatus(s.SessionId, "Disconnected");
    expect(conn.ClosedReason).toBe("ClientClosed");
  });

  test("port mode: nothing listening -> Failed, close 1011", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const s = await start({ PortNumber: freePort });
    const c = connectSession(s.WebSocketUrl);
    expect((await c.closed).code).toBe(1011);
    const [conn] = await waitForStatus(s.SessionId, "Failed");
    expect(conn.ClosedReason).toBe("DeliveryTimeout");
  });

  test("the token may come as x-session-token; a wrong token -> 403; an unknown session -> 404", async () => {
    const s = await start({ CommandLine: "echo via-header" });
    const bare = s.WebSocketUrl.replace(/\?token=.*$/, "");
    const c = connectSession(bare, { "x-session-token": s.SecurityToken });
    await c.closed;
    expect(c.output()).toBe("via-header\n");
    expect(await handshakeStatus(`${bare}?token=wrong`)).toBe(403);
    expect(await handshakeStatus(bare)).toBe(403);
    expect(await handshakeStatus(`ws://${cloud.endpoint}/session/s-nope?token=x`)).toBe(404);
  });

  test("the URL works for 10 minutes; after that new connections are refused, live ones go on", async () => {
    const s = await start({});
    const live = connectSession(s.WebSocketUrl);
    await live.opened;
    clock.advance(10 * 60 * 1000 + 1);
    expect(await handshakeStatus(s.WebSocketUrl)).toBe(410);
    live.ws.send(Buffer.from("echo still-here\n"));
    await live.waitFor("still-here\n");
    live.ws.close();
    await live.closed;
  });

  test("EndTerminalSession closes live sockets (4002), Describe shows Terminated, the URL stops working", async () => {
    const s = await start({});
    const c = connectSession(s.WebSocketUrl);
    await c.opened;
    await waitForStatus(s.SessionId, "Connected");
    await callRpc(api, "EndTerminalSession", { RegionId: REGION, SessionId: s.SessionId });
    expect((await c.closed).code).toBe(4002);
    const [conn] = await waitForStatus(s.SessionId, "Terminated");
    expect(conn.EndTime).toBeDefined();
    expect(await handshakeStatus(s.WebSocketUrl)).toBe(410);
  });

  test("idle connections close after the idle timeout (4001), Disconnected/DeliveryTimeout", async () => {
    const s = await start({});
    const c = connectSession(s.WebSocketUrl);
    await c.opened;
    const t0 = Date.now();
    expect((await c.closed).code).toBe(4001);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(IDLE_MS - 100);
    const [conn] = await waitForStatus(s.SessionId, "Disconnected");
    expect(conn.ClosedReason).toBe("DeliveryTimeout");
  });

  test("a malformed control message fails the connection (4400, MessageFormatInvalid)", async () => {
    const s = await start({});
    const c = connectSession(s.WebSocketUrl);
    await c.opened;
    c.ws.send("not json");
    expect((await c.closed).code).toBe(4400);
    const [conn] = await waitForStatus(s.SessionId, "Failed");
    expect(conn.ClosedReason).toBe("MessageFormatInvalid");
  });

  test.each([
    [{ agentOnline: false }, "AgentNotOnline"],
    [{ status: "Stopped" }, "InstanceNotRunning"],
    [{ agentVersion: "2.2.3.100" }, "AgentNeedUpgrade"],
  ] as const)("instance changes after Start (%j) -> connection Failed/%s", async (change, reason) => {
    const s = await start({}, "i-flaky");
    await admin.addInventory({
      ecs: { instances: [{ instanceId: "i-flaky", regionId: REGION, ...change }] },
    });
    try {
      const c = connectSession(s.WebSocketUrl);
      const closed = await c.closed;
      expect(closed).toEqual({ code: 4003, reason });
      const [conn] = await waitForStatus(s.SessionId, "Failed");
      expect(conn.ClosedReason).toBe(reason);
    } finally {
      await admin.addInventory({ ecs: { instances: [{ instanceId: "i-flaky", regionId: REGION }] } });
    }
  });

  test("a released instance -> connection Failed/InstanceNotExists", async () => {
    const s = await start({}, "i-flaky");
    await admin.addInventory({ remove: { ecsInstances: ["i-flaky"] } });
    try {
      const c = connectSession(s.WebSocketUrl);
      expect((await c.closed).reason).toBe("InstanceNotExists");
      const [conn] = await waitForStatus(s.SessionId, "Failed");
      expect(conn.ClosedReason).toBe("InstanceNotExists");
    } finally {
      await admin.addInventory({ ecs: { instances: [{ instanceId: "i-flaky", regionId: REGION }] } });
    }
  });

  test("20 connected sessions per instance; the 21st Start -> SessionCount.ExceedLimit", async () => {
    const sockets = [];
    for (let i = 0; i < 20; i++) {
      const s = await start({ PortNumber: echoPort }, "i-busy");
      const c = connectSession(s.WebSocketUrl);
      await c.opened;
      await waitForStatus(s.SessionId, "Connected");
      sockets.push(c);
    }
    const err = await acsError(start({ PortNumber: echoPort }, "i-busy"));
    expect([err.statusCode, err.code]).toEqual([403, "SessionCount.ExceedLimit"]);
    // Another instance is not affected; freeing one connection frees a slot.
    await start({ PortNumber: echoPort }, "i-1");
    sockets[0].ws.close();
    await sockets[0].closed;
    await new Promise((r) => setTimeout(r, 50));
    await start({ PortNumber: echoPort }, "i-busy");
    for (const c of sockets.slice(1)) c.ws.close();
    await Promise.all(sockets.map((c) => c.closed));
  });

  test("admin sessions snapshot shows the ECS sessions", async () => {
    const snap = (await admin.sessions()) as { ecs: Array<{ sessionId: string; connections: unknown[] }> };
    expect(Array.isArray(snap.ecs)).toBe(true);
    expect(snap.ecs.length).toBeGreaterThan(5);
  });
});

describe("data plane bandwidth", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud(
      { credentials: [TEST_CREDENTIAL], ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] } },
      { bandwidthBytesPerSec: 64 * 1024 },
    );
  });
  afterAll(() => cloud.stop());

  test("output is held to the session's rate (one second of burst, then the rate)", async () => {
    const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-1"],
      CommandLine: "head -c 196608 /dev/zero",
    });
    const t0 = Date.now();
    const c = connectSession(r.body.WebSocketUrl as string);
    await c.closed;
    expect(c.output()).toHaveLength(196608);
    // 64 KiB burst + 128 KiB at 64 KiB/s: about two seconds.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1800);
  });
});

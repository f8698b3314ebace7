/**
 * Hostile peers against the ECS data plane: each case gets its reason (HTTP answer, status
 * message, close code), and the same process serves a normal session right after.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { systemClock } from "../../clock";
import { startLocalCloud, type LocalCloud } from "../../server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../../testing/alibaba";
import { closeTcpServers, plateau, pusher, tcpServer, upgradeAnswer } from "../testing/peers";
import type { EcsChannelSpec } from "../types";
import { EcsDataPlane } from "./ecsDataPlane";
import { encodeFrame } from "./frames";

const REGION = "cn-hangzhou";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(closeTcpServers);

/** A raw WebSocket: the output and status messages it got, and how it closed. */
function rawSocket(url: string) {
  const ws = new WebSocket(url);
  const statuses: string[] = [];
  let output = "";
  ws.on("message", (data: Buffer) => {
    const type = data.readUInt32LE(0);
    if (type === 5) statuses.push(data.subarray(30).toString("latin1"));
    if (type === 1) output += data.subarray(30).toString("latin1");
  });
  ws.on("error", () => undefined);
  return {
    ws,
    statuses,
    output: () => output,
    opened: new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    }),
    closed: new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
  };
}

/** Sends bytes through a port-forwarding URL and waits for them to come back from the echo server. */
async function echoes(url: string): Promise<void> {
  const raw = rawSocket(url);
  await raw.opened;
  const marker = `ping-${randomBytes(4).toString("hex")}`;
  raw.ws.send(encodeFrame(0, 0n, Buffer.from(marker)));
  for (let i = 0; i < 200 && !raw.output().includes(marker); i++) await sleep(10);
  expect(raw.output()).toContain(marker);
  raw.ws.close();
}

describe("ECS data plane in the local cloud, against hostile bytes", () => {
  let cloud: LocalCloud;
  let stateDir: string;
  let echoPort: number;
  let api: ReturnType<typeof openApiClient>;

  const start = async (): Promise<{ SessionId: string; SecurityToken: string; WebSocketUrl: string }> =>
    (
      await callRpc(api, "StartTerminalSession", {
        RegionId: REGION,
        InstanceId: ["i-1"],
        PortNumber: echoPort,
      })
    ).body as never;
  const connections = async (sessionId: string): Promise<unknown[]> => {
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, SessionId: sessionId });
    const [s] = (r.body.Sessions as { Session: Array<{ Connections: { Connection: unknown[] } }> }).Session;
    return s.Connections.Connection;
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "ecs-hostile-"));
    echoPort = await tcpServer((s) => s.pipe(s));
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      stateDir,
      ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] },
    });
    api = openApiClient(cloud);
  });
  afterAll(async () => {
    await cloud.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test("upgrade targets that do not parse get an HTTP answer; the process goes on", async () => {
    const s = await start();
    expect(await upgradeAnswer(cloud.endpoint, "/session?sessionId=%&token=%")).toEqual({
      status: 404,
      body: JSON.stringify({
        Code: "InvalidSessionId.NotFound",
        Message: "The specified session does not exist.",
      }),
    });
    expect(await upgradeAnswer(cloud.endpoint, `/session?sessionId=${s.SessionId}&token=%E0%A4%A`)).toEqual({
      status: 403,
      body: JSON.stringify({ Code: "InvalidToken", Message: "The token does not match the session." }),
    });
    expect((await upgradeAnswer(cloud.endpoint, "//")).status).toBe(404);
    await echoes(s.WebSocketUrl);
  });

  test("wrong-token upgrades add no connection record and do not rewrite state.json", async () => {
    const s = await start();
    const file = join(stateDir, "state.json");
    await sleep(400); // the Start is saved (writes are debounced)
    const before = { text: readFileSync(file, "utf8"), mtime: statSync(file).mtimeMs };
    const wrong = s.WebSocketUrl.replace(s.SecurityToken, "x".repeat(s.SecurityToken.length));
    for (let i = 0; i < 20; i++) {
      const answer = await upgradeAnswer(
        cloud.endpoint,
        new URL(wrong.replace(/^ws/, "http")).pathname + new URL(wrong.replace(/^ws/, "http")).search,
      );
      expect(answer.status).toBe(403);
    }
    await sleep(400);
    expect({ text: readFileSync(file, "utf8"), mtime: statSync(file).mtimeMs }).toEqual(before);
    expect(await connections(s.SessionId)).toEqual([]);
    await echoes(s.WebSocketUrl);
  });

  test("a message over 16 KiB is refused unread: close 1009", async () => {
    const s = await start();
    const raw = rawSocket(s.WebSocketUrl);
    await raw.opened;
    raw.ws.send(encodeFrame(0, 0n, Buffer.alloc(16 * 1024)));
    expect((await raw.closed).code).toBe(1009);
    await echoes(s.WebSocketUrl);
  });

  test("an unknown message type: status ProcessDataError, close 4400 naming it", async () => {
    const s = await start();
    const raw = rawSocket(s.WebSocketUrl);
    await raw.opened;
    raw.ws.send(encodeFrame(9, 0n, Buffer.from("x")));
    expect(await raw.closed).toEqual({ code: 4400, reason: "unknown message type 9" });
    expect(raw.statuses).toContain("\x05ProcessDataError");
    await echoes(s.WebSocketUrl);
  });
});

describe("ECS data plane limits and back-pressure (small ones, set for the test)", () => {
  let plane: EcsDataPlane;
  let http: HttpServer;
  let port = 0;
  let echoPort: number;

  const open = (spec: Partial<EcsChannelSpec> & Pick<EcsChannelSpec, "mode">): string =>
    plane.open({
      sessionId: `s-${randomBytes(6).toString("hex")}`,
      token: randomBytes(12).toString("hex"),
      urlExpiresAt: new Date(Date.now() + 60_000),
      idleTimeoutMs: 60_000,
      onConnectionState: () => undefined,
      ...spec,
    }).url;

  beforeAll(async () => {
    echoPort = await tcpServer((s) => s.pipe(s));
    plane = new EcsDataPlane({
      clock: systemClock,
      baseUrl: () => `ws://127.0.0.1:${port}`,
      limits: { maxConnectionsPerSession: 2, sendMarks: { high: 64 * 1024, low: 16 * 1024 } },
    });
    http = createHttpServer((_q, res) => res.writeHead(404).end());
    http.on("upgrade", (req, socket, head: Buffer) => {
      if (!plane.handleUpgrade(req, socket, head)) socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    port = (http.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await plane.shutdown();
    http.closeAllConnections();
    http.close();
  });

  test("something failing unexpectedly ends that connection: status InternalError, close 1011, one log line", async () => {
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const url = open({
        mode: { kind: "port", port: echoPort },
        admit: () => {
          throw new Error("backend bug");
        },
      });
      const raw = rawSocket(url);
      expect(await raw.closed).toEqual({ code: 1011, reason: "InternalError" });
      expect(raw.statuses).toEqual(["\x05InternalError"]);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0][0])).toMatch(
        /^\[local-cloud\] ECS session s-\w+ connection c-\w+: Error: backend bug$/,
      );
    } finally {
      errors.mockRestore();
    }
    await echoes(open({ mode: { kind: "port", port: echoPort } }));
  });

  test("one connection more than the session allows: status 2 and 4003 ConnectionCountExceedLimit", async () => {
    const url = open({ mode: { kind: "port", port: echoPort } });
    const first = rawSocket(url);
    const second = rawSocket(url);
    await Promise.all([first.opened, second.opened]);
    const third = rawSocket(url);
    expect(await third.closed).toEqual({ code: 4003, reason: "ConnectionCountExceedLimit" });
    expect(third.statuses).toEqual(["\x02ConnectionCountExceedLimit"]);
    first.ws.close();
    await first.closed;
    await echoes(url);
    second.ws.close();
  });

  test("a client that reads nothing: the far end is paused, far short of the 64 MB it offers", async () => {
    const source = pusher(64 * 1024 * 1024);
    const sourcePort = await tcpServer(source.onSocket);
    const raw = rawSocket(open({ mode: { kind: "port", port: sourcePort } }));
    await raw.opened;
    raw.ws.pause(); // reads nothing from now on
    const accepted = await plateau(source.accepted);
    // Kernel socket buffers on both hops hold some MB; the local cloud itself holds ~64 KiB.
    expect(accepted).toBeLessThan(24 * 1024 * 1024);
    raw.ws.terminate();
    await echoes(open({ mode: { kind: "port", port: echoPort } }));
  });
});

/**
 * The ECS data plane behind StartTerminalSession's WebSocketUrl, driven end to end: the official
 * SDK to start/describe/end sessions, our own client (client/ecs) to connect, and raw WebSockets
 * for what no well-behaved client sends.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { createServer, connect as tcpConnect, type AddressInfo, type Server } from "node:net";
import { PassThrough } from "node:stream";
import { WebSocket } from "ws";
import { EcsChannel, type EcsChannelEnd } from "../../../client/ecs/channel";
import { EcsSessionError } from "../../../client/ecs/errors";
import { forwardPort } from "../../../client/ecs/forward";
import { openShell, runCommand } from "../../../client/ecs/shell";
import { AdminClient } from "../../admin/client";
import { ManualClock } from "../../clock";
import { startLocalCloud, type LocalCloud } from "../../server";
import { acsError, callRpc, openApiClient, TEST_CREDENTIAL } from "../../testing/alibaba";
import { encodeFrame } from "./frames";

const REGION = "cn-hangzhou";
const IDLE_MS = 1500;

interface Conn {
  Status: string;
  ClosedReason?: string;
  EndTime?: string;
  InstanceId: string;
}

interface Started {
  SessionId: string;
  SecurityToken: string;
  WebSocketUrl: string;
}

/** Collects a stream's bytes and waits for text to show up in them. */
function collector() {
  const stream = new PassThrough();
  let text = "";
  const waiters = new Set<() => void>();
  stream.on("data", (d: Buffer) => {
    text += d.toString("utf8");
    for (const w of [...waiters]) w();
  });
  return {
    stream,
    text: () => text,
    waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} in ${JSON.stringify(text)}`));
        }, timeoutMs);
        const check = () => {
          if (!pattern.test(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Opens a channel and resolves once the far end closes it. */
async function channelEnd(url: string): Promise<{ channel: EcsChannel; ended: Promise<EcsChannelEnd> }> {
  let resolveEnd!: (e: EcsChannelEnd) => void;
  const ended = new Promise<EcsChannelEnd>((r) => (resolveEnd = r));
  const channel = await EcsChannel.open(url, { onOutput: () => undefined, onEnd: resolveEnd });
  return { channel, ended };
}

/** A raw WebSocket: its close code and reason, and the status messages it got. */
function rawSocket(url: string) {
  const ws = new WebSocket(url);
  const statuses: string[] = [];
  ws.on("message", (data: Buffer) => {
    if (data.readUInt32LE(0) === 5) statuses.push(data.subarray(30).toString("latin1"));
  });
  return {
    ws,
    statuses,
    opened: new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    }),
    closed: new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
  };
}

describe("ECS data plane", () => {
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
    admin = new AdminClient(cloud);
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    echoPort = (echo.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await cloud.stop();
    echo.close();
  });

  const start = async (q: Record<string, unknown>, instance = "i-1"): Promise<Started> => {
    const r = await callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: [instance], ...q });
    return r.body as unknown as Started;
  };
  const connections = async (sessionId: string): Promise<Conn[]> => {
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, SessionId: sessionId });
    const [s] = (r.body.Sessions as { Session: Array<{ Connections: { Connection: Conn[] } }> }).Session;
    return s.Connections.Connection;
  };
  /** Connection state changes arrive asynchronously; poll Describe until one shows `status`. */
  const waitForStatus = async (sessionId: string, status: string, reason?: string): Promise<Conn> => {
    for (let i = 0; i < 200; i++) {
      const conn = (await connections(sessionId)).find(
        (c) => c.Status === status && (reason === undefined || c.ClosedReason === reason),
      );
      if (conn) return conn;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${status}/${reason} connection; got ${JSON.stringify(await connections(sessionId))}`);
  };

  test("the WebSocketUrl has the seed's shape", async () => {
    const s = await start({});
    expect(s.WebSocketUrl).toBe(
      `ws://${cloud.endpoint}/session?sessionId=${s.SessionId}&token=${s.SecurityToken}`,
    );
  });

  test("a shell on a pseudo-terminal over given streams: prompt, far-end echo, size honoured, EOF exits", async () => {
    const s = await start({});
    const input = new PassThrough();
    const out = collector();
    const shell = await openShell(s.WebSocketUrl, {
      input,
      output: out.stream,
      size: { rows: 33, cols: 111 },
    });
    await out.waitFor(/[$#] $/); // the prompt
    await waitForStatus(s.SessionId, "Connected");
    input.write("echo marker-$((6*7))\r");
    // The terminal echoes the keystrokes, then the shell prints the marker on a line of its own.
    await out.waitFor(/echo marker-\$\(\(6\*7\)\)\r\nmarker-42\r\n/);
    input.write("stty size\r");
    await out.waitFor(/\b33 111\r\n/);
    shell.resize({ rows: 40, cols: 132 });
    shell.write("stty size\r");
    await out.waitFor(/\b40 132\r\n/);
    input.end(); // Ctrl-D at the prompt
    const end = await shell.done;
    expect(end).toMatchObject({ closeCode: 1000, reason: "Exit", exitCode: 0 });
    const conn = await waitForStatus(s.SessionId, "Disconnected");
    expect(conn).toMatchObject({ ClosedReason: "AgentSocketClosed", InstanceId: "i-1" });
    expect(conn.EndTime).toMatch(/Z$/);
  });

  test("a shell's exit status comes back too", async () => {
    const s = await start({});
    const out = collector();
    const shell = await openShell(s.WebSocketUrl, { output: out.stream });
    await out.waitFor(/[$#] $/);
    shell.write("exit 7\r");
    expect(await shell.done).toMatchObject({ exitCode: 7, reason: "Exit" });
  });

  test("a command: its output and its non-zero exit status; the emulator's environment does not leak", async () => {
    const s = await start({
      CommandLine: `printf '%s|' "(a)*!b" "[$ALIBABA_CLOUD_ECS_METADATA_DISABLED]"; echo; echo oops >&2; exit 3`,
    });
    const result = await runCommand(s.WebSocketUrl);
    expect(result.output.toString("utf8")).toBe("(a)*!b|[]|\r\noops\r\n");
    expect(result).toMatchObject({ exitCode: 3, reason: "Exit", closeCode: 1000 });
  });

  test("port forwarding: 20 concurrent TCP connections, one WebSocket each, bytes intact, half-close kept", async () => {
    const s = await start({ PortNumber: echoPort, TargetServer: "192.168.0.246" });
    const forward = await forwardPort(s.WebSocketUrl, { startDelayMs: 200 });
    try {
      const payloads = Array.from({ length: 20 }, (_, i) =>
        Buffer.from(Array.from({ length: 3000 }, (_, j) => (i * 7 + j * 13) % 256)),
      );
      const echoed = await Promise.all(
        payloads.map(
          (payload) =>
            new Promise<Buffer>((resolve, reject) => {
              const chunks: Buffer[] = [];
              // Half-closes at once: the close message must not cut off what the target still sends.
              const socket = tcpConnect({ port: forward.port, host: "127.0.0.1", allowHalfOpen: true }, () =>
                socket.end(payload),
              );
              socket.on("data", (d: Buffer) => chunks.push(d));
              socket.on("close", () => resolve(Buffer.concat(chunks)));
              socket.on("error", reject);
            }),
        ),
      );
      echoed.forEach((got, i) => expect([i, got.length, got.equals(payloads[i])]).toEqual([i, 3000, true]));
      // One connection per TCP connection, each recorded.
      await waitForStatus(s.SessionId, "Disconnected");
      expect((await connections(s.SessionId)).length).toBe(20);
    } finally {
      await forward.close();
    }
  });

  test("EndTerminalSession closes a live shell with status Exit and close code 4002; Describe says Terminated", async () => {
    const s = await start({});
    const out = collector();
    const shell = await openShell(s.WebSocketUrl, { output: out.stream });
    await out.waitFor(/[$#] $/);
    await waitForStatus(s.SessionId, "Connected");
    await callRpc(api, "EndTerminalSession", { RegionId: REGION, SessionId: s.SessionId });
    expect(await shell.done).toMatchObject({ closeCode: 4002, reason: "Exit" });
    const conn = await waitForStatus(s.SessionId, "Terminated");
    expect(conn.EndTime).toBeDefined();
    // The URL is dead from now on, and the attempt is on record.
    const err = await EcsChannel.open(s.WebSocketUrl, {
      onOutput: () => undefined,
      onEnd: () => undefined,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcsSessionError);
    expect(err).toMatchObject({ code: "SessionEnded", httpStatus: 410 });
    await waitForStatus(s.SessionId, "Failed", "SessionEnded");
  });

  test("refused handshakes: unknown session 404, wrong or missing token 403 (not on record)", async () => {
    const s = await start({ CommandLine: "echo via-header" });
    const bare = `ws://${cloud.endpoint}/session?sessionId=${s.SessionId}`;
    const refusal = (url: string, token?: string) =>
      EcsChannel.open(url, { onOutput: () => undefined, onEnd: () => undefined }, { token }).catch(
        (e: unknown) => e as EcsSessionError,
      );
    expect(await refusal(`ws://${cloud.endpoint}/session?sessionId=s-nope&token=x`)).toMatchObject({
      code: "InvalidSessionId.NotFound",
      httpStatus: 404,
    });
    expect(await refusal(`${bare}&token=wrong`)).toMatchObject({ code: "InvalidToken", httpStatus: 403 });
    expect(await refusal(bare)).toMatchObject({ code: "InvalidToken", httpStatus: 403 });
    // Anybody can knock: a wrong token adds nothing to the session's records.
    expect(await connections(s.SessionId)).toEqual([]);
    // The SecurityToken may come in the header instead, as the API reference describes.
    const viaHeader = await runCommand(bare, { token: s.SecurityToken });
    expect(viaHeader.output.toString()).toBe("via-header\r\n");
  });

  test("the URL works for 10 minutes; after that new connections are refused, live ones go on", async () => {
    const s = await start({});
    const out = collector();
    const shell = await openShell(s.WebSocketUrl, { output: out.stream });
    await out.waitFor(/[$#] $/);
    // Ten silent minutes would close it as idle first: the idle timeout goes beyond them meanwhile.
    await admin.setDataPlaneSettings({ ecs: { idleTimeoutMs: 60 * 60 * 1000 } });
    clock.advance(10 * 60 * 1000 + 1);
    await admin.setDataPlaneSettings({ ecs: { idleTimeoutMs: IDLE_MS } });
    const err = await runCommand(s.WebSocketUrl).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WebSocketUrl.Expired", httpStatus: 410 });
    await waitForStatus(s.SessionId, "Failed", "WebSocketUrlExpired");
    shell.write("echo still-$((1+1))\r");
    await out.waitFor(/\r\nstill-2\r\n/);
    shell.close();
    await shell.done;
  });

  test("an idle connection closes after the idle timeout: status AgentTimeout, 4001, Disconnected/DeliveryTimeout", async () => {
    const s = await start({ PortNumber: echoPort });
    const { ended } = await channelEnd(s.WebSocketUrl);
    await waitForStatus(s.SessionId, "Connected");
    // The countdown runs on the local cloud's clock: a moment short of it, nothing happens.
    clock.advance(IDLE_MS - 1);
    await new Promise((r) => setTimeout(r, 100));
    expect((await connections(s.SessionId)).map((c) => c.Status)).toEqual(["Connected"]);
    clock.advance(1);
    expect(await ended).toMatchObject({ closeCode: 4001, reason: "AgentTimeout" });
    await waitForStatus(s.SessionId, "Disconnected", "DeliveryTimeout");
  });

  test("nothing listening on the port: status OpenChannelFailed, 1011, Failed/DeliveryTimeout", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const s = await start({ PortNumber: freePort });
    const { ended } = await channelEnd(s.WebSocketUrl);
    expect(await ended).toMatchObject({ closeCode: 1011, reason: "OpenChannelFailed" });
    await waitForStatus(s.SessionId, "Failed", "DeliveryTimeout");
  });

  test.each([
    [{ agentOnline: false }, "AgentNotOnline"],
    [{ status: "Stopped" }, "InstanceNotRunning"],
    [{ agentVersion: "2.2.3.100" }, "AgentNeedUpgrade"],
  ] as const)(
    "instance changes after Start (%j): connect failed (status 2) with %s",
    async (change, reason) => {
      const s = await start({}, "i-flaky");
      await admin.addInventory({
        ecs: { instances: [{ instanceId: "i-flaky", regionId: REGION, ...change }] },
      });
      try {
        const err = await runCommand(s.WebSocketUrl).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EcsSessionError);
        expect(err).toMatchObject({ code: reason });
        await waitForStatus(s.SessionId, "Failed", reason);
      } finally {
        await admin.addInventory({ ecs: { instances: [{ instanceId: "i-flaky", regionId: REGION }] } });
      }
    },
  );

  test("a text frame fails the connection: ProcessDataError, 4400, Failed/MessageFormatInvalid", async () => {
    const s = await start({ PortNumber: echoPort });
    const raw = rawSocket(s.WebSocketUrl);
    await raw.opened;
    raw.ws.send("not a frame");
    expect(await raw.closed).toEqual({ code: 4400, reason: "text frames are not part of the protocol" });
    expect(raw.statuses).toContain("\x05ProcessDataError");
    await waitForStatus(s.SessionId, "Failed", "MessageFormatInvalid");
  });

  test("fuzz: 40 malformed frames, each refused with its rule; the local cloud then serves a normal session", async () => {
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const valid = () => encodeFrame(0, BigInt(rand(100)), Buffer.from([rand(256), rand(256)]));
    const mutations: Array<() => Buffer> = [
      () => Buffer.from(Array.from({ length: rand(30) }, () => rand(256))), // too short
      () => {
        const f = valid();
        f.writeUInt32LE(6 + rand(1000), 0); // unknown type
        return f;
      },
      () => {
        const f = valid();
        f[4 + rand(4)] ^= 0xff; // schema version
        return f;
      },
      () => {
        const f = valid();
        f.fill(0, 10, 18); // created date 0
        return f;
      },
      () => {
        const f = valid();
        f.writeUInt32LE(f.readUInt32LE(26) + 1 + rand(50), 26); // payload length
        return f;
      },
      () => {
        const f = valid();
        f[8] = 200 + rand(55); // session-id length past the end
        return f;
      },
      () => {
        const f = encodeFrame(1, 0n, Buffer.from("x")); // output from the client
        return f;
      },
      () => encodeFrame(5, 0n, Buffer.alloc(0)), // status without a code
    ];
    const s = await start({ PortNumber: echoPort });
    for (let i = 0; i < 40; i++) {
      const raw = rawSocket(s.WebSocketUrl);
      await raw.opened;
      raw.ws.send(mutations[i % mutations.length](), { binary: true });
      const closed = await raw.closed;
      expect(closed.code).toBe(4400);
      expect(closed.reason.length).toBeGreaterThan(0);
      expect(raw.statuses).toEqual(expect.arrayContaining(["\x05ProcessDataError"]));
    }
    const conns = await connections(s.SessionId);
    expect(conns.filter((c) => c.ClosedReason === "MessageFormatInvalid")).toHaveLength(40);
    const after = await runCommand((await start({ CommandLine: "echo still-serving" })).WebSocketUrl);
    expect(after).toMatchObject({ exitCode: 0 });
    expect(after.output.toString()).toBe("still-serving\r\n");
  });

  test("20 connected sessions per instance: the 21st connection is refused (SessionCountExceedLimit); a 21st Start too", async () => {
    const sessions = [];
    for (let i = 0; i < 21; i++) sessions.push(await start({ PortNumber: echoPort }, "i-busy"));
    const live: Array<Awaited<ReturnType<typeof channelEnd>>> = [];
    // Keep-alives (empty input messages, as the official client sends) hold off the idle close.
    const keepAlive = setInterval(() => live.forEach((c) => void c.channel.input(Buffer.alloc(0))), 300);
    for (const s of sessions.slice(0, 20)) {
      live.push(await channelEnd(s.WebSocketUrl));
      await waitForStatus(s.SessionId, "Connected");
    }
    // A second connection of a connected session is not a new session: it is let in.
    const again = await channelEnd(sessions[0].WebSocketUrl);
    await new Promise<void>((resolve) => again.channel.input(Buffer.from("x")).then(resolve));
    const twentyFirst = sessions[20];
    const { ended } = await channelEnd(twentyFirst.WebSocketUrl);
    const end = await ended;
    expect(end.refusal).toMatch(/^SessionCountExceedLimit/);
    expect(end.closeCode).toBe(4003);
    await waitForStatus(twentyFirst.SessionId, "Failed", "SessionCountExceedLimit");
    const err = await acsError(start({ PortNumber: echoPort }, "i-busy"));
    expect([err.statusCode, err.code]).toEqual([403, "SessionCount.ExceedLimit"]);
    // Another instance is not affected; freeing a session frees a slot.
    await start({ PortNumber: echoPort }, "i-1");
    live[0].channel.close();
    again.channel.close();
    await Promise.all([live[0].ended, again.ended]);
    await waitForStatus(sessions[0].SessionId, "Disconnected");
    const retry = await channelEnd(twentyFirst.WebSocketUrl);
    await waitForStatus(twentyFirst.SessionId, "Connected");
    clearInterval(keepAlive);
    for (const c of [...live.slice(1), retry]) c.channel.close();
    await Promise.all([...live.slice(1), retry].map((c) => c.ended));
  });
});

describe("ECS data plane bandwidth", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud(
      { credentials: [TEST_CREDENTIAL], ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] } },
      { bandwidthBytesPerSec: 64 * 1024 },
    );
  });
  afterAll(() => cloud.stop());

  test("the session's rate is announced (status 7) and output held to it arrives whole and in order", async () => {
    const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-1"],
      CommandLine: "seq 1 20000",
    });
    const chunks: Buffer[] = [];
    let resolveEnd!: (e: EcsChannelEnd) => void;
    const ended = new Promise<EcsChannelEnd>((res) => (resolveEnd = res));
    const channel = await EcsChannel.open(r.body.WebSocketUrl as string, {
      onOutput: (d) => chunks.push(Buffer.from(d)),
      onEnd: resolveEnd,
    });
    expect(await ended).toMatchObject({ exitCode: 0 });
    expect(channel.sendRate).toBe(64 * 1024);
    const lines = Buffer.concat(chunks).toString().split("\r\n");
    expect(lines.slice(0, -1)).toEqual(Array.from({ length: 20000 }, (_, i) => String(i + 1)));
  });
});

/**
 * A hostile far end against our session clients, each running in a process of its own
 * (support/clientHost.ts): a WebSocket server on loopback that answers the client's upgrade with
 * bytes of its choosing, or accepts it and sends generated frames, then closes. The session must
 * end (a typed error or an end), nothing may escape into the process, and after each surface the
 * same process still carries a normal session through the local cloud.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { fc } from "@fast-check/jest";
import { WebSocketServer, type WebSocket } from "ws";
import { ecsMessage, mutatedBytes, randomBytes, SSM_JSON, ssmFrame, ssmMessage } from "./support/arbitraries";
import { fuzz } from "./support/budget";
import type { HostError } from "./support/clientHost";
import { startClientProcess, type ClientProcess, type HostCall } from "./support/clientProcess";
import { startCloudProcess, type CloudProcess } from "./support/cloudProcess";
import { assertNormalSessions, startTarget } from "./support/sessions";

/** How the far end treats one connection. */
type Script = { refuse: Buffer } | { frames: Buffer[]; closeCode: number };

/** The far end: a loopback server playing `script` to whoever connects next. */
class HostileFarEnd {
  script: Script = { frames: [], closeCode: 1000 };
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly server: Server = createServer();
  url = "";

  async start(): Promise<void> {
    this.server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      const s = this.script;
      if ("refuse" in s) return void socket.end(s.refuse);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.play(ws, s.frames, s.closeCode));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private play(ws: WebSocket, frames: Buffer[], closeCode: number): void {
    ws.on("error", () => undefined);
    // The SSM client speaks first (OpenDataChannel); the ECS client does not.
    const go = () => {
      for (const f of frames) ws.send(f, { binary: true });
      ws.close(closeCode);
    };
    const timer = setTimeout(go, 50);
    ws.once("message", () => {
      clearTimeout(timer);
      go();
    });
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Refusals of the upgrade: the HTTP answers the codec tests' servers give, changed. */
const REFUSALS = [
  'HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 60\r\nConnection: close\r\n\r\n{"Code":"InvalidToken","Message":"The token does not match."}',
  "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nSession s-1 does not exist\n",
].map((t) => Buffer.from(t));

const closeCode = fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1011, 4001, 4002, 4400);
const script = (frames: fc.Arbitrary<Buffer[]>): fc.Arbitrary<Script> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ frames, closeCode }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.constantFrom(...REFUSALS).chain(mutatedBytes), randomBytes(200))
        .map((refuse) => ({ refuse })),
    },
  );

/** How long a session may take to end once the far end has closed. */
const SETTLE_MS = 3000;

let cloud: CloudProcess;
let echo: Awaited<ReturnType<typeof startTarget>>;
let client: ClientProcess;
const farEnd = new HostileFarEnd();

beforeAll(async () => {
  [echo, cloud, client] = await Promise.all([startTarget(), startCloudProcess(), startClientProcess()]);
  await farEnd.start();
});
afterAll(async () => {
  await Promise.all([client.stop(), cloud.stop(), echo.close(), farEnd.stop()]);
});

/** A session's error of the clients' own families: a class of its own, carrying a code. */
const BUILT_IN = new Set(["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError"]);
const typed = (e?: HostError) => e !== undefined && !BUILT_IN.has(e.name) && e.code !== undefined;

/** Plays `s` to one session of the client: it must end, and nothing may escape into the process. */
async function sessionEnds(s: Script, open: () => HostCall): Promise<void> {
  // A throw that surfaces after its own input settled belongs to no input of this one.
  client.takeCrashes();
  farEnd.script = s;
  const call = open();
  const settled = await Promise.race([
    call.settled,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), SETTLE_MS).unref()),
  ]);
  const crashes = client.takeCrashes();
  if (crashes.length > 0) throw new Error(`escaped the client: ${crashes[0].stack ?? crashes[0].message}`);
  if (!client.alive()) throw new Error("the client process exited");
  if (settled === undefined) {
    await client.close(call);
    throw new Error(`the session did not end within ${SETTLE_MS} ms of the far end closing`);
  }
  if (!settled.ok && !typed(settled.error))
    throw new Error(`ended with an untyped error: ${settled.error?.name}: ${settled.error?.message}`);
  await client.close(call);
}

test("SSM frames to client/ssm", async () => {
  const handshake = [
    ssmFrame({
      type: "output_stream_data",
      sequence: 0n,
      flags: 1n,
      payloadType: 5,
      payload: Buffer.from(JSON.stringify(SSM_JSON.handshakeRequest)),
      consistent: true,
    }),
    ssmFrame({
      type: "output_stream_data",
      sequence: 1n,
      flags: 0n,
      payloadType: 7,
      payload: Buffer.from('{"HandshakeTimeToComplete":1000000,"CustomerMessage":""}'),
      consistent: true,
    }),
  ];
  // Half of the inputs get past the handshake first, so the frames reach the running session.
  const frames = fc
    .tuple(fc.boolean(), fc.array(ssmMessage, { minLength: 1, maxLength: 6 }))
    .map(([past, f]) => (past ? [...handshake, ...f] : f));
  await fuzz(
    "SSM frames to client/ssm",
    fc.asyncProperty(script(frames), (s) =>
      sessionEnds(s, () =>
        client.call({
          op: "ssmForward",
          streamUrl: `${farEnd.url}/v1/data-channel/s-1?role=publish_subscribe`,
          tokenValue: "t",
        }),
      ),
    ),
  );
  await assertNormalSessions(cloud, echo.port, client);
});

test("ECS frames to client/ecs", async () => {
  await fuzz(
    "ECS frames to client/ecs",
    fc.asyncProperty(script(fc.array(ecsMessage, { minLength: 1, maxLength: 6 })), (s) =>
      sessionEnds(s, () =>
        client.call({ op: "ecsChannel", url: `${farEnd.url}/session?sessionId=s-1&token=t` }),
      ),
    ),
  );
  await assertNormalSessions(cloud, echo.port, client);
});

/**
 * An ECS port forward over long idle periods and network drops, against the local cloud on a
 * manual clock: minutes of the service's time pass in milliseconds, while our client runs on real
 * time (its keep-alive period is shortened to match).
 *
 * What the protocol allows: the agent ends a connection after 180 s without a message from the
 * client, so the client's keep-alive (an empty input message) holds it; a dropped WebSocket cannot
 * be resumed (no sequence numbers anyone checks, no acknowledgements), so it ends that one TCP
 * connection, with a reset, and the forward goes on serving new connections.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { AdminClient } from "../../emulator/admin/client";
import { ManualClock } from "../../emulator/clock";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { callRpc, connectionStatuses, openApiClient, TEST_CREDENTIAL } from "../../emulator/testing/alibaba";
import { forwardPort, type EcsForward, type EcsForwardOptions } from ".";

const REGION = "cn-hangzhou";
const INSTANCE = "i-longlived";
const MINUTE = 60_000;
/** Our client's keep-alive in these tests, in real milliseconds (60 s against the real service). */
const KEEP_ALIVE_MS = 100;

let clock: ManualClock;
let cloud: LocalCloud;
let admin: AdminClient;
let target: Server;
let targetPort: number;
/** The target's side of each forwarded connection, in the order they arrived. */
let targetSockets: Socket[];

beforeAll(async () => {
  clock = new ManualClock();
  cloud = await startLocalCloud(
    { credentials: [TEST_CREDENTIAL], ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] } },
    { clock },
  );
  admin = new AdminClient(cloud);
  // An echo server that also lets a test speak first, as a database's server does.
  target = createServer((s) => {
    targetSockets.push(s);
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  targetPort = (target.address() as AddressInfo).port;
});
beforeEach(() => (targetSockets = []));
afterEach(() => admin.clearDataPlaneFaults());
afterAll(async () => {
  await cloud.stop();
  await new Promise((r) => target.close(r));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function portSession(): Promise<{ sessionId: string; url: string }> {
  const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
    RegionId: REGION,
    InstanceId: [INSTANCE],
    PortNumber: targetPort,
  });
  const body = r.body as { SessionId: string; WebSocketUrl: string };
  return { sessionId: body.SessionId, url: body.WebSocketUrl };
}

const connectionStates = (sessionId: string) => connectionStatuses(openApiClient(cloud), REGION, sessionId);

/** `promise`, or a failure naming `what` once `ms` pass (a broken case fails fast, not at jest's timeout). */
async function within<T>(promise: Promise<T>, what: string, ms = 4000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const got = await probe();
    if (got !== undefined) return got;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A local TCP connection through the forward, and how it ended. */
interface Client {
  socket: Socket;
  /** Echoes `text` through the forward and waits for it to come back. */
  say(text: string): Promise<void>;
  /** Waits until `text` has arrived. */
  heard(text: string): Promise<void>;
  /** `end` (a FIN), the error code of a reset, or `open`. */
  readonly ending: "open" | "end" | string;
  closed: Promise<void>;
}

async function client(forward: EcsForward): Promise<Client> {
  const socket = tcpConnect(forward.port, "127.0.0.1");
  let received = "";
  let ending = "open";
  socket.on("data", (d: Buffer) => (received += d.toString()));
  socket.on("end", () => (ending = "end"));
  socket.on("error", (err: NodeJS.ErrnoException) => (ending = err.code ?? err.message));
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  await new Promise((r) => socket.once("connect", r));
  return {
    socket,
    async say(text) {
      const before = received.length;
      socket.write(text);
      await until(() => (received.slice(before).includes(text) ? true : undefined), `the echo of ${text}`);
    },
    async heard(text) {
      await until(() => (received.includes(text) ? true : undefined), text);
    },
    get ending() {
      return ending;
    },
    closed,
  };
}

/** A forward as tunnels open it; `keepAliveMs` is left at its default unless given. */
async function forward(url: string, options: EcsForwardOptions = {}): Promise<EcsForward> {
  return forwardPort(url, { startDelayMs: 50, ...options });
}

/**
 * Moves the service's clock `total` ms in steps of `step`, giving our client real time between
 * steps to send what it sends while idle.
 */
async function idle(total: number, step = 59_000): Promise<void> {
  for (let passed = 0; passed < total; passed += step) {
    clock.advance(Math.min(step, total - passed));
    await sleep(KEEP_ALIVE_MS * 2.5);
  }
}

describe("an ECS forward across idle periods", () => {
  test("an idle connection is kept past the 3-minute idle close by the keep-alive; a query then goes through", async () => {
    const { sessionId, url } = await portSession();
    const errors: unknown[] = [];
    const fwd = await forward(url, { keepAliveMs: KEEP_ALIVE_MS, onConnectionError: (e) => errors.push(e) });
    try {
      const c = await client(fwd);
      await c.say("SELECT 1;");
      await idle(4 * MINUTE);
      await c.say("SELECT 2;");
      expect(c.ending).toBe("open");
      expect(errors).toEqual([]);
      expect(await connectionStates(sessionId)).toEqual(["Connected"]);
      c.socket.destroy();
    } finally {
      await fwd.close();
    }
  });

  test("without the keep-alive the far end closes it at 3 minutes (AgentTimeout: a FIN here); output from the target does not count", async () => {
    const { sessionId, url } = await portSession();
    const errors: unknown[] = [];
    const fwd = await forward(url, { keepAliveMs: 0, onConnectionError: (e) => errors.push(e) });
    try {
      const c = await client(fwd);
      await c.say("ping");
      const serverSide = await until(() => targetSockets[0], "the target's connection");
      clock.advance(2 * MINUTE);
      // The target speaks; the agent counts only what comes from the client.
      serverSide.write("notice");
      await c.heard("notice");
      clock.advance(MINUTE);
      await within(c.closed, "the idle close");
      expect(c.ending).toBe("end");
      expect(errors).toEqual([]);
      await until(
        async () =>
          (await connectionStates(sessionId))[0] === "Disconnected/DeliveryTimeout" ? true : undefined,
        "Disconnected/DeliveryTimeout",
      );
      // The forward still serves: a new connection gets a WebSocket of its own.
      const next = await client(fwd);
      await next.say("again");
      next.socket.destroy();
    } finally {
      await fwd.close();
    }
  });
});

describe("an ECS forward across drops", () => {
  test("a dropped WebSocket resets only its own TCP connection; the others and new ones go on", async () => {
    const { sessionId, url } = await portSession();
    const errors: Array<{ name?: string; code?: string }> = [];
    const fwd = await forward(url, { onConnectionError: (e) => errors.push(e as never) });
    try {
      const busy = await client(fwd);
      const quiet = await client(fwd);
      await busy.say("a");
      await quiet.say("b");
      // The next connection to carry 4 KiB more is dropped, once (the network, not the service).
      await admin.addDataPlaneFault({ plane: "ecs", sessionId, kind: "drop", afterBytes: 4096, count: 1 });
      busy.socket.write("x".repeat(8192));
      await within(busy.closed, "the drop");
      expect(busy.ending).toBe("ECONNRESET");
      expect(errors).toEqual([
        expect.objectContaining({ name: "SessionProtocolError", code: "UnexpectedClose" }),
      ]);
      await quiet.say("still here");
      const fresh = await client(fwd);
      await fresh.say("new connection");
      expect(fwd.active).toBe(2);
      quiet.socket.destroy();
      fresh.socket.destroy();
    } finally {
      await fwd.close();
    }
  });

  test('a drop of every connection ("at: now") resets each; the forward serves the next one', async () => {
    const { sessionId, url } = await portSession();
    const errors: unknown[] = [];
    const fwd = await forward(url, { onConnectionError: (e) => errors.push(e) });
    try {
      const clients = await Promise.all([client(fwd), client(fwd), client(fwd)]);
      await Promise.all(clients.map((c, i) => c.say(`hello ${i}`)));
      const rule = await admin.addDataPlaneFault({ plane: "ecs", sessionId, kind: "drop", at: "now" });
      expect(rule.applied).toBe(3);
      await within(Promise.all(clients.map((c) => c.closed)), "the drops");
      expect(clients.map((c) => c.ending)).toEqual(["ECONNRESET", "ECONNRESET", "ECONNRESET"]);
      expect(errors).toHaveLength(3);
      const next = await client(fwd);
      await next.say("after the drop");
      next.socket.destroy();
    } finally {
      await fwd.close();
    }
  });
});

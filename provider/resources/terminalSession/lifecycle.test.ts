/**
 * TerminalSession's provider against the in-process local cloud: every hook, the retries,
 * idempotency under a lost response, partial creates, refresh of ended/expired sessions and
 * adoption. The engine-level behaviour (serialization, secrets in state) is in test/e2e.
 */
import { createServer, type Server } from "node:net";
import WebSocket from "ws";
import { AdminClient } from "../../../emulator/admin/client";
import { systemClock } from "../../../emulator/clock";
import { startLocalCloud, type LocalCloud } from "../../../emulator/server";
import {
  createAlicloudClient,
  type AlicloudRpcClient,
  endTerminalSession,
  findTerminalSession,
  startTerminalSession,
} from "../../clients/alicloud";
import { isErrorNamed } from "../../errors/base";
import { UNKNOWN } from "../../validation";
import { createTerminalSessionProvider, type TerminalSessionProviderDeps } from "./lifecycle";
import { DEFAULT_MAX_ATTEMPTS } from "../../retry/loop";

process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

const KEY = { accessKeyId: "LTAIlifecycle01", accessKeySecret: "lifecycle-secret" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-life0001";
const URN = "urn:pulumi:test::proj::pulumi-nodejs:dynamic/alicloud:TerminalSession::shell";
const PROVIDER_CODE = "exports.handler = () => stub;";

/** The cloud's clock runs `skew` ms off real time (tests move it to expire URLs). */
let skew = 0;
/** The clock its signature checks and Date headers run on, `wallSkew` ms off real time. */
let wallSkew = 0;
let cloud: LocalCloud;
let echo: Server;
let echoPort: number;

beforeAll(async () => {
  cloud = await startLocalCloud(
    {
      credentials: [KEY],
      ecs: {
        instances: [
          { instanceId: INSTANCE, regionId: REGION },
          { instanceId: "i-life0002", regionId: REGION },
        ],
      },
    },
    {
      clock: { now: () => new Date(Date.now() + skew) },
      authClock: { ...systemClock, now: () => new Date(Date.now() + wallSkew) },
    },
  );
  // A TCP echo server for port-forwarding sessions, so tests can hold a live connection.
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as { port: number }).port;
});

afterAll(async () => {
  await cloud.stop();
  await new Promise((resolve) => echo.close(resolve));
});

beforeEach(() => {
  skew = 0;
  wallSkew = 0;
  cloud.faults.clear();
  cloud.requestLog.clear();
});

/** A provider configured like a stack pointing at the local cloud. */
async function provider(extra: Record<string, string> = {}, deps: TerminalSessionProviderDeps = {}) {
  const p = createTerminalSessionProvider({ env: {}, sleep: async () => undefined, ...deps });
  const config: Record<string, string> = {
    "alicloud:accessKey": KEY.accessKeyId,
    "alicloud:secretKey": KEY.accessKeySecret,
    "alicloud:region": REGION,
    "sessions:localCloud": cloud.url,
    ...extra,
  };
  await p.configure!({ config: { get: (k: string) => config[k], require: (k: string) => config[k] } });
  return p;
}

/** check then create, as the engine does; `__provider` travels with the inputs. */
async function checkAndCreate(
  p: Awaited<ReturnType<typeof provider>>,
  news: Record<string, unknown>,
  urn = URN,
) {
  const checked = await p.check!({}, { ...news, __urn: urn, __provider: PROVIDER_CODE });
  expect(checked.failures).toEqual([]);
  return p.create({ ...checked.inputs, __provider: PROVIDER_CODE });
}

const ecs = () =>
  createAlicloudClient({
    product: "ecs",
    region: REGION,
    endpoint: cloud.url,
    credentials: { kind: "static", ...KEY, source: "test" },
  });

function calls(action: string) {
  return cloud.requestLog.list().filter((r) => r.action === action);
}

/** What DescribeTerminalSessions says about a session. */
function backendSession(id: string) {
  return findTerminalSession(ecs(), REGION, id);
}

/** The local cloud's own view of its ECS sessions (admin API). */
async function adminSessions(): Promise<Array<{ sessionId: string; clientToken?: string; state: string }>> {
  const all = await new AdminClient(cloud).sessions();
  return (all.ecs ?? []) as Array<{ sessionId: string; clientToken?: string; state: string }>;
}

/** Opens a WebSocket to a session and waits until the cloud reports it Connected. */
async function connect(url: string, sessionId: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  for (let i = 0; i < 50; i++) {
    const { record } = await backendSession(sessionId);
    if (record?.connections.some((c) => c.status === "Connected")) return ws;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the connection never became Connected");
}

describe("create, read, delete", () => {
  test("create starts a session and returns inputs plus everything Describe says", async () => {
    const p = await provider();
    const { id, outs } = await checkAndCreate(p, {
      instanceIds: [INSTANCE],
      portNumber: echoPort,
      username: "ops",
    });
    expect(id).toMatch(/^s-/);
    expect(outs).toMatchObject({
      region: REGION,
      instanceIds: [INSTANCE],
      portNumber: echoPort,
      username: "ops",
      clientToken: expect.stringMatching(/^pulumi-[0-9a-f]{40}$/),
      sessionId: id,
      webSocketUrl: expect.stringContaining(id),
      securityToken: expect.any(String),
      creationTime: expect.stringMatching(/Z$/),
      principalId: expect.any(String),
      identityType: "Account",
      clientIp: "127.0.0.1",
      reportedUsername: "ops",
      reportedPortNumber: echoPort,
      connections: [],
      adopted: false,
    });
    expect(outs!.effectiveClientToken).toBe(outs!.clientToken);
    expect(calls("StartTerminalSession")).toHaveLength(1);
    await p.delete!(id, outs!);
  });

  test("read keeps every output and refreshes the connections; delete ends the session", async () => {
    const p = await provider();
    const { id, outs } = await checkAndCreate(
      p,
      { instanceIds: [INSTANCE], portNumber: echoPort },
      `${URN}-read`,
    );
    const ws = await connect(outs!.webSocketUrl as string, id);
    const read = await p.read!(id, outs);
    expect(read.id).toBe(id);
    expect(read.props).toMatchObject({
      ...outs,
      connections: [expect.objectContaining({ status: "Connected", instanceId: INSTANCE })],
    });

    await p.delete!(id, outs!);
    expect(calls("EndTerminalSession")).toHaveLength(1);
    expect((await adminSessions()).find((s) => s.sessionId === id)?.state).toBe("Ended");
    const ended = await backendSession(id);
    expect(ended.record!.connections.map((c) => c.status)).toEqual([expect.stringMatching(/Terminat/)]);
    // Ended: refresh drops it.
    expect(await p.read!(id, outs)).toEqual({});
    ws.terminate();
  });

  test("delete treats InvalidSessionId.NotFound as done", async () => {
    const p = await provider();
    await expect(p.delete!("s-doesnotexist", { region: REGION })).resolves.toBeUndefined();
    expect(calls("EndTerminalSession")[0]).toMatchObject({ status: 404, code: "InvalidSessionId.NotFound" });
  });

  test("read drops a session nobody can use any more (URL expired, nothing connected)", async () => {
    const p = await provider();
    // Started 11 minutes ago by the cloud's clock: its WebSocket URL (10 minutes) has expired.
    skew = -11 * 60 * 1000;
    const old = await startTerminalSession(ecs(), { regionId: REGION, instanceIds: [INSTANCE] });
    skew = 0;
    expect(await p.read!(old.sessionId, { region: REGION, instanceIds: [INSTANCE] })).toEqual({});
    // A fresh one is kept.
    const fresh = await startTerminalSession(ecs(), { regionId: REGION, instanceIds: [INSTANCE] });
    expect((await p.read!(fresh.sessionId, { region: REGION, instanceIds: [INSTANCE] })).id).toBe(
      fresh.sessionId,
    );
  });

  test("read drops a session that Describe no longer knows (other region, older than four weeks)", async () => {
    const p = await provider();
    expect(await p.read!("s-gone", { region: REGION })).toEqual({});
  });
});

describe("diff", () => {
  const olds = {
    region: REGION,
    instanceIds: [INSTANCE],
    portNumber: 22,
    clientToken: "t",
    sessionId: "s-1",
    adopted: false,
  };

  test("no change, no replacement", async () => {
    const p = await provider();
    expect(
      await p.diff!("s-1", olds, {
        region: REGION,
        instanceIds: [INSTANCE],
        portNumber: 22,
        clientToken: "t",
      }),
    ).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  test("any input change replaces, deleting first", async () => {
    const p = await provider();
    const d = await p.diff!("s-1", olds, {
      region: REGION,
      instanceIds: ["i-x"],
      portNumber: 23,
      clientToken: "t2",
      username: "u",
    });
    expect(d).toEqual({
      changes: true,
      replaces: ["instanceIds", "portNumber", "username", "clientToken"],
      deleteBeforeReplace: true,
    });
  });

  test("an unknown input (preview) is a replacement", async () => {
    const p = await provider();
    const d = await p.diff!("s-1", olds, {
      region: REGION,
      instanceIds: [UNKNOWN],
      portNumber: 22,
      clientToken: "t",
    });
    expect(d.replaces).toEqual(["instanceIds"]);
  });

  test("adoptSessionId: dropping it or naming the managed session changes nothing", async () => {
    const p = await provider();
    const adoptedOlds = { ...olds, adoptSessionId: "s-1", adopted: true };
    const same = { region: REGION, instanceIds: [INSTANCE], portNumber: 22, clientToken: "t" };
    expect((await p.diff!("s-1", adoptedOlds, same)).changes).toBe(false);
    expect((await p.diff!("s-1", adoptedOlds, { ...same, adoptSessionId: "s-1" })).changes).toBe(false);
    expect((await p.diff!("s-1", adoptedOlds, { ...same, adoptSessionId: "s-2" })).replaces).toEqual([
      "adoptSessionId",
    ]);
  });

  test("outputs from Describe never cause a diff", async () => {
    const p = await provider();
    const { id, outs } = await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-diff`);
    const rechecked = await p.check!(outs!, { instanceIds: [INSTANCE], __urn: `${URN}-diff` });
    expect((await p.diff!(id, outs!, rechecked.inputs!)).changes).toBe(false);
  });
});

describe("retries and idempotency", () => {
  test("a dropped StartTerminalSession response is retried with the same token: one session", async () => {
    const p = await provider();
    cloud.faults.add({ action: "StartTerminalSession", kind: "dropResponse", count: 1 });
    const { id, outs } = await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-drop`);
    const starts = calls("StartTerminalSession");
    expect(starts.map((r) => r.status)).toEqual([0, 200]);
    const withToken = (await adminSessions()).filter((s) => s.clientToken === outs!.clientToken);
    expect(withToken.map((s) => s.sessionId)).toEqual([id]);
    expect(outs!.effectiveClientToken).toBe(outs!.clientToken);
  });

  test("a start whose retries took long is not taken for a replay of an older session", async () => {
    // The dropped first start made the session; both clocks then move 9 s before the retry
    // answers (as under a run of throttling and backoff). The session is this create's own.
    let localShift = 0;
    const real = ecs();
    const slowRetries: AlicloudRpcClient = {
      ...real,
      async call(action, params, options) {
        if (action !== "StartTerminalSession") return real.call(action, params, options);
        try {
          return await real.call(action, params, { ...options, retry: false });
        } catch {
          skew += 9000;
          wallSkew += 9000;
          localShift += 9000;
          return real.call(action, params, options);
        }
      },
    };
    const p = await provider({}, { now: () => Date.now() + localShift, client: () => slowRetries });
    cloud.faults.add({ action: "StartTerminalSession", kind: "dropResponse", count: 1 });
    const { id, outs } = await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-slow`);
    expect(calls("StartTerminalSession").map((r) => r.status)).toEqual([0, 200]);
    const withToken = (await adminSessions()).filter((s) => s.clientToken === outs!.clientToken);
    expect(withToken.map((s) => s.sessionId)).toEqual([id]);
    expect(outs!.effectiveClientToken).toBe(outs!.clientToken);
    await p.delete!(id, outs!);
  });

  test("throttling on StartTerminalSession is retried", async () => {
    const p = await provider();
    cloud.faults.add({ action: "StartTerminalSession", kind: "throttle", count: 2 });
    const { id } = await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-throttle`);
    expect(id).toMatch(/^s-/);
    const starts = calls("StartTerminalSession");
    expect(starts.map((r) => r.faults ?? [])).toEqual([["throttle"], ["throttle"], []]);
    expect(starts[2].status).toBe(200);
  });

  test("5xx on StartTerminalSession is retried", async () => {
    const p = await provider();
    cloud.faults.add({ action: "StartTerminalSession", kind: "serverError", count: 2 });
    await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-5xx`);
    expect(calls("StartTerminalSession").map((r) => r.status)).toEqual([503, 503, 200]);
  });

  test("a client error is not retried and says what to do", async () => {
    const p = await provider();
    const err = await checkAndCreate(p, { instanceIds: ["i-missing"] }, `${URN}-missing`).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      name: "AlicloudApiError",
      code: "InvalidInstance.NotFound",
      httpStatus: 404,
      attempts: 1,
    });
    expect((err as Error).message).toMatch(/Check instanceIds/);
    expect(calls("StartTerminalSession")).toHaveLength(1);
  });

  test("throttling that never stops fails after the default budget of attempts, stamped on the error", async () => {
    const p = await provider();
    cloud.faults.add({ action: "StartTerminalSession", kind: "throttle" });
    const err = await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-always`).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ attempts: DEFAULT_MAX_ATTEMPTS, failureClass: "throttling" });
    expect(calls("StartTerminalSession")).toHaveLength(DEFAULT_MAX_ATTEMPTS);
  });
});

describe("partial creates", () => {
  test("a session that started but cannot be read back is recorded, not forgotten", async () => {
    const p = await provider();
    cloud.faults.add({ action: "DescribeTerminalSessions", kind: "serverError" });
    const err = (await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-partial`).catch(
      (e: unknown) => e,
    )) as {
      id: string;
      properties: Record<string, unknown>;
      reasons: string[];
    };
    expect(isErrorNamed(err, "ResourceInitError")).toBe(true);
    expect(err.id).toMatch(/^s-/);
    // The host does not add __provider to error properties: the provider must.
    expect(err.properties).toMatchObject({
      __provider: PROVIDER_CODE,
      sessionId: err.id,
      webSocketUrl: expect.any(String),
      securityToken: expect.any(String),
      instanceIds: [INSTANCE],
    });
    expect(err.reasons[0]).toMatch(/could not be read back/);

    // The next up updates the partially created resource: every output survives.
    cloud.faults.clear();
    const { outs } = await p.update!(err.id, err.properties, {
      region: REGION,
      instanceIds: [INSTANCE],
      clientToken: err.properties.clientToken,
    });
    expect(outs).toMatchObject({
      sessionId: err.id,
      webSocketUrl: err.properties.webSocketUrl,
      securityToken: err.properties.securityToken,
      creationTime: expect.any(String),
      adopted: false,
    });
    await p.delete!(err.id, outs!);
    // A partially created session that is gone meanwhile cannot be completed: say what to do.
    await expect(
      p.update!(
        "s-gone",
        { ...err.properties, sessionId: "s-gone" },
        { region: REGION, instanceIds: [INSTANCE] },
      ),
    ).rejects.toThrow(/pulumi refresh/);
  });
});

describe("a token already used by an earlier session", () => {
  test("recreating with the same inputs never hands out the ended session", async () => {
    const p = await provider();
    const urn = `${URN}-again`;
    const first = await checkAndCreate(p, { instanceIds: [INSTANCE] }, urn);
    await p.delete!(first.id, first.outs!);
    // The cloud's timestamps have one-second resolution: let the old session be clearly older.
    await new Promise((r) => setTimeout(r, 4200));
    const second = await checkAndCreate(p, { instanceIds: [INSTANCE] }, urn);
    expect(second.outs!.clientToken).toBe(first.outs!.clientToken);
    expect(second.id).not.toBe(first.id);
    expect(second.outs!.effectiveClientToken).not.toBe(second.outs!.clientToken);
    expect((second.outs!.effectiveClientToken as string).length).toBeLessThanOrEqual(64);
    // The first start replayed the old session; the second made a new one.
    expect(calls("StartTerminalSession")).toHaveLength(3);
    await p.delete!(second.id, second.outs!);
  });

  test("a delete-first replacement seconds later (up --replace) never hands out the session it just ended", async () => {
    const p = await provider();
    const urn = `${URN}-replaced`;
    const first = await checkAndCreate(p, { instanceIds: [INSTANCE] }, urn);
    await p.delete!(first.id, first.outs!);
    const second = await checkAndCreate(p, { instanceIds: [INSTANCE] }, urn);
    expect(second.id).not.toBe(first.id);
    expect(second.outs!.effectiveClientToken).not.toBe(second.outs!.clientToken);
    expect((await adminSessions()).find((s) => s.sessionId === second.id)?.state).toBe("Open");
    await p.delete!(second.id, second.outs!);
  });
});

describe("adoption (adoptSessionId)", () => {
  test("adopts a live session without starting one, and ends it on delete", async () => {
    const existing = await startTerminalSession(ecs(), {
      regionId: REGION,
      instanceIds: [INSTANCE],
      portNumber: echoPort,
    });
    cloud.requestLog.clear();
    const p = await provider();
    const { id, outs } = await checkAndCreate(
      p,
      { instanceIds: [INSTANCE], portNumber: echoPort, adoptSessionId: existing.sessionId },
      `${URN}-adopt`,
    );
    expect(id).toBe(existing.sessionId);
    expect(outs).toMatchObject({
      adopted: true,
      sessionId: id,
      reportedPortNumber: echoPort,
      creationTime: expect.any(String),
    });
    expect(outs!.webSocketUrl).toBeUndefined();
    expect(calls("StartTerminalSession")).toHaveLength(0);
    expect((await p.read!(id, outs)).id).toBe(id);
    await p.delete!(id, outs!);
    expect(calls("EndTerminalSession")).toHaveLength(1);
  });

  test("refuses a session on another instance, an ended one, or one that does not match", async () => {
    const p = await provider();
    const other = await startTerminalSession(ecs(), { regionId: REGION, instanceIds: ["i-life0002"] });
    await expect(
      checkAndCreate(p, { instanceIds: [INSTANCE], adoptSessionId: other.sessionId }, `${URN}-a1`),
    ).rejects.toMatchObject({ code: "AdoptNotFound" });

    const port = await startTerminalSession(ecs(), {
      regionId: REGION,
      instanceIds: [INSTANCE],
      portNumber: echoPort,
    });
    await expect(
      checkAndCreate(
        p,
        { instanceIds: [INSTANCE], portNumber: 22, adoptSessionId: port.sessionId },
        `${URN}-a2`,
      ),
    ).rejects.toMatchObject({ code: "AdoptMismatch", message: expect.stringContaining("portNumber") });

    const ws = await connect(port.webSocketUrl!, port.sessionId);
    await endTerminalSession(ecs(), { regionId: REGION, sessionId: port.sessionId });
    await expect(
      checkAndCreate(
        p,
        { instanceIds: [INSTANCE], portNumber: echoPort, adoptSessionId: port.sessionId },
        `${URN}-a3`,
      ),
    ).rejects.toMatchObject({ code: "AdoptNotLive" });
    ws.terminate();
    expect(calls("StartTerminalSession")).toHaveLength(2);
  });
});

describe("configuration", () => {
  test("a bad endpoint fails configure with the key named", async () => {
    const p = createTerminalSessionProvider({ env: {} });
    await expect(
      p.configure!({
        config: {
          get: (k: string) => (k === "sessions:ecsEndpoint" ? "ftp://x" : undefined),
          require: () => "",
        },
      }),
    ).rejects.toThrow(/sessions:ecsEndpoint/);
  });

  test("wrong credentials fail create with an actionable message and no retries", async () => {
    const p = await provider({ "alicloud:secretKey": "wrong" });
    const err = await checkAndCreate(p, { instanceIds: [INSTANCE] }, `${URN}-creds`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SignatureDoesNotMatch", attempts: 1 });
    expect((err as Error).message).toMatch(/alicloud:secretKey/);
  });
});

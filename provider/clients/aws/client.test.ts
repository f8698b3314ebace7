import { AdminClient, startLocalCloud, type LocalCloud } from "../../../emulator";
import { hasErrorCode, isErrorNamed } from "../../errors/base";
import { AWS_API_ERROR } from "../../errors/aws";
import { DEFAULT_MAX_ATTEMPTS } from "../../retry";
import {
  createSsmClient,
  describeSessions,
  findSsmSession,
  listSsmSessions,
  resumeSession,
  startSession,
  terminateSession,
  TARGET_NOT_CONNECTED_HINT,
  throttlingOnlyRetry,
  type SsmClient,
} from ".";

process.env.AWS_EC2_METADATA_DISABLED = "true";

const KEY = { accessKeyId: "AKIACLIENTTEST0001", accessKeySecret: "client-test-secret" };
const REGION = "us-east-1";

describe("the SSM client against the local cloud", () => {
  let cloud: LocalCloud;
  let admin: AdminClient;
  let client: SsmClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [KEY],
      ssm: {
        targets: [
          { target: "i-0client000000001", region: REGION },
          { target: "i-0offline00000001", region: REGION, connected: false },
        ],
      },
    });
    admin = new AdminClient(cloud);
    client = createSsmClient({
      region: REGION,
      endpoint: cloud.url,
      credentials: {
        kind: "static",
        accessKeyId: KEY.accessKeyId,
        secretAccessKey: KEY.accessKeySecret,
        source: "test",
      },
    });
  });
  afterAll(() => cloud.stop());
  beforeEach(async () => {
    await admin.clearFaults();
    await admin.clearRequests();
  });

  const actions = async (action: string) => (await admin.requests()).filter((r) => r.action === action);

  test("start, describe (Active then History), terminate", async () => {
    const started = await startSession(client, {
      target: "i-0client000000001",
      documentName: "AWS-StartPortForwardingSession",
      reason: "client test",
      parameters: { portNumber: ["22"] },
    });
    expect(started.sessionId).toMatch(/^AKIACLIENTTEST0001-0[0-9a-f]{16}$/);
    expect(started.tokenValue).toBeTruthy();
    expect(started.streamUrl).toMatch(/^ws:\/\//);

    const live = await findSsmSession(client, started.sessionId);
    expect(live).toMatchObject({
      sessionId: started.sessionId,
      target: "i-0client000000001",
      status: "Connecting",
      documentName: "AWS-StartPortForwardingSession",
      reason: "client test",
      owner: `arn:aws:iam::000000000000:user/${KEY.accessKeyId}`,
    });
    expect(live!.startDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    expect(await terminateSession(client, started.sessionId)).toBe("terminated");
    const ended = await findSsmSession(client, started.sessionId);
    expect(ended).toMatchObject({ status: "Terminated" });
    expect(ended!.endDate).toBeDefined();
    // Terminating again is harmless.
    expect(await terminateSession(client, started.sessionId)).toBe("terminated");
    expect(await findSsmSession(client, "AKIA-0ffffffffffffffff")).toBeUndefined();
  });

  test("ResumeSession gives a fresh token for a live session, and says a terminated one must be started anew", async () => {
    const started = await startSession(client, { target: "i-0client000000001" });
    const resumed = await resumeSession(client, started.sessionId);
    expect(resumed.sessionId).toBe(started.sessionId);
    expect(resumed.tokenValue).toBeTruthy();
    expect(resumed.tokenValue).not.toBe(started.tokenValue);
    expect(resumed.streamUrl).toMatch(/^ws:\/\//);
    await terminateSession(client, started.sessionId);
    const err = await resumeSession(client, started.sessionId).catch((e: unknown) => e);
    expect(hasErrorCode(err, "DoesNotExistException")).toBe(true);
    expect((err as Error).message).toContain("start a new one");
    // The client serves the next call as usual.
    expect(await findSsmSession(client, started.sessionId)).toMatchObject({ status: "Terminated" });
  });

  test("TargetNotConnected says the agent is offline, and is not retried", async () => {
    const err = await startSession(client, { target: "i-0offline00000001" }).catch((e: unknown) => e);
    expect(isErrorNamed(err, AWS_API_ERROR)).toBe(true);
    expect(hasErrorCode(err, "TargetNotConnected")).toBe(true);
    expect((err as Error).message).toContain("StartSession failed with TargetNotConnected (HTTP 400");
    expect((err as Error).message).toContain(TARGET_NOT_CONNECTED_HINT);
    expect((err as { attempts?: number }).attempts).toBe(1);
    expect(await actions("StartSession")).toHaveLength(1);
  });

  test("StartSession retries throttling but never a 5xx (it could start a second session)", async () => {
    await admin.addFault({ service: "ssm", action: "StartSession", kind: "throttle", count: 2 });
    const started = await startSession(client, { target: "i-0client000000001" });
    expect(started.sessionId).toBeTruthy();
    expect((await actions("StartSession")).map((r) => r.code)).toEqual([
      "ThrottlingException",
      "ThrottlingException",
      null,
    ]);

    await admin.clearRequests();
    await admin.addFault({ service: "ssm", action: "StartSession", kind: "serverError", count: 1 });
    const err = await startSession(client, { target: "i-0client000000001" }).catch((e: unknown) => e);
    expect(hasErrorCode(err, "ServiceUnavailable")).toBe(true);
    expect((err as { httpStatus?: number }).httpStatus).toBe(503);
    expect(await actions("StartSession")).toHaveLength(1);
    await terminateSession(client, started.sessionId);
  });

  test("idempotent calls retry throttling and 5xx with the SDK's standard mode", async () => {
    await admin.addFault({ service: "ssm", action: "DescribeSessions", kind: "throttle", count: 1 });
    await describeSessions(client, { state: "Active" });
    await admin.addFault({ service: "ssm", action: "DescribeSessions", kind: "serverError", count: 2 });
    await describeSessions(client, { state: "Active" });
    expect((await actions("DescribeSessions")).map((r) => r.code)).toEqual([
      "ThrottlingException",
      null,
      "ServiceUnavailable",
      "ServiceUnavailable",
      null,
    ]);

    await admin.clearRequests();
    await admin.addFault({ service: "ssm", action: "TerminateSession", kind: "serverError" });
    const err = await terminateSession(client, "AKIA-00000000000000000").catch((e: unknown) => e);
    expect(hasErrorCode(err, "ServiceUnavailable")).toBe(true);
    expect((err as { attempts?: number }).attempts).toBe(DEFAULT_MAX_ATTEMPTS);
    expect((err as Error).message).toContain("run again later");
    expect(await actions("TerminateSession")).toHaveLength(DEFAULT_MAX_ATTEMPTS);
  });

  test("lists every page", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await startSession(client, { target: "i-0client000000001" })).sessionId);
    const first = await describeSessions(client, {
      state: "Active",
      filters: [{ key: "Target", value: "i-0client000000001" }],
      maxResults: 2,
    });
    expect(first.items).toHaveLength(2);
    expect(first.nextToken).toBeTruthy();
    const all: string[] = [];
    for await (const s of listSsmSessions(client, "Active", [
      { key: "Target", value: "i-0client000000001" },
    ])) {
      all.push(s.sessionId);
    }
    expect(all.sort()).toEqual(expect.arrayContaining(ids.sort()));
    for (const id of ids) await terminateSession(client, id);
  });

  test("a wrong secret is InvalidSignatureException with a hint naming the config keys", async () => {
    const bad = createSsmClient({
      region: REGION,
      endpoint: cloud.url,
      credentials: { kind: "static", accessKeyId: KEY.accessKeyId, secretAccessKey: "wrong", source: "test" },
    });
    const err = await describeSessions(bad, { state: "Active" }).catch((e: unknown) => e);
    expect(hasErrorCode(err, "InvalidSignatureException")).toBe(true);
    expect((err as Error).message).toContain("aws:secretKey");
  });

  test("a refused connection is a transport error", async () => {
    const dead = createSsmClient({
      region: REGION,
      endpoint: "http://127.0.0.1:1",
      credentials: { kind: "static", accessKeyId: "a", secretAccessKey: "b", source: "test" },
    });
    const err = await describeSessions(dead, { state: "Active" }).catch((e: unknown) => e);
    expect(isErrorNamed(err, AWS_API_ERROR)).toBe(true);
    expect((err as { transport?: boolean }).transport).toBe(true);
    expect((err as { code?: string }).code).toBe("ECONNREFUSED");
  });
});

describe("throttlingOnlyRetry", () => {
  test("retries throttling up to the attempt limit, refuses everything else", async () => {
    const strategy = throttlingOnlyRetry(3, () => 0.5);
    const t0 = await strategy.acquireInitialRetryToken();
    const t1 = await strategy.refreshRetryTokenForRetry(t0, { errorType: "THROTTLING" });
    expect(t1.getRetryCount()).toBe(1);
    expect(t1.getRetryDelay()).toBe(100);
    const t2 = await strategy.refreshRetryTokenForRetry(t1, { errorType: "THROTTLING" });
    expect(t2.getRetryDelay()).toBe(200);
    await expect(strategy.refreshRetryTokenForRetry(t2, { errorType: "THROTTLING" })).rejects.toBeDefined();
    const boom = new Error("boom");
    await expect(
      strategy.refreshRetryTokenForRetry(t0, { errorType: "SERVER_ERROR", error: boom }),
    ).rejects.toBe(boom);
    await expect(
      strategy.refreshRetryTokenForRetry(t0, { errorType: "TRANSIENT", error: boom }),
    ).rejects.toBe(boom);
  });
});

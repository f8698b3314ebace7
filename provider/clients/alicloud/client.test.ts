import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalCloud, type LocalCloud } from "../../../emulator/server";
import type { AlicloudCredentialSource } from "../../config";
import { ALICLOUD_API_ERROR } from "../../errors/alicloud";
import { createAlicloudClient, splitEndpoint } from "./client";
import {
  describeTerminalSessions,
  findTerminalSession,
  listTerminalSessions,
  sessionUsability,
  toSessionRecord,
  WEBSOCKET_URL_TTL_MS,
} from "./describeTerminalSessions";
import { endTerminalSession } from "./endTerminalSession";
import { startTerminalSession, startTerminalSessionParams } from "./startTerminalSession";

process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

const KEY = { accessKeyId: "LTAIclienttest01", accessKeySecret: "client-test-secret" };
const STS = { accessKeyId: "STS.clienttest01", accessKeySecret: "sts-secret", securityToken: "sts-token-1" };
const REGION = "cn-hangzhou";
const staticKey: AlicloudCredentialSource = { kind: "static", ...KEY, source: "test" };

describe("request and response shapes (no network)", () => {
  test("StartTerminalSession parameters are PascalCase, EncryptionOptions a JSON string", () => {
    expect(
      startTerminalSessionParams({
        regionId: REGION,
        instanceIds: ["i-1"],
        commandLine: "ls",
        encryptionOptions: { enabled: true, mode: "Kms", kmsKeyId: "key-1" },
        clientToken: "t",
      }),
    ).toEqual({
      RegionId: REGION,
      InstanceId: ["i-1"],
      PortNumber: undefined,
      CommandLine: "ls",
      TargetServer: undefined,
      Username: undefined,
      ConnectionType: undefined,
      PasswordName: undefined,
      EncryptionOptions: '{"Enabled":true,"Mode":"Kms","KMSKeyId":"key-1"}',
      ClientToken: "t",
    });
  });

  test("session records accept the documented shape and tolerate bare arrays and string ports", () => {
    const documented = toSessionRecord({
      SessionId: "s-1",
      CreationTime: "2024-01-19T09:15:46Z",
      PortNumber: 22,
      PrincipalId: 123,
      ClientIP: "192.168.1.1",
      Connections: {
        Connection: [{ Status: "Connected", InstanceId: "i-1", StartTime: "2024-01-19T09:16:40Z" }],
      },
    });
    expect(documented).toEqual({
      sessionId: "s-1",
      creationTime: "2024-01-19T09:15:46Z",
      principalId: "123",
      identityType: undefined,
      clientIp: "192.168.1.1",
      username: undefined,
      targetServer: undefined,
      portNumber: 22,
      connections: [
        {
          instanceId: "i-1",
          status: "Connected",
          startTime: "2024-01-19T09:16:40Z",
          endTime: undefined,
          closedReason: undefined,
        },
      ],
    });
    const bare = toSessionRecord({ SessionId: "s-2", PortNumber: "80", Connections: [{ Status: "Failed" }] });
    expect(bare.portNumber).toBe(80);
    expect(bare.connections[0].status).toBe("Failed");
    expect(toSessionRecord({ SessionId: "s-3" }).connections).toEqual([]);
  });

  test("sessionUsability: ended, expired or live", () => {
    const created = new Date("2024-01-19T09:00:00Z");
    const rec = (statuses: string[]) => ({
      sessionId: "s",
      creationTime: "2024-01-19T09:00:00Z",
      connections: statuses.map((status) => ({ status })),
    });
    const soon = new Date(created.getTime() + 60_000);
    const late = new Date(created.getTime() + WEBSOCKET_URL_TTL_MS + 1000);
    expect(sessionUsability(rec([]), soon)).toBe("live");
    expect(sessionUsability(rec(["Disconnected"]), soon)).toBe("live");
    expect(sessionUsability(rec(["Connected", "Terminating"]), soon)).toBe("ended");
    expect(sessionUsability(rec(["Terminated"]), soon)).toBe("ended");
    expect(sessionUsability(rec([]), late)).toBe("expired");
    expect(sessionUsability(rec(["Disconnected", "Failed"]), late)).toBe("expired");
    expect(sessionUsability(rec(["Connected"]), late)).toBe("live");
    expect(sessionUsability({ sessionId: "s", connections: [] }, late)).toBe("live");
  });

  test("endpoints: the scheme decides the protocol; defaults are HTTPS", () => {
    expect(splitEndpoint("http://127.0.0.1:8080")).toEqual({ host: "127.0.0.1:8080", protocol: "http" });
    expect(splitEndpoint("https://ecs.example.com")).toEqual({ host: "ecs.example.com", protocol: "https" });
    const ecs = createAlicloudClient({ product: "ecs", region: "cn-beijing", credentials: staticKey });
    expect(ecs.endpoint).toBe("https://ecs.cn-beijing.aliyuncs.com");
    const das = createAlicloudClient({ product: "das", region: "cn-beijing", credentials: staticKey });
    expect(das.endpoint).toBe("https://das.cn-shanghai.aliyuncs.com");
  });
});

describe("against the local cloud", () => {
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [KEY, STS],
      ecs: { instances: [{ instanceId: "i-client1", regionId: REGION }] },
    });
  });
  afterAll(() => cloud.stop());

  const client = (credentials: AlicloudCredentialSource = staticKey) =>
    createAlicloudClient({ product: "ecs", region: REGION, endpoint: cloud.url, credentials });

  test("start, describe, end: signed requests, the server's clock, idempotent end", async () => {
    const c = client();
    const started = await startTerminalSession(c, {
      regionId: REGION,
      instanceIds: ["i-client1"],
      portNumber: 22,
    });
    expect(started.sessionId).toMatch(/^s-/);
    expect(started.webSocketUrl).toContain(started.sessionId);
    expect(started.securityToken).toBeTruthy();
    expect(started.serverDate).toBeInstanceOf(Date);

    const { record, serverDate } = await findTerminalSession(c, REGION, started.sessionId);
    expect(record).toMatchObject({ sessionId: started.sessionId, portNumber: 22, identityType: "Account" });
    expect(Math.abs(serverDate!.getTime() - Date.now())).toBeLessThan(5000);
    expect((await findTerminalSession(c, REGION, started.sessionId, "i-other")).record).toBeUndefined();

    expect(await endTerminalSession(c, { regionId: REGION, sessionId: started.sessionId })).toBe(true);
    expect(await endTerminalSession(c, { regionId: REGION, sessionId: "s-doesnotexist" })).toBe(false);
  });

  test("pages through Describe with NextToken", async () => {
    const c = client();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await startTerminalSession(c, { regionId: REGION, instanceIds: ["i-client1"] })).sessionId);
    }
    const first = await describeTerminalSessions(c, {
      regionId: REGION,
      instanceId: "i-client1",
      maxResults: 1,
    });
    expect(first.items).toHaveLength(1);
    expect(first.nextToken).toBeTruthy();
    const all: string[] = [];
    for await (const s of listTerminalSessions(c, { regionId: REGION, instanceId: "i-client1" }))
      all.push(s.sessionId);
    expect(all).toEqual(expect.arrayContaining(ids));
  });

  test("STS keys sign with their security token", async () => {
    const c = client({ kind: "static", ...STS, source: "test" });
    const page = await describeTerminalSessions(c, { regionId: REGION });
    expect(Array.isArray(page.items)).toBe(true);
  });

  test("a wrong secret becomes an AlicloudApiError with code, status, request id and hint", async () => {
    const c = client({
      kind: "static",
      accessKeyId: KEY.accessKeyId,
      accessKeySecret: "wrong",
      source: "test",
    });
    const err = await describeTerminalSessions(c, { regionId: REGION }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: ALICLOUD_API_ERROR,
      code: "SignatureDoesNotMatch",
      httpStatus: 400,
      operation: "DescribeTerminalSessions",
      attempts: 1,
    });
    expect((err as { requestId?: string }).requestId).toBeTruthy();
    expect((err as Error).message).toMatch(/secretKey/);
  });

  test("documented errors carry the operation's hint", async () => {
    const c = client();
    const err = await startTerminalSession(c, { regionId: REGION, instanceIds: ["i-nope"] }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "InvalidInstance.NotFound", httpStatus: 404 });
    expect((err as Error).message).toMatch(/Check instanceIds/);
  });

  test("throttling and 5xx are retried", async () => {
    cloud.faults.add({ action: "DescribeTerminalSessions", kind: "throttle", count: 2 });
    cloud.faults.add({ action: "DescribeTerminalSessions", kind: "serverError", count: 1 });
    cloud.requestLog.clear();
    await describeTerminalSessions(client(), { regionId: REGION });
    const rows = cloud.requestLog.list().filter((r) => r.action === "DescribeTerminalSessions");
    expect(rows.map((r) => r.status)).toEqual([expect.any(Number), expect.any(Number), 200]);
    expect(rows.length).toBe(3);
  });

  test("the default credential chain reads ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET", async () => {
    const saved = { ...process.env };
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY.accessKeyId;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = KEY.accessKeySecret;
    process.env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED = "true";
    try {
      const page = await describeTerminalSessions(client({ kind: "default", source: "test" }), {
        regionId: REGION,
      });
      expect(Array.isArray(page.items)).toBe(true);
    } finally {
      process.env = saved;
    }
  });

  test("a CLI profile (alicloud:profile) is read from ~/.aliyun/config.json", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "aliyun-home-"));
    fs.mkdirSync(path.join(home, ".aliyun"));
    fs.writeFileSync(
      path.join(home, ".aliyun", "config.json"),
      JSON.stringify({
        current: "other",
        profiles: [
          { name: "ops", mode: "AK", access_key_id: KEY.accessKeyId, access_key_secret: KEY.accessKeySecret },
        ],
      }),
    );
    // The credentials package reads os.homedir(), which ignores the test sandbox's process.env.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const homedir = jest.spyOn(require("os") as typeof os, "homedir").mockReturnValue(home);
    try {
      const page = await describeTerminalSessions(
        client({ kind: "profile", profile: "ops", source: "test" }),
        {
          regionId: REGION,
        },
      );
      expect(Array.isArray(page.items)).toBe(true);
      const missing = await describeTerminalSessions(
        client({ kind: "profile", profile: "nobody", source: "test" }),
        { regionId: REGION },
      ).catch((e: unknown) => e);
      expect((missing as Error).message).toMatch(/alicloud:profile/);
    } finally {
      homedir.mockRestore();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

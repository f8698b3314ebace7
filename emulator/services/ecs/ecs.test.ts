/**
 * ECS Session Manager through the official clients only: the generated `@alicloud/ecs20140526`
 * wrapper and openapi-core's generic callApi. Covers every error code in the three API
 * references' tables, the sample responses' field names and types, paging, idempotency, limits
 * and four-week retention.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import EcsClient, * as $Ecs from "@alicloud/ecs20140526";
import { ManualClock } from "../../clock";
import type { LocalCloudConfigInput } from "../../config";
import { startLocalCloud, type LocalCloud } from "../../server";
import { acsConfig, acsError, callRpc, openApiClient, TEST_CREDENTIAL } from "../../testing/alibaba";
import { AdminClient } from "../../admin/client";
import type { EcsService } from "./index";

const REGION = "cn-hangzhou";

const baseConfig = (): LocalCloudConfigInput => ({
  credentials: [
    TEST_CREDENTIAL,
    { accessKeyId: "STS.testkey0002", accessKeySecret: "sts-secret", securityToken: "sts-token-0002" },
  ],
  ecs: {
    instances: [
      { instanceId: "i-run", regionId: REGION },
      { instanceId: "i-run2", regionId: REGION },
      { instanceId: "i-stopped", regionId: REGION, status: "Stopped" },
      { instanceId: "i-offline", regionId: REGION, agentOnline: false },
      { instanceId: "i-classic", regionId: REGION, networkType: "classic" },
      { instanceId: "i-sg", regionId: REGION, securityGroupDenied: true },
      { instanceId: "i-oldagent", regionId: REGION, agentVersion: "2.2.3.300" },
      { instanceId: "i-sh", regionId: "cn-shanghai" },
      { instanceId: "i-bj", regionId: "cn-beijing" },
    ],
    sessionManagerDisabledRegions: ["cn-beijing"],
  },
});

function ecsClient(cloud: LocalCloud, cred = TEST_CREDENTIAL): EcsClient {
  return new EcsClient(acsConfig(cloud, cred));
}

describe("ECS Session Manager", () => {
  let cloud: LocalCloud;
  let ecs: EcsClient;
  let api: ReturnType<typeof openApiClient>;

  beforeAll(async () => {
    cloud = await startLocalCloud(baseConfig());
    ecs = ecsClient(cloud);
    api = openApiClient(cloud);
  });
  afterAll(() => cloud.stop());

  const start = (q: Record<string, unknown>) =>
    callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: ["i-run"], ...q });

  describe("StartTerminalSession", () => {
    test("generated client: response fields as the sample (SessionId, SecurityToken, WebSocketUrl)", async () => {
      const res = await ecs.startTerminalSession(
        new $Ecs.StartTerminalSessionRequest({
          regionId: REGION,
          instanceId: ["i-run"],
          commandLine: "echo hi",
        }),
      );
      expect(res.statusCode).toBe(200);
      const body = res.body!;
      expect(body.requestId).toMatch(/^[0-9A-F-]{36}$/);
      expect(body.sessionId).toMatch(/^s-[a-z0-9]+$/);
      expect(body.securityToken).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.webSocketUrl).toBe(
        `ws://${cloud.endpoint}/session?sessionId=${body.sessionId}&token=${body.securityToken}`,
      );
    });

    test("generic client: PascalCase keys, strings only", async () => {
      const res = await start({ PortNumber: 22 });
      expect(Object.keys(res.body).sort()).toEqual([
        "RequestId",
        "SecurityToken",
        "SessionId",
        "WebSocketUrl",
      ]);
      for (const v of Object.values(res.body)) expect(typeof v).toBe("string");
    });

    test("accepts every documented parameter", async () => {
      const res = await ecs.startTerminalSession(
        new $Ecs.StartTerminalSessionRequest({
          regionId: REGION,
          instanceId: ["i-run"],
          portNumber: 22,
          targetServer: "192.168.0.246",
          username: "testUser",
          connectionType: "Intranet",
          passwordName: "axtSecretPassword",
          clientToken: "123e4567-e89b-12d3-a456-426655440000",
        }),
      );
      expect(res.body!.sessionId).toBeTruthy();
      const withEncryption = await ecs.startTerminalSession(
        new $Ecs.StartTerminalSessionRequest({
          regionId: REGION,
          instanceId: ["i-run"],
          encryptionOptions: new $Ecs.StartTerminalSessionRequestEncryptionOptions({
            enabled: true,
            mode: "Kms",
            KMSKeyId: "key-hzz65f3b8c1xxxxx",
          }),
        }),
      );
      expect(withEncryption.body!.sessionId).toBeTruthy();
    });

    // Every code of the StartTerminalSession error table, each reached by its own condition.
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ["region not supported", { RegionId: "cn-nanjing" }, 400, "RegionId.ApiNotSupported"],
      ["port out of range", { PortNumber: 70000 }, 400, "PortNumber.Invalid"],
      ["port zero", { PortNumber: 0 }, 400, "PortNumber.Invalid"],
      ["port not a number", { PortNumber: "ssh" }, 400, "PortNumber.Invalid"],
      ["connection type", { ConnectionType: "Satellite" }, 400, "InvalidParameter.ConnectionType"],
      ["client token too long", { ClientToken: "x".repeat(65) }, 400, "InvalidClientToken.Malformed"],
      ["client token not ASCII", { ClientToken: "jeton-é" }, 400, "InvalidClientToken.Malformed"],
      ["agent offline", { InstanceId: ["i-offline"] }, 500, "InternalError.Dispatch"],
      ["two instances", { InstanceId: ["i-run", "i-run2"] }, 403, "InstanceIds.ExceedLimit"],
      ["instance not running", { InstanceId: ["i-stopped"] }, 403, "Operation.Forbidden"],
      [
        "port forwarding, classic network",
        { InstanceId: ["i-classic"], PortNumber: 22 },
        403,
        "PortForwarding.NotSupported",
      ],
      [
        "session manager disabled",
        { RegionId: "cn-beijing", InstanceId: ["i-bj"] },
        403,
        "UserBehavior.SessionManagerDisabled",
      ],
      ["command + port", { CommandLine: "ls", PortNumber: 22 }, 403, "InvalidCommandLine.Conflict"],
      [
        "command + target",
        { CommandLine: "ls", TargetServer: "10.0.0.1" },
        403,
        "InvalidCommandLine.Conflict",
      ],
      ["target without port", { TargetServer: "10.0.0.1" }, 403, "InvalidTargetServer.MissingPortNumber"],
      ["command too long", { CommandLine: "x".repeat(513) }, 403, "InvalidCommandLine.LengthLimitExceeded"],
      [
        "two instances with command",
        { InstanceId: ["i-run", "i-run2"], CommandLine: "ls" },
        403,
        "InvalidInstanceIds.CountLimitExceeded",
      ],
      [
        "two instances with target",
        { InstanceId: ["i-run", "i-run2"], TargetServer: "10.0.0.1", PortNumber: 22 },
        403,
        "InvalidInstanceIds.CountLimitExceeded",
      ],
      ["username too long", { Username: "u".repeat(65) }, 403, "Username.ExceedLimit"],
      ["security group denies", { InstanceId: ["i-sg"] }, 403, "InvalidOperation.SecurityGroupRuleDenied"],
      [
        "target too long",
        { TargetServer: "t".repeat(129), PortNumber: 22 },
        403,
        "InvalidTargetServer.LengthLimitExceeded",
      ],
      [
        "intranet on classic",
        { InstanceId: ["i-classic"], ConnectionType: "Intranet" },
        403,
        "InvalidOperation.ConnectionTypeUnsupported",
      ],
      [
        "password name too long",
        { PasswordName: "p".repeat(256) },
        403,
        "InvalidPasswordName.LengthLimitExceeded",
      ],
      [
        "mode while disabled",
        { EncryptionOptions: JSON.stringify({ Enabled: false, Mode: "Auto" }) },
        403,
        "InvalidEncryptionOptionsMode.EncryptionDisabled",
      ],
      [
        "KMS key in Auto mode",
        { EncryptionOptions: JSON.stringify({ Enabled: true, Mode: "Auto", KMSKeyId: "key-1" }) },
        403,
        "InvalidParameter.EncryptionOptionsKMSKeyId",
      ],
      [
        "KMS key while disabled",
        { EncryptionOptions: JSON.stringify({ Enabled: false, KMSKeyId: "key-1" }) },
        403,
        "InvalidParameter.EncryptionOptionsKMSKeyId",
      ],
      [
        "bad mode",
        { EncryptionOptions: JSON.stringify({ Enabled: true, Mode: "Quantum" }) },
        403,
        "InvalidParameter.EncryptionOptionsMode",
      ],
      [
        "Kms without key",
        { EncryptionOptions: JSON.stringify({ Enabled: true, Mode: "Kms" }) },
        403,
        "MissingParameter.EncryptionOptionsKMSKeyId",
      ],
      [
        "old agent + encryption",
        { InstanceId: ["i-oldagent"], EncryptionOptions: JSON.stringify({ Enabled: true }) },
        403,
        "UnsupportedAgentVersion.Encryption",
      ],
      [
        "encryption + port",
        { PortNumber: 22, EncryptionOptions: JSON.stringify({ Enabled: true }) },
        403,
        "InvalidEncryptionOptions.Conflict",
      ],
      [
        "encryption + target",
        { TargetServer: "10.0.0.1", PortNumber: 22, EncryptionOptions: JSON.stringify({ Enabled: true }) },
        403,
        "InvalidEncryptionOptions.Conflict",
      ],
      ["unknown region", { RegionId: "mars-north-1" }, 404, "InvalidRegionId.NotFound"],
      ["unknown instance", { InstanceId: ["i-nope"] }, 404, "InvalidInstance.NotFound"],
      ["instance in another region", { InstanceId: ["i-sh"] }, 404, "InvalidInstance.NotFound"],
      ["missing instance", { InstanceId: [] }, 400, "MissingParameter"],
      ["encryption options not JSON", { EncryptionOptions: "{nope" }, 400, "InvalidParameter"],
    ];
    test.each(cases)("%s: %j -> %i %s", async (_name, query, status, code) => {
      const err = await acsError(start(query));
      expect({ status: err.statusCode, code: err.code }).toEqual({ status, code });
      expect(Object.keys(err.data).sort()).toEqual(["Code", "HostId", "Message", "Recommend", "RequestId"]);
    });

    test("a limit exactly at its boundary is accepted", async () => {
      await start({ CommandLine: "x".repeat(512) });
      await start({ TargetServer: "t".repeat(128), PortNumber: 65535 });
      await start({ PasswordName: "p".repeat(255), ClientToken: "c".repeat(64) });
      await start({ PortNumber: 1 });
    });

    test("the generated client surfaces codes the same way", async () => {
      const err = await acsError(
        ecs.startTerminalSession(
          new $Ecs.StartTerminalSessionRequest({
            regionId: REGION,
            instanceId: ["i-run"],
            commandLine: "ls",
            portNumber: 22,
          }),
        ),
      );
      expect(err.name).toBe("ClientError");
      expect(err.code).toBe("InvalidCommandLine.Conflict");
      expect(err.statusCode).toBe(403);
      const server = await acsError(
        ecs.startTerminalSession(
          new $Ecs.StartTerminalSessionRequest({ regionId: REGION, instanceId: ["i-offline"] }),
        ),
      );
      expect(server.name).toBe("ServerError");
    });

    test("ClientToken: same token and parameters return the same session", async () => {
      const a = await start({ ClientToken: "tok-same", CommandLine: "date" });
      const b = await start({ ClientToken: "tok-same", CommandLine: "date" });
      expect(b.body.SessionId).toBe(a.body.SessionId);
      expect(b.body.SecurityToken).toBe(a.body.SecurityToken);
      expect(b.body.WebSocketUrl).toBe(a.body.WebSocketUrl);
      expect(b.body.RequestId).not.toBe(a.body.RequestId);
    });

    test("ClientToken: changed parameters -> IdempotentParameterMismatch", async () => {
      await start({ ClientToken: "tok-changed", CommandLine: "date" });
      const err = await acsError(start({ ClientToken: "tok-changed", CommandLine: "uptime" }));
      expect([err.statusCode, err.code]).toEqual([403, "IdempotentParameterMismatch"]);
    });

    test("ClientToken: a different caller with the same token gets its own session", async () => {
      const a = await start({ ClientToken: "tok-caller" });
      const sts = openApiClient(cloud, {
        accessKeyId: "STS.testkey0002",
        accessKeySecret: "sts-secret",
        securityToken: "sts-token-0002",
      });
      const b = await callRpc(sts, "StartTerminalSession", {
        RegionId: REGION,
        InstanceId: ["i-run"],
        ClientToken: "tok-caller",
      });
      expect(b.body.SessionId).not.toBe(a.body.SessionId);
    });

    test("ClientToken: a concurrent retry while the first is processing -> IdempotentProcessing", async () => {
      const admin = new AdminClient(cloud);
      await admin.addInventory({ ecs: { dispatchDelayMs: 300 } });
      try {
        const first = start({ ClientToken: "tok-concurrent" });
        await new Promise((r) => setTimeout(r, 50));
        const err = await acsError(start({ ClientToken: "tok-concurrent" }));
        expect([err.statusCode, err.code]).toEqual([403, "IdempotentProcessing"]);
        const done = await first;
        const again = await start({ ClientToken: "tok-concurrent" });
        expect(again.body.SessionId).toBe(done.body.SessionId);
      } finally {
        await admin.addInventory({ ecs: { dispatchDelayMs: 0 } });
      }
    });
  });

  describe("DescribeTerminalSessions", () => {
    test("sample shape through the generated client", async () => {
      const started = await start({ PortNumber: 22, TargetServer: "192.168.0.246", Username: "root" });
      const res = await ecs.describeTerminalSessions(
        new $Ecs.DescribeTerminalSessionsRequest({
          regionId: REGION,
          sessionId: started.body.SessionId as string,
        }),
      );
      const sessions = res.body!.sessions!.session!;
      expect(sessions).toHaveLength(1);
      const s = sessions[0];
      expect(s.sessionId).toBe(started.body.SessionId);
      expect(s.targetServer).toBe("192.168.0.246");
      expect(s.portNumber).toBe(22);
      expect(s.username).toBe("root");
      expect(s.clientIP).toBe("127.0.0.1");
      expect(s.identityType).toBe("Account");
      expect(s.principalId).toMatch(/^\d+$/);
      expect(s.creationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(s.connections!.connection).toEqual([]);
    });

    test("raw JSON: Sessions.Session[] with typed fields, as the sample", async () => {
      const started = await start({ PortNumber: 3306 });
      const res = await callRpc(api, "DescribeTerminalSessions", {
        RegionId: REGION,
        SessionId: started.body.SessionId,
      });
      const sessions = (res.body.Sessions as { Session: Array<Record<string, unknown>> }).Session;
      expect(typeof sessions[0].PortNumber).toBe("number");
      expect(sessions[0]).toEqual({
        CreationTime: expect.any(String),
        PortNumber: 3306,
        PrincipalId: expect.any(String),
        ClientIP: "127.0.0.1",
        IdentityType: "Account",
        SessionId: started.body.SessionId,
        Connections: { Connection: [] },
      });
    });

    test("STS callers are AssumedRoleUser", async () => {
      const sts = openApiClient(cloud, {
        accessKeyId: "STS.testkey0002",
        accessKeySecret: "sts-secret",
        securityToken: "sts-token-0002",
      });
      const started = await callRpc(sts, "StartTerminalSession", { RegionId: REGION, InstanceId: ["i-run"] });
      const res = await callRpc(sts, "DescribeTerminalSessions", {
        RegionId: REGION,
        SessionId: started.body.SessionId,
      });
      const s = (res.body.Sessions as { Session: Array<Record<string, unknown>> }).Session[0];
      expect(s.IdentityType).toBe("AssumedRoleUser");
    });

    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ["MaxResults 0", { MaxResults: 0 }, 400, "InvalidParameter.MaxResults"],
      ["MaxResults 101", { MaxResults: 101 }, 400, "InvalidParameter.MaxResults"],
      ["MaxResults not a number", { MaxResults: "ten" }, 400, "InvalidParameter.MaxResults"],
      ["NextToken garbage", { NextToken: "!!not-a-token!!" }, 400, "InvalidParameter.NextToken"],
      [
        "NextToken well-formed base64 but not ours",
        { NextToken: Buffer.from("v1:3:zz").toString("base64url") },
        400,
        "InvalidParameter.NextToken",
      ],
      ["unknown region", { RegionId: "mars-north-1" }, 404, "InvalidRegionId.NotFound"],
      ["missing region", { RegionId: undefined }, 400, "MissingParameter"],
    ];
    test.each(cases)("%s: %j -> %i %s", async (_n, query, status, code) => {
      const err = await acsError(callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, ...query }));
      expect({ status: err.statusCode, code: err.code }).toEqual({ status, code });
    });

    test("500 InternalError is the protocol's answer to an unexpected failure", async () => {
      const backend = (cloud.services.find((s) => s.name === "ecs") as EcsService).backend;
      const spy = jest.spyOn(backend, "describeSessions").mockImplementation(() => {
        throw new Error("boom");
      });
      const quiet = jest.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const err = await acsError(callRpc(api, "DescribeTerminalSessions", { RegionId: REGION }));
        expect([err.name, err.statusCode, err.code]).toEqual(["ServerError", 500, "InternalError"]);
      } finally {
        spy.mockRestore();
        quiet.mockRestore();
      }
    });
  });

  test("Describe in a region without Session Manager lists nothing (its table has no ApiNotSupported)", async () => {
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: "cn-nanjing" });
    expect(r.body.Sessions).toEqual({ Session: [] });
  });

  describe("EndTerminalSession", () => {
    test("ends a session; ending again still succeeds; response is just RequestId", async () => {
      const started = await ecs.startTerminalSession(
        new $Ecs.StartTerminalSessionRequest({ regionId: REGION, instanceId: ["i-run"] }),
      );
      const res = await callRpc(api, "EndTerminalSession", {
        RegionId: REGION,
        SessionId: started.body!.sessionId,
      });
      expect(Object.keys(res.body)).toEqual(["RequestId"]);
      const again = await ecs.endTerminalSession(
        new $Ecs.EndTerminalSessionRequest({ regionId: REGION, sessionId: started.body!.sessionId }),
      );
      expect(again.statusCode).toBe(200);
    });

    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ["region not supported", { RegionId: "cn-fuzhou", SessionId: "s-x" }, 400, "RegionId.ApiNotSupported"],
      ["unknown session", { SessionId: "s-hz023od0x9abcd" }, 404, "InvalidSessionId.NotFound"],
      ["missing session id", {}, 400, "MissingParameter"],
    ];
    test.each(cases)("%s: %j -> %i %s", async (_n, query, status, code) => {
      const err = await acsError(callRpc(api, "EndTerminalSession", { RegionId: REGION, ...query }));
      expect({ status: err.statusCode, code: err.code }).toEqual({ status, code });
    });

    test("a session from another region is not found there", async () => {
      const started = await start({});
      const err = await acsError(
        callRpc(api, "EndTerminalSession", { RegionId: "cn-shanghai", SessionId: started.body.SessionId }),
      );
      expect(err.code).toBe("InvalidSessionId.NotFound");
    });
  });

  describe("accounts", () => {
    const ALICE = {
      accessKeyId: "LTAIalice0000001",
      accessKeySecret: "alice",
      accountId: "1111111111111111",
    };
    const ALICE_RAM = {
      accessKeyId: "LTAIaliceram00001",
      accessKeySecret: "alice-ram",
      accountId: ALICE.accountId,
    };
    const BOB = { accessKeyId: "LTAIbob000000001", accessKeySecret: "bob", accountId: "2222222222222222" };
    beforeAll(() => new AdminClient(cloud).addInventory({ credentials: [ALICE, ALICE_RAM, BOB] }));

    const ids = async (cred: { accessKeyId: string; accessKeySecret: string }) =>
      (
        (await callRpc(openApiClient(cloud, cred), "DescribeTerminalSessions", { RegionId: REGION })).body
          .Sessions as { Session: Array<{ SessionId: string }> }
      ).Session.map((s) => s.SessionId);

    test("another account's key neither lists nor ends a session; the account's RAM user does both", async () => {
      const started = await callRpc(openApiClient(cloud, ALICE), "StartTerminalSession", {
        RegionId: REGION,
        InstanceId: ["i-run2"],
      });
      const id = String(started.body.SessionId);
      expect(await ids(BOB)).not.toContain(id);
      const err = await acsError(
        callRpc(openApiClient(cloud, BOB), "EndTerminalSession", { RegionId: REGION, SessionId: id }),
      );
      expect([err.statusCode, err.code]).toEqual([404, "InvalidSessionId.NotFound"]);
      // Keys that name no account (the default one) do not see it either.
      expect(await ids(TEST_CREDENTIAL)).not.toContain(id);
      expect(await ids(ALICE_RAM)).toContain(id);
      await callRpc(openApiClient(cloud, ALICE_RAM), "EndTerminalSession", {
        RegionId: REGION,
        SessionId: id,
      });
      const sessions = (await new AdminClient(cloud).sessions()).ecs as Array<{
        sessionId: string;
        state: string;
      }>;
      expect(sessions.find((x) => x.sessionId === id)?.state).toBe("Ended");
    });
  });
});

describe("paging", () => {
  let cloud: LocalCloud;
  let api: ReturnType<typeof openApiClient>;
  const created: string[] = [];

  beforeAll(async () => {
    cloud = await startLocalCloud(baseConfig());
    api = openApiClient(cloud);
    for (let i = 0; i < 25; i++) {
      const instance = i % 5 === 0 ? "i-run2" : "i-run";
      const r = await callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: [instance] });
      created.push(r.body.SessionId as string);
    }
  });
  afterAll(() => cloud.stop());

  const ids = (body: Record<string, unknown>) =>
    (body.Sessions as { Session: Array<{ SessionId: string }> }).Session.map((s) => s.SessionId);

  test("default page is 10, newest first", async () => {
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION });
    expect(ids(r.body)).toEqual([...created].reverse().slice(0, 10));
    expect(typeof r.body.NextToken).toBe("string");
  });

  test("NextToken walks every record exactly once; the last page has no token", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await callRpc(api, "DescribeTerminalSessions", {
        RegionId: REGION,
        MaxResults: 10,
        NextToken: token,
      });
      seen.push(...ids(r.body));
      token = r.body.NextToken as string | undefined;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  test("MaxResults 100 returns all; 1 returns one", async () => {
    const all = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, MaxResults: 100 });
    expect(ids(all.body)).toHaveLength(25);
    expect(all.body.NextToken).toBeUndefined();
    const one = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, MaxResults: 1 });
    expect(ids(one.body)).toHaveLength(1);
  });

  test("InstanceId filter, and its tokens are refused for another filter", async () => {
    const r = await callRpc(api, "DescribeTerminalSessions", {
      RegionId: REGION,
      InstanceId: "i-run2",
      MaxResults: 2,
    });
    expect(ids(r.body)).toEqual([created[20], created[15]]);
    const err = await acsError(
      callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, NextToken: r.body.NextToken as string }),
    );
    expect(err.code).toBe("InvalidParameter.NextToken");
  });

  test("the generated client pages too", async () => {
    const ecs = new EcsClient(acsConfig(cloud));
    const first = await ecs.describeTerminalSessions(
      new $Ecs.DescribeTerminalSessionsRequest({ regionId: REGION, maxResults: 20 }),
    );
    expect(first.body!.sessions!.session!).toHaveLength(20);
    const second = await ecs.describeTerminalSessions(
      new $Ecs.DescribeTerminalSessionsRequest({
        regionId: REGION,
        maxResults: 20,
        nextToken: first.body!.nextToken,
      }),
    );
    expect(second.body!.sessions!.session!).toHaveLength(5);
    expect(second.body!.nextToken).toBeUndefined();
  });
});

describe("limits and retention (manual clock)", () => {
  let cloud: LocalCloud;
  let clock: ManualClock;
  let api: ReturnType<typeof openApiClient>;

  beforeAll(async () => {
    clock = new ManualClock(new Date("2025-01-01T00:00:00Z"));
    cloud = await startLocalCloud(baseConfig(), { clock });
    api = openApiClient(cloud);
  });
  afterAll(() => cloud.stop());

  test("100 active sessions per region; the 101st -> SessionCount.ExceedLimit; URL expiry frees them", async () => {
    for (let i = 0; i < 100; i++) {
      await callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: ["i-run"] });
    }
    const err = await acsError(
      callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: ["i-run"] }),
    );
    expect([err.statusCode, err.code]).toEqual([403, "SessionCount.ExceedLimit"]);
    // Other regions have their own budget.
    await callRpc(api, "StartTerminalSession", { RegionId: "cn-shanghai", InstanceId: ["i-sh"] });
    // Unconnected sessions stop being active once their URL expires (10 minutes).
    clock.advance(10 * 60 * 1000 + 1000);
    await callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: ["i-run"] });
  });

  test("records are kept four weeks, then gone for Describe and End", async () => {
    const started = await callRpc(api, "StartTerminalSession", { RegionId: REGION, InstanceId: ["i-run2"] });
    const id = started.body.SessionId as string;
    const describe = async () =>
      (
        (await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, SessionId: id })).body
          .Sessions as {
          Session: unknown[];
        }
      ).Session.length;

    clock.advance(28 * 24 * 3600 * 1000 - 60_000);
    expect(await describe()).toBe(1);
    clock.advance(120_000);
    expect(await describe()).toBe(0);
    const err = await acsError(callRpc(api, "EndTerminalSession", { RegionId: REGION, SessionId: id }));
    expect([err.statusCode, err.code]).toEqual([404, "InvalidSessionId.NotFound"]);
  });

  test("signatures are checked against the wall clock, not the service clock", async () => {
    // The manual clock is weeks ahead by now, yet the SDK (signing with real time) still gets in.
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION });
    expect(r.statusCode).toBe(200);
  });
});

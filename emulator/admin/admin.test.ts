/** Admin API: fault injection, request log, inventory and sessions, seen through the official client. */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { startLocalCloud, type LocalCloud } from "../server";
import { acsError, callRpc, openApiClient, TEST_CREDENTIAL } from "../testing/alibaba";
import { AdminClient, AdminError } from "./client";
import { RequestLog, type RequestLogEntry } from "./requestLog";
import { DescribeSessionsCommand } from "@aws-sdk/client-ssm";
import { ssmClient } from "../testing/aws";

const REGION = "cn-hangzhou";
const DESCRIBE = { RegionId: REGION };

describe("admin API", () => {
  let cloud: LocalCloud;
  let admin: AdminClient;
  let api: ReturnType<typeof openApiClient>;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] },
    });
    admin = new AdminClient(cloud);
    api = openApiClient(cloud);
  });
  afterAll(() => cloud.stop());
  afterEach(() => admin.clearFaults());

  test("listens on loopback only", () => {
    expect(cloud.endpoint).toBe(`127.0.0.1:${cloud.port}`);
    expect(cloud.url).toBe(`http://127.0.0.1:${cloud.port}`);
  });

  describe("faults", () => {
    test("throttle -> the SDK's ThrottlingError with Throttling.User, for `count` calls only", async () => {
      await admin.addFault({
        service: "ecs",
        action: "DescribeTerminalSessions",
        kind: "throttle",
        count: 2,
      });
      for (let i = 0; i < 2; i++) {
        const err = await acsError(callRpc(api, "DescribeTerminalSessions", DESCRIBE));
        expect([err.name, err.statusCode, err.code]).toEqual(["ThrottlingError", 400, "Throttling.User"]);
      }
      expect((await callRpc(api, "DescribeTerminalSessions", DESCRIBE)).statusCode).toBe(200);
      expect(await admin.faults()).toEqual([]);
    });

    test("serverError -> 503 ServiceUnavailable (ServerError)", async () => {
      await admin.addFault({ action: "DescribeTerminalSessions", kind: "serverError" });
      const err = await acsError(callRpc(api, "DescribeTerminalSessions", DESCRIBE));
      expect([err.name, err.statusCode, err.code]).toEqual(["ServerError", 503, "ServiceUnavailable"]);
    });

    test.each([
      ["ecs", "InternalError.Dispatch", 500],
      ["ecs", "InternalError", 500],
      ["ecs", "ServiceUnavailable", 503],
    ])("serverError with code: %s answers %s (HTTP %i) through the SDK", async (service, code, status) => {
      await admin.addFault({
        service,
        action: "DescribeTerminalSessions",
        kind: "serverError",
        code,
        count: 1,
      });
      const err = await acsError(callRpc(api, "DescribeTerminalSessions", DESCRIBE));
      expect([err.name, err.statusCode, err.code]).toEqual(["ServerError", status, code]);
    });

    test("serverError with code: SSM answers InternalServerError (HTTP 500) through the SDK", async () => {
      await admin.addFault({
        service: "ssm",
        action: "DescribeSessions",
        kind: "serverError",
        code: "InternalServerError",
      });
      const ssm = ssmClient(cloud, { maxAttempts: 1 });
      const err = (await ssm
        .send(new DescribeSessionsCommand({ State: "Active" }))
        .catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
      };
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(["InternalServerError", 500]);
    });

    test("a code that is not a documented 5xx of the rule's service is refused, listing the choices", async () => {
      for (const rule of [
        { service: "ssm", action: "*", kind: "serverError" as const, code: "InternalError.Dispatch" },
        { action: "*", kind: "serverError" as const, code: "InternalError" },
        { service: "ecs", action: "*", kind: "throttle" as const, code: "InternalError" },
      ]) {
        const err = (await admin.addFault(rule).catch((e: unknown) => e)) as AdminError;
        expect(err.status).toBe(400);
        expect(JSON.stringify(err.body)).toContain(
          'code goes with kind \\"serverError\\" and a service, one of ecs: ServiceUnavailable, InternalError, InternalError.Dispatch; das: ServiceUnavailable, InternalError; ssm: ServiceUnavailable, InternalServerError',
        );
      }
    });

    test("latency delays the answer and shows in the log", async () => {
      await admin.addFault({ action: "*", kind: "latency", latencyMs: 250 });
      await admin.clearRequests();
      const t0 = Date.now();
      await callRpc(api, "DescribeTerminalSessions", DESCRIBE);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
      const [row] = await admin.requests();
      expect(row.durationMs).toBeGreaterThanOrEqual(240);
      expect(row.faults).toEqual(["latency"]);
    });

    test("dropResponse applies the action, then resets the connection; a ClientToken retry finds the session", async () => {
      await admin.addFault({ action: "StartTerminalSession", kind: "dropResponse", count: 1 });
      const query = { RegionId: REGION, InstanceId: ["i-1"], ClientToken: "drop-1", CommandLine: "true" };
      await expect(callRpc(api, "StartTerminalSession", query)).rejects.toThrow();
      const sessions = (await admin.sessions()) as {
        ecs: Array<{ sessionId: string; clientToken?: string }>;
      };
      const created = sessions.ecs.find((s) => s.clientToken === "drop-1");
      expect(created).toBeDefined();
      const retry = await callRpc(api, "StartTerminalSession", query);
      expect(retry.body.SessionId).toBe(created!.sessionId);
      const rows = await admin.requests();
      expect(rows.some((r) => r.action === "StartTerminalSession" && r.status === 0)).toBe(true);
    });

    test("probability 0 never fires; a rule for another service does not touch ECS", async () => {
      await admin.addFault({ action: "*", kind: "serverError", probability: 0 });
      await admin.addFault({ service: "das", action: "*", kind: "throttle" });
      expect((await callRpc(api, "DescribeTerminalSessions", DESCRIBE)).statusCode).toBe(200);
    });

    test("invalid rules are refused with 400", async () => {
      await expect(admin.addFault({ action: "x", kind: "meteor" as "throttle" })).rejects.toBeInstanceOf(
        AdminError,
      );
      await expect(admin.addFault({ action: "x", kind: "throttle", probability: 2 })).rejects.toMatchObject({
        status: 400,
      });
    });
  });

  describe("request log", () => {
    test("one row per call: time, service, action, status, code, durationMs; DELETE clears", async () => {
      await admin.clearRequests();
      await callRpc(api, "DescribeTerminalSessions", DESCRIBE);
      await acsError(callRpc(api, "EndTerminalSession", { RegionId: REGION, SessionId: "s-none" }));
      const rows = await admin.requests();
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        service: "ecs",
        action: "DescribeTerminalSessions",
        status: 200,
        code: null,
      });
      expect(rows[1]).toMatchObject({
        service: "ecs",
        action: "EndTerminalSession",
        status: 404,
        code: "InvalidSessionId.NotFound",
      });
      for (const r of rows) {
        expect(new Date(r.time).toISOString()).toBe(r.time);
        expect(typeof r.durationMs).toBe("number");
      }
      await admin.clearRequests();
      expect(await admin.requests()).toEqual([]);
    });

    test("rows carry the action's parameters, a secret one as ***", async () => {
      await admin.clearRequests();
      await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, "InstanceId.1": "i-1" });
      // An unknown instance: DAS answers `Success: false` in a 200 (see the DAS backend's header).
      const kill = await callRpc(
        api,
        "CreateKillInstanceSessionTask",
        { InstanceId: "rm-none", DbUser: "ops", DbUserPassword: "pw-in-the-log", KillAllSessions: true },
        { version: "2020-01-16" },
      );
      expect(kill.body.Success).toBe(false);
      await ssmClient(cloud).send(new DescribeSessionsCommand({ State: "Active", MaxResults: 5 }));
      const rows = await admin.requests();
      expect(rows.map((r) => r.params)).toEqual([
        { RegionId: REGION, "InstanceId.1": "i-1" },
        { InstanceId: "rm-none", DbUser: "ops", DbUserPassword: "***", KillAllSessions: "true" },
        { State: "Active", MaxResults: 5 },
      ]);
      expect(JSON.stringify(rows)).not.toContain("pw-in-the-log");
    });

    test("a large parameter is kept as its size, not its bytes (the log is bounded in memory)", async () => {
      await admin.clearRequests();
      const big = "x".repeat(200 * 1024);
      await ssmClient(cloud)
        .send(new DescribeSessionsCommand({ State: "Active", NextToken: big }))
        .catch(() => undefined);
      const [row] = await admin.requests();
      expect(row.params).toEqual({ State: "Active", NextToken: `[${200 * 1024 + 2} bytes, not logged]` });
      await callRpc(api, "DescribeTerminalSessions", DESCRIBE);
      expect((await admin.requests()).map((r) => r.action)).toEqual([
        "DescribeSessions",
        "DescribeTerminalSessions",
      ]);
    });

    test("requests no protocol understands get a 404 and a log row", async () => {
      await admin.clearRequests();
      const res = await fetch(`${cloud.url}/whatever`);
      expect(res.status).toBe(404);
      const [row] = await admin.requests();
      expect(row).toMatchObject({ protocol: null, status: 404, code: "UnknownProtocol" });
    });
  });

  describe("keys without permission (deny)", () => {
    test("a key denied DAS gets 403 NoPermission there, and still works on ECS", async () => {
      const key = { accessKeyId: "LTAInodas0000001", accessKeySecret: "no-das", deny: ["das"] };
      await admin.addInventory({ credentials: [key] });
      const client = openApiClient(cloud, key);
      const err = await acsError(
        callRpc(
          client,
          "CreateKillInstanceSessionTask",
          { InstanceId: "rm-1", DbUser: "u", DbUserPassword: "p", KillAllSessions: true },
          { version: "2020-01-16" },
        ),
      );
      expect([err.name, err.statusCode, err.code]).toEqual(["ClientError", 403, "NoPermission"]);
      expect((await callRpc(client, "DescribeTerminalSessions", DESCRIBE)).statusCode).toBe(200);
      const inv = (await admin.inventory()) as {
        credentials: Array<{ accessKeyId: string; deny?: string[] }>;
      };
      expect(inv.credentials.find((c) => c.accessKeyId === key.accessKeyId)?.deny).toEqual(["das"]);
    });

    test("one action denied: ECS answers 403 Forbidden.RAM for it only", async () => {
      const key = {
        accessKeyId: "LTAInoend0000001",
        accessKeySecret: "no-end",
        deny: ["ecs:EndTerminalSession"],
      };
      await admin.addInventory({ credentials: [key] });
      const client = openApiClient(cloud, key);
      const err = await acsError(
        callRpc(client, "EndTerminalSession", { RegionId: REGION, SessionId: "s-x" }),
      );
      expect([err.statusCode, err.code]).toEqual([403, "Forbidden.RAM"]);
      expect((await callRpc(client, "DescribeTerminalSessions", DESCRIBE)).statusCode).toBe(200);
    });
  });

  describe("inventory", () => {
    test("credentials added at run time work at once; secrets are masked", async () => {
      const key = { accessKeyId: "LTAIaddedlater01", accessKeySecret: "later-secret" };
      await expect(
        callRpc(openApiClient(cloud, key), "DescribeTerminalSessions", DESCRIBE),
      ).rejects.toMatchObject({
        code: "InvalidAccessKeyId.NotFound",
      });
      const inv = (await admin.addInventory({ credentials: [key] })) as {
        credentials: Array<{ accessKeyId: string; accessKeySecret: string }>;
      };
      expect(inv.credentials.find((c) => c.accessKeyId === key.accessKeyId)?.accessKeySecret).toBe("***");
      expect(
        (await callRpc(openApiClient(cloud, key), "DescribeTerminalSessions", DESCRIBE)).statusCode,
      ).toBe(200);
    });

    test("instances added at run time can host sessions; removed ones cannot", async () => {
      const q = { RegionId: REGION, InstanceId: ["i-new"] };
      await expect(callRpc(api, "StartTerminalSession", q)).rejects.toMatchObject({
        code: "InvalidInstance.NotFound",
      });
      await admin.addInventory({ ecs: { instances: [{ instanceId: "i-new", regionId: REGION }] } });
      expect((await callRpc(api, "StartTerminalSession", q)).statusCode).toBe(200);
      await admin.addInventory({ remove: { ecsInstances: ["i-new"] } });
      await expect(callRpc(api, "StartTerminalSession", q)).rejects.toMatchObject({
        code: "InvalidInstance.NotFound",
      });
    });

    test("SSM targets and DAS instances are accepted and shown", async () => {
      await admin.addInventory({
        ssm: { targets: [{ target: "i-0abc", region: "us-east-1" }] },
        das: { instances: [{ instanceId: "rm-1", engine: "MySQL", port: 3306 }] },
      });
      const inv = (await admin.inventory()) as {
        ssm: { targets: Array<{ target: string; connected: boolean }> };
        das: { instances: Array<{ instanceId: string }> };
      };
      expect(inv.ssm.targets).toContainEqual({ target: "i-0abc", region: "us-east-1", connected: true });
      expect(inv.das.instances.map((i) => i.instanceId)).toContain("rm-1");
    });

    test("bad inventory bodies -> 400", async () => {
      await expect(
        admin.addInventory({ ecs: { instances: [{ instanceId: "" }] } } as never),
      ).rejects.toMatchObject({
        status: 400,
      });
    });
  });

  test("unknown admin routes -> 404", async () => {
    const res = await fetch(`${cloud.url}/_admin/nope`, {
      headers: { authorization: `Bearer ${cloud.adminToken}` },
    });
    expect(res.status).toBe(404);
  });
});

describe("RequestLog bounds", () => {
  const row = (i: number, params?: Record<string, unknown>): RequestLogEntry => ({
    time: "2026-01-01T00:00:00.000Z",
    requestId: `r-${i}`,
    protocol: "acsRpc",
    service: "ecs",
    action: "DescribeTerminalSessions",
    params,
    status: 200,
    code: null,
    durationMs: 1,
  });
  const limits = { requestLogRows: 1000, requestLogBytes: 4096, requestLogValueBytes: 16 };

  test("the oldest rows go once the rows' JSON passes requestLogBytes", () => {
    const log = new RequestLog(limits);
    for (let i = 0; i < 500; i++) log.add(row(i, { RegionId: "cn-hangzhou" }));
    const kept = log.list();
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(4096 + kept.length);
    expect(kept.at(-1)?.requestId).toBe("r-499");
    expect(kept.length).toBeLessThan(500);
  });

  test("the newest rows within requestLogRows", () => {
    const log = new RequestLog({ ...limits, requestLogBytes: 1 << 20, requestLogRows: 3 });
    for (let i = 0; i < 10; i++) log.add(row(i));
    expect(log.list().map((r) => r.requestId)).toEqual(["r-7", "r-8", "r-9"]);
  });

  test("long values, long names and too many parameters are cut, with what was left out", () => {
    const log = new RequestLog(limits);
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`P${i}`, i]));
    log.add(row(1, { Long: "y".repeat(100), [`N${"n".repeat(100)}`]: 1, Nested: { a: [1, 2, 3, 4, 5, 6] } }));
    log.add(row(2, many));
    const [first, second] = log.list();
    expect(first.params).toEqual({
      Long: "[102 bytes, not logged]",
      [`N${"n".repeat(63)}…`]: 1,
      Nested: "[19 bytes, not logged]",
    });
    expect(Object.keys(second.params ?? {})).toHaveLength(65);
    expect(second.params?.["…"]).toBe("6 more, not logged");
  });
});

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AlicloudApiError, ALICLOUD_API_ERROR, failureOf } from "../../errors/alicloud";
import { createAlicloudClient, type AlicloudRpcClient, type CallOptions, type RpcResult } from "./client";
import {
  createKillInstanceSessionTask,
  createKillInstanceSessionTaskParams,
  DAS_STATUS_CODES,
  isRetriedForCreate,
  parseTaskIds,
  toJsonArrayParam,
} from "./createKillInstanceSessionTask";
import { getKillInstanceSessionTaskResult, toKillTaskResult } from "./getKillInstanceSessionTaskResult";

process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

const noSleep = { sleep: async () => undefined };

/** The error a promise rejects with (fails the test when it resolves). */
async function caught(p: Promise<unknown>): Promise<AlicloudApiError> {
  try {
    await p;
  } catch (e) {
    return e as AlicloudApiError;
  }
  throw new Error("expected a failure");
}

/** A client whose answers a test scripts; records every call. */
function scripted(answers: Array<Record<string, unknown> | Error>) {
  const calls: Array<{ action: string; params: Record<string, unknown>; options?: CallOptions }> = [];
  const client: AlicloudRpcClient = {
    product: "das",
    region: "cn-shanghai",
    endpoint: "http://127.0.0.1:1",
    async call(action, params, options): Promise<RpcResult> {
      calls.push({ action, params, options });
      const next = answers.shift();
      if (next === undefined) throw new Error("no scripted answer left");
      if (next instanceof Error) throw next;
      return { body: next };
    },
  };
  return { client, calls };
}

function apiError(code: string, httpStatus: number): AlicloudApiError {
  return new AlicloudApiError({
    operation: "CreateKillInstanceSessionTask",
    code,
    cloudMessage: code,
    httpStatus,
    hint: "h",
  });
}

describe("JSON-array parameters", () => {
  test.each([
    [["replicator"], '["replicator"]'],
    [["a", "b'c", 'd"e'], '["a","b\'c","d\\"e"]'],
    [[10805639, 10805623], "[10805639,10805623]"],
    [[], undefined],
    [undefined, undefined],
  ])("%j -> %s", (values, expected) => {
    expect(toJsonArrayParam(values)).toBe(expected);
  });

  test("the request sends lists as JSON-array strings and booleans as booleans", () => {
    expect(
      createKillInstanceSessionTaskParams({
        instanceId: "rm-abc",
        dbUser: "ops",
        dbUserPassword: "pw",
        killAllSessions: false,
        sessionIds: [12, 13],
        ignoredUsers: ["replicator", "backup"],
      }),
    ).toEqual({
      InstanceId: "rm-abc",
      NodeId: undefined,
      DbUser: "ops",
      DbUserPassword: "pw",
      KillAllSessions: false,
      SessionIds: "[12,13]",
      IgnoredUsers: '["replicator","backup"]',
    });
  });

  test("SessionIds is left out when killing all sessions (DAS ignores it)", () => {
    const params = createKillInstanceSessionTaskParams({
      instanceId: "pc-abc",
      dbUser: "ops",
      dbUserPassword: "pw",
      killAllSessions: true,
      sessionIds: [12],
    });
    expect(params.SessionIds).toBeUndefined();
    expect(params.KillAllSessions).toBe(true);
    expect(params.IgnoredUsers).toBeUndefined();
  });
});

describe("task ids in Data", () => {
  test.each([
    ["f77d535b45405bd462b21caa3ee8aaaa", ["f77d535b45405bd462b21caa3ee8aaaa"]],
    ['["f77d","e93a"]', ["f77d", "e93a"]],
    [' [ "f77d" ] ', ["f77d"]],
    [
      ["x", "y"],
      ["x", "y"],
    ],
    [12345, ["12345"]],
    ["", []],
    [null, []],
    ["[not json", ["[not json"]],
  ])("%j -> %j", (data, expected) => {
    expect(parseTaskIds(data)).toEqual(expected);
  });
});

describe("CreateKillInstanceSessionTask retries", () => {
  const request = { instanceId: "rm-abc", dbUser: "ops", dbUserPassword: "pw", killAllSessions: true };

  test("throttling is retried (refused before anything ran)", async () => {
    const { client, calls } = scripted([
      apiError("Throttling.User", 400),
      { Data: "t-1", RequestId: "R1", Success: true },
    ]);
    await expect(createKillInstanceSessionTask(client, request, noSleep)).resolves.toEqual({
      requestId: "R1",
      taskIds: ["t-1"],
    });
    expect(calls).toHaveLength(2);
    // The client's own loop is off: this module decides.
    expect(calls[0].options?.retry).toBe(false);
  });

  test.each([
    ["a 5xx", apiError("ServiceUnavailable", 503)],
    [
      "a lost connection",
      Object.assign(apiError("ECONNRESET", 0), { transport: true, httpStatus: undefined }),
    ],
    ["a client error", apiError("InvalidParams", 400)],
  ])("%s is not retried: the kill may already have run", async (_name, error) => {
    const { client, calls } = scripted([error, { Data: "t-1", Success: true }]);
    await expect(createKillInstanceSessionTask(client, request, noSleep)).rejects.toBe(error);
    expect(calls).toHaveLength(1);
  });

  test("classification", () => {
    expect(isRetriedForCreate(apiError("Throttling", 400))).toBe(true);
    expect(isRetriedForCreate(apiError("InternalError", 500))).toBe(false);
  });

  test("no task id in Data is an error that says the kill may have run", async () => {
    const { client } = scripted([{ Data: "", RequestId: "R2", Success: true }]);
    await expect(createKillInstanceSessionTask(client, request)).rejects.toThrow(
      /no task id \(request id R2\).*DAS console/,
    );
  });
});

describe("GetKillInstanceSessionTaskResult parsing", () => {
  test("the documented answer", async () => {
    const { client, calls } = scripted([
      {
        Code: 200,
        Message: "Successful",
        Success: true,
        Data: {
          TaskId: "t-1",
          UserId: "1648",
          InstanceId: "rm-abc",
          NodeId: "pi-node1",
          TaskState: "SUCCESS",
          Sessions: [8357518, "8357519"],
          KillSuccessCount: 1,
          KillFailCount: 0,
          IgnoredUserSessionCount: 1,
          Result: [
            {
              Id: 8357518,
              User: "app",
              Host: "10.0.0.1:23428",
              Db: "shop",
              Command: "Sleep",
              Time: 1,
              State: "",
              Info: "SELECT 1",
              Active: false,
              Reason: "SESSION_KILLED",
              TaskId: "t-1",
            },
            { Id: "8357519", User: "replicator", Command: "Binlog Dump", Reason: "SESSION_IGNORED_USER" },
            { User: "no id: dropped" },
          ],
        },
      },
    ]);
    const result = await getKillInstanceSessionTaskResult(client, { instanceId: "rm-abc", taskId: "t-1" });
    expect(calls[0].params).toEqual({ InstanceId: "rm-abc", NodeId: undefined, TaskId: "t-1" });
    expect(result).toMatchObject({
      taskId: "t-1",
      nodeId: "pi-node1",
      taskState: "SUCCESS",
      sessions: [8357518, 8357519],
      killSuccessCount: 1,
      killFailCount: 0,
      ignoredUserSessionCount: 1,
    });
    expect(result.result.map((r) => [r.id, r.reason])).toEqual([
      [8357518, "SESSION_KILLED"],
      [8357519, "SESSION_IGNORED_USER"],
    ]);
    expect(result.result[0]).toMatchObject({
      user: "app",
      host: "10.0.0.1:23428",
      db: "shop",
      time: 1,
      active: false,
    });
  });

  test("missing counts are derived from the rows; a missing state means still running", () => {
    const result = toKillTaskResult(
      {
        Result: [
          { Id: 1, Reason: "SESSION_KILLED" },
          { Id: 2, Reason: "SESSION_ACCOUNT_ERROR" },
          { Id: 3, Reason: "SESSION_INTERNAL_USER_OR_COMMAND" },
        ],
      },
      "t-9",
    );
    expect(result).toMatchObject({
      taskId: "t-9",
      taskState: "RUNNING",
      killSuccessCount: 1,
      killFailCount: 1,
      ignoredUserSessionCount: 1,
    });
  });

  test("an answer without Data is an error naming the task", async () => {
    const { client } = scripted([{ Success: true, RequestId: "R3" }]);
    await expect(
      getKillInstanceSessionTaskResult(client, { instanceId: "rm-a", taskId: "t-1" }),
    ).rejects.toThrow(/no Data for task t-1 \(request id R3\)/);
  });
});

describe("failure codes, either form", () => {
  test.each([
    [
      { Code: 400, Message: "InvalidParams: The task t-1 does not exist." },
      "InvalidParams",
      "The task t-1 does not exist.",
    ],
    [{ Code: "400", Message: "NoPermission: denied" }, "NoPermission", "denied"],
    [{ Code: "InvalidParam", Message: "bad" }, "InvalidParam", "bad"],
    // Only the status: the code DAS's table gives it.
    [
      { Code: 400, Message: "The instance rm-x does not exist." },
      "InvalidParams",
      "The instance rm-x does not exist.",
    ],
    [{ Code: 403, Message: "NoPermission" }, "NoPermission", ""],
    [{ Code: 500, Message: "something broke" }, "HTTP500", "something broke"],
    // DAS's own negative codes stay as sent (Alibaba's Terraform provider matches on "-404").
    [{ Code: -404, Message: "not found" }, "-404", "not found"],
    [{ Message: "no code at all" }, "UnknownError", "no code at all"],
  ])("%j -> %s", (body, code, message) => {
    expect(failureOf({ Success: false, ...body }, undefined, {}, DAS_STATUS_CODES)).toEqual({
      code,
      message,
    });
  });
});

describe("DAS failures, either form (through the real client, on loopback)", () => {
  let server: Server;
  let endpoint: string;
  let nextBody: Record<string, unknown>;
  /** The HTTP status of the next answer: 200 for DAS's business form. */
  let nextStatus = 200;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      seen.push(req.url ?? "");
      const text = JSON.stringify(nextBody);
      res.writeHead(nextStatus, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const das = () =>
    createAlicloudClient({
      product: "das",
      region: "cn-shanghai",
      endpoint,
      credentials: { kind: "static", accessKeyId: "LTAItest", accessKeySecret: "secret", source: "test" },
    });

  test("Success:false becomes an error with the code, the request id and a hint", async () => {
    // DAS's shape: Code is the HTTP-style integer, the documented code leads the message.
    nextBody = {
      Code: 400,
      Message: "InvalidParams: instance not found",
      RequestId: "REQ-42",
      Success: false,
    };
    const error = await caught(
      createKillInstanceSessionTask(das(), {
        instanceId: "rm-nope",
        dbUser: "ops",
        dbUserPassword: "pw",
        killAllSessions: true,
        ignoredUsers: ["replicator"],
      }),
    );
    expect(error.name).toBe(ALICLOUD_API_ERROR);
    expect(error).toMatchObject({
      code: "InvalidParams",
      requestId: "REQ-42",
      // DAS's Code is "the HTTP status code returned": the error reads as an HTTP 400 one.
      httpStatus: 400,
      cloudMessage: "instance not found",
    });
    expect(error.message).toContain("CreateKillInstanceSessionTask failed with InvalidParams");
    expect(error.message).toContain("request id REQ-42");
    expect(error.message).toContain("check instanceId/nodeId");
    // And the list really travelled as one JSON-array parameter.
    const query = new URLSearchParams(seen[seen.length - 1].split("?")[1]);
    expect(query.get("IgnoredUsers")).toBe('["replicator"]');
    expect(query.get("KillAllSessions")).toBe("true");
  });

  test("NoPermission on GetKillInstanceSessionTaskResult names the RAM action", async () => {
    nextBody = { Code: 403, Message: "NoPermission: denied", RequestId: "REQ-43", Success: false };
    await expect(
      getKillInstanceSessionTaskResult(das(), { instanceId: "rm-a", taskId: "t-1" }),
    ).rejects.toMatchObject({
      code: "NoPermission",
      requestId: "REQ-43",
      message: expect.stringContaining("hdm:GetKillInstanceSessionTaskResult"),
    });
  });

  const create = () =>
    caught(
      createKillInstanceSessionTask(das(), {
        instanceId: "rm-nope",
        dbUser: "ops",
        dbUserPassword: "pw",
        killAllSessions: true,
      }),
    );
  const get = () => caught(getKillInstanceSessionTaskResult(das(), { instanceId: "rm-a", taskId: "t-1" }));

  test.each([
    [
      "CreateKillInstanceSessionTask",
      400,
      "InvalidParams",
      "The instance rm-nope does not exist.",
      "check instanceId/nodeId",
      create,
    ],
    [
      "CreateKillInstanceSessionTask",
      403,
      "NoPermission",
      "You are not authorized to do this action.",
      "hdm:CreateKillInstanceSessionTask",
      create,
    ],
    [
      "GetKillInstanceSessionTaskResult",
      400,
      "InvalidParams",
      "The task t-1 does not exist.",
      "check the instance, node and task ids",
      get,
    ],
    [
      "GetKillInstanceSessionTaskResult",
      403,
      "NoPermission",
      "You are not authorized to do this action.",
      "hdm:GetKillInstanceSessionTaskResult",
      get,
    ],
  ])("%s %i %s: one error, the same words", async (operation, status, code, message, hint, call) => {
    // The gateway's form: the HTTP status and the usual Alibaba error body.
    nextStatus = status;
    nextBody = { RequestId: "REQ-7", HostId: "das.cn-shanghai.aliyuncs.com", Code: code, Message: message };
    const fromHttp = await call();
    // DAS's business form: HTTP 200, Success false, the status in Code, the code in Message.
    nextStatus = 200;
    nextBody = { RequestId: "REQ-7", Code: status, Message: `${code}: ${message}`, Success: false };
    const fromBody = await call();
    for (const error of [fromHttp, fromBody]) {
      expect(error.name).toBe(ALICLOUD_API_ERROR);
      expect(error).toMatchObject({ code, requestId: "REQ-7", httpStatus: status, cloudMessage: message });
      expect(error.message).toContain(`${operation} failed with ${code} (HTTP ${status}, request id REQ-7`);
      expect(error.message).toContain(`: ${message.replace(/\.$/, "")}. ${error.hint}`);
      expect(error.hint).toContain(hint);
    }
    expect(fromBody.message).toBe(fromHttp.message);
  });
});

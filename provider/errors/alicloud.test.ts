import { hasErrorCode, isErrorNamed, ProviderApiError, ResourceInitError } from "./base";
import {
  ALICLOUD_API_ERROR,
  alicloudBodyError,
  AlicloudApiError,
  toAlicloudError,
  transportMessage,
} from "./alicloud";

/** The shape openapi-core throws for an HTTP error. */
function sdkError(
  name: string,
  statusCode: number,
  data: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return Object.assign(new Error(`code: ${statusCode}, ${String(data.Message)}`), {
    name,
    statusCode,
    code: data.Code,
    requestId: data.RequestId,
    data,
    ...extra,
  });
}

describe("toAlicloudError", () => {
  test("maps an SDK ClientError with code, request id, status and the operation's hint", () => {
    const err = toAlicloudError(
      sdkError("ClientError", 403, {
        Code: "SessionCount.ExceedLimit",
        Message: "The number of sessions exceeds the upper limit.",
        RequestId: "REQ-1",
      }),
      "StartTerminalSession",
      { "SessionCount.ExceedLimit": "End unused sessions first." },
    );
    expect(err).toBeInstanceOf(AlicloudApiError);
    expect(err).toMatchObject({
      name: ALICLOUD_API_ERROR,
      cloud: "alicloud",
      operation: "StartTerminalSession",
      code: "SessionCount.ExceedLimit",
      requestId: "REQ-1",
      httpStatus: 403,
      hint: "End unused sessions first.",
      transport: false,
    });
    expect(err.message).toBe(
      "StartTerminalSession failed with SessionCount.ExceedLimit (HTTP 403, request id REQ-1): " +
        "The number of sessions exceeds the upper limit. End unused sessions first.",
    );
  });

  test("common codes get a hint without the operation's table", () => {
    const err = toAlicloudError(
      sdkError("ClientError", 400, { Code: "SignatureDoesNotMatch", Message: "bad", RequestId: "R" }),
      "DescribeTerminalSessions",
    );
    expect(err.hint).toMatch(/secretKey/);
  });

  test("unknown codes get a hint by status", () => {
    expect(toAlicloudError(sdkError("ServerError", 503, { Code: "Weird", Message: "x" }), "Op").hint).toMatch(
      /retry later/,
    );
    expect(toAlicloudError(sdkError("ClientError", 404, { Code: "Weird", Message: "x" }), "Op").hint).toMatch(
      /not found/,
    );
  });

  test("keeps the throttling retry-after", () => {
    const err = toAlicloudError(
      sdkError("ThrottlingError", 400, { Code: "Throttling.User", Message: "slow down" }, { retryAfter: 3 }),
      "Op",
    );
    expect(err).toMatchObject({ code: "Throttling.User", retryAfterSeconds: 3 });
  });

  test("network failures are transport errors", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(toAlicloudError(reset, "Op")).toMatchObject({
      code: "ECONNRESET",
      transport: true,
      httpStatus: undefined,
    });
    const timeout = Object.assign(new Error("ReadTimeout(100)"), { name: "RequestTimeoutError" });
    expect(toAlicloudError(timeout, "Op")).toMatchObject({ code: "RequestTimeout", transport: true });
  });

  test("a refused connection reads as one sentence, with the endpoint but not the query", () => {
    const refused = Object.assign(
      new Error(
        "connect ECONNREFUSED 127.0.0.1:1POST http://127.0.0.1:1/?RegionId=cn-hangzhou&InstanceId.1=i-1&ClientToken=t failed.",
      ),
      { code: "ECONNREFUSED" },
    );
    const err = toAlicloudError(refused, "StartTerminalSession");
    expect(err.message).toBe(
      "StartTerminalSession failed with ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1 (POST http://127.0.0.1:1/). " +
        "Nothing accepts connections at this endpoint: check sessions:localCloud or the product's endpoint " +
        "override (sessions:ecsEndpoint, sessions:dasEndpoint), and that the local cloud is running.",
    );
    // Once the retry loop has recorded the attempts, the message says how many.
    err.recordAttempts(1, 0);
    expect(err.message).toBe(
      "StartTerminalSession failed with ECONNREFUSED (1 attempt): connect ECONNREFUSED 127.0.0.1:1 (POST http://127.0.0.1:1/). " +
        "Nothing accepts connections at this endpoint: check sessions:localCloud or the product's endpoint " +
        "override (sessions:ecsEndpoint, sessions:dasEndpoint), and that the local cloud is running.",
    );
    // What the dynamic provider host logs (`${err}: ${err.stack}`) is that one line, once.
    expect(`${err}: ${err.stack}`).toBe(`AlicloudApiError: ${err.message}`);
    expect(transportMessage("socket hang up")).toBe("socket hang up");
    expect(transportMessage("GET https://ecs.aliyuncs.com/?a=b failed.")).toBe(
      "GET https://ecs.aliyuncs.com/ failed",
    );
  });

  test("a body that is not JSON is an InvalidResponse transport error", () => {
    expect(toAlicloudError(new SyntaxError("Unexpected token <"), "Op")).toMatchObject({
      code: "InvalidResponse",
      transport: true,
    });
  });

  test("missing credentials keep their code and say what to set", () => {
    const err = toAlicloudError(
      Object.assign(new Error("Please set up the credentials"), { code: "InvalidCredentials" }),
      "Op",
    );
    expect(err.code).toBe("InvalidCredentials");
    expect(err.hint).toMatch(/alicloud:accessKey/);
  });

  test("is idempotent and matches by name and code across module copies", () => {
    const err = toAlicloudError(
      sdkError("ClientError", 404, { Code: "InvalidSessionId.NotFound", Message: "x" }),
      "End",
    );
    expect(toAlicloudError(err, "Other")).toBe(err);
    const copy = { name: ALICLOUD_API_ERROR, code: "InvalidSessionId.NotFound" };
    expect(isErrorNamed(copy, ALICLOUD_API_ERROR)).toBe(true);
    expect(hasErrorCode(copy, "InvalidSessionId.NotFound")).toBe(true);
    expect(hasErrorCode(err, "Other", "InvalidSessionId.NotFound")).toBe(true);
    expect(hasErrorCode("nope", "x")).toBe(false);
    expect(err).toBeInstanceOf(ProviderApiError);
  });
});

describe("HTTP errors whose body carries only DAS's numeric Code", () => {
  const DAS = { 400: "InvalidParams", 403: "NoPermission" };
  test("the code is named in the message, or by the operation's table for the status", () => {
    const prefixed = sdkError("ClientError", 400, {
      Code: 400,
      Message: "InvalidParams: no such task",
      RequestId: "R",
    });
    expect(toAlicloudError(prefixed, "Get", {}, DAS)).toMatchObject({
      code: "InvalidParams",
      cloudMessage: "no such task",
      httpStatus: 400,
    });
    const bare = sdkError("ClientError", 403, {
      Code: 403,
      Message: "You are not authorized.",
      RequestId: "R",
    });
    expect(toAlicloudError(bare, "Get", {}, DAS)).toMatchObject({ code: "NoPermission", httpStatus: 403 });
    // Without a table the status stays a status.
    expect(toAlicloudError(bare, "Get")).toMatchObject({ code: "HTTP403" });
  });
});

describe("alicloudBodyError (business failures inside HTTP 200)", () => {
  test("Success false becomes an error", () => {
    const err = alicloudBodyError(
      { Success: false, Code: "InvalidParam", Message: "bad", RequestId: "R" },
      "Das",
    );
    expect(err).toMatchObject({ code: "InvalidParam", httpStatus: 200, requestId: "R" });
  });
  test("anything else is fine", () => {
    expect(alicloudBodyError({ Success: true }, "Das")).toBeUndefined();
    expect(alicloudBodyError({ SessionId: "s-1" }, "Start")).toBeUndefined();
  });
});

describe("ResourceInitError", () => {
  test("carries what the dynamic provider host reads", () => {
    const err = new ResourceInitError("half done", "s-1", { sessionId: "s-1", __provider: "code" });
    expect(err).toMatchObject({ name: "ResourceInitError", id: "s-1", reasons: ["half done"] });
    expect(err.properties.__provider).toBe("code");
  });
});

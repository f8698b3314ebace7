import { AWS_API_ERROR, toAwsError } from "./aws";
import { hasErrorCode, isErrorNamed } from "./base";

/** What the SDK throws for a modeled or unmodeled service error. */
function sdkError(name: string, status: number, message = "it failed", extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status, requestId: "req-1", attempts: 3, totalRetryDelay: 450 },
    ...extra,
  });
}

describe("toAwsError", () => {
  test("keeps code, status, request id and the SDK's attempt count, and adds the operation's hint", () => {
    const err = toAwsError(sdkError("TargetNotConnected", 400, "i-1 is not connected."), "StartSession", {
      TargetNotConnected: "The agent is offline.",
    });
    expect(isErrorNamed(err, AWS_API_ERROR)).toBe(true);
    expect(hasErrorCode(err, "TargetNotConnected")).toBe(true);
    expect(err).toMatchObject({
      cloud: "aws",
      httpStatus: 400,
      requestId: "req-1",
      attempts: 3,
      totalDelayMs: 450,
    });
    expect(err.message).toBe(
      "StartSession failed with TargetNotConnected (HTTP 400, request id req-1, 3 attempts): i-1 is not connected. The agent is offline.",
    );
  });

  test("common codes have hints of their own; access denied names the permission", () => {
    expect(toAwsError(sdkError("UnrecognizedClientException", 400), "DescribeSessions").hint).toContain(
      "aws:accessKey",
    );
    expect(toAwsError(sdkError("ExpiredTokenException", 400), "DescribeSessions").hint).toContain(
      "aws:token",
    );
    expect(toAwsError(sdkError("AccessDeniedException", 400), "TerminateSession").hint).toContain(
      "ssm:TerminateSession",
    );
    expect(toAwsError(sdkError("Weird", 503), "X").hint).toContain("run again later");
    expect(toAwsError(sdkError("Weird", 400), "X").hint).toContain("check the inputs");
  });

  test("network failures are transport errors with the Node code", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
      $metadata: { attempts: 5, totalRetryDelay: 300 },
    });
    expect(toAwsError(refused, "DescribeSessions")).toMatchObject({
      code: "ECONNREFUSED",
      transport: true,
      attempts: 5,
    });
    // The SDK re-wraps errors from another realm; the code survives only in the message.
    const wrapped = new Error("AWS SDK error wrapper for Error: read ECONNRESET");
    expect(toAwsError(wrapped, "DescribeSessions")).toMatchObject({ code: "ECONNRESET", transport: true });
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    expect(toAwsError(timeout, "DescribeSessions")).toMatchObject({
      code: "RequestTimeout",
      transport: true,
    });
  });

  test("a body that is not an SSM response points at the endpoint", () => {
    const bad = Object.assign(new SyntaxError("Unexpected token <"), { $response: { statusCode: 200 } });
    expect(toAwsError(bad, "DescribeSessions")).toMatchObject({ code: "InvalidResponse", transport: true });
  });

  test("no credentials says where to put them", () => {
    const none = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const err = toAwsError(none, "StartSession");
    expect(err.code).toBe("CredentialsProviderError");
    expect(err.hint).toContain("AWS_ACCESS_KEY_ID");
  });

  test("an error already mapped is returned as is", () => {
    const once = toAwsError(sdkError("X", 400), "Op");
    expect(toAwsError(once, "Other")).toBe(once);
  });
});

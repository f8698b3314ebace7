import { classify, isRetryable } from "./classify";

describe("classify", () => {
  test.each([
    [{ code: "Throttling.User", httpStatus: 400 }, "throttling"],
    [{ code: "ThrottlingException", statusCode: 400 }, "throttling"],
    [{ name: "ThrottlingError", code: "Throttling" }, "throttling"],
    [{ code: "TooManyRequests" }, "throttling"],
    [{ httpStatus: 429, code: "Whatever" }, "throttling"],
    [{ $metadata: { httpStatusCode: 429 }, name: "X" }, "throttling"],
    [{ code: "ECONNRESET" }, "transient"],
    // Nothing listens there: retrying would only delay the same answer.
    [{ code: "ECONNREFUSED" }, "unreachable"],
    [{ name: "RequestTimeoutError", message: "ReadTimeout" }, "transient"],
    [{ transport: true, code: "InvalidResponse" }, "transient"],
    [{ httpStatus: 500, code: "InternalError" }, "server"],
    [{ statusCode: 503, code: "ServiceUnavailable" }, "server"],
    [{ $metadata: { httpStatusCode: 502 } }, "server"],
    [{ httpStatus: 400, code: "InvalidParameter" }, "client"],
    [{ httpStatus: 404, code: "InvalidSessionId.NotFound" }, "client"],
    [new Error("boom"), "client"],
    ["a string", "client"],
    [undefined, "client"],
  ])("%j is %s", (err, expected) => {
    expect(classify(err)).toBe(expected);
  });

  test("operation codes can be retryable or fatal", () => {
    expect(classify({ httpStatus: 403, code: "IdempotentProcessing" })).toBe("client");
    expect(
      classify(
        { httpStatus: 403, code: "IdempotentProcessing" },
        { retryableCodes: ["IdempotentProcessing"] },
      ),
    ).toBe("transient");
    expect(classify({ httpStatus: 500, code: "Fatal" }, { fatalCodes: ["Fatal"] })).toBe("client");
  });

  test("isRetryable", () => {
    expect(isRetryable("client")).toBe(false);
    expect(isRetryable("throttling")).toBe(true);
    expect(isRetryable("transient")).toBe(true);
    expect(isRetryable("server")).toBe(true);
  });
});

import {
  GetParameterCommand,
  SSMClient,
  SSMServiceException,
  TerminateSessionCommand,
} from "@aws-sdk/client-ssm";
import { ManualClock } from "../clock";
import type { Service } from "../services/types";
import { ApiError } from "./apiError";
import { awsJsonProtocol } from "./awsJson";
import { startAwsJsonHarness, type Harness } from "./testing/awsJsonHarness";

const CRED = { accessKeyId: "AKIALOCAL0000001", accessKeySecret: "local-secret" };
const STS = { accessKeyId: "ASIALOCAL0000002", accessKeySecret: "sts-secret", securityToken: "the-token" };

/** A stand-in AmazonSSM service that echoes what the protocol resolved. */
const echo: Service = {
  name: "ssm",
  version: "AmazonSSM",
  actions: {
    TerminateSession: async (params, ctx) => ({
      SessionId: `${String(params.SessionId)}|${ctx.region}|${ctx.accessKeyId}|${ctx.clientIp}|${ctx.requestId}`,
    }),
  },
};

let harness: Harness;
const clock = new ManualClock();

beforeAll(async () => {
  harness = await startAwsJsonHarness({ credentials: [CRED, STS], services: [echo], authClock: clock });
});
afterAll(() => harness.close());

function client(
  over: Partial<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> = {},
  offset = 0,
) {
  return new SSMClient({
    region: "ap-southeast-1",
    endpoint: harness.endpoint,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret, ...over },
    maxAttempts: 1,
    systemClockOffset: offset,
  });
}

async function failure(promise: Promise<unknown>): Promise<SSMServiceException> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof SSMServiceException) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

/** The SDK serialises JSON bodies to a Uint8Array subclass. */
function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  // Through the underlying buffer: the SDK's body class warns when its string methods are used.
  const bytes = body as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

describe("AWS JSON 1.1 protocol, driven by @aws-sdk/client-ssm", () => {
  it("routes AmazonSSM.<Op>, takes the region from the credential scope, and returns the request id", async () => {
    const out = await client().send(new TerminateSessionCommand({ SessionId: "abc" }));
    const [id, region, caller, ip, requestId] = (out.SessionId ?? "").split("|");
    expect(id).toBe("abc");
    expect(region).toBe("ap-southeast-1");
    expect(caller).toBe(CRED.accessKeyId);
    expect(ip).toMatch(/127\.0\.0\.1/);
    expect(out.$metadata.requestId).toBe(requestId);
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it("accepts an STS key with its session token", async () => {
    const c = client({
      accessKeyId: STS.accessKeyId,
      secretAccessKey: STS.accessKeySecret,
      sessionToken: "the-token",
    });
    const out = await c.send(new TerminateSessionCommand({ SessionId: "abc" }));
    expect(out.SessionId).toContain(STS.accessKeyId);
  });

  it.each([
    ["a wrong secret", { secretAccessKey: "wrong" }, "InvalidSignatureException", /signature we calculated/],
    [
      "an unknown key",
      { accessKeyId: "AKIANOBODY" },
      "UnrecognizedClientException",
      /security token .* invalid/,
    ],
    [
      "an STS key with a wrong token",
      { accessKeyId: STS.accessKeyId, secretAccessKey: STS.accessKeySecret, sessionToken: "nope" },
      "UnrecognizedClientException",
      /^The security token included in the request is invalid\.$/,
    ],
  ])("rejects %s", async (_what, creds, name, message) => {
    const e = await failure(client(creds).send(new TerminateSessionCommand({ SessionId: "abc" })));
    expect(e.name).toBe(name);
    expect(e.message).toMatch(message);
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.$fault).toBe("client");
    expect(e.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects a signature older than 15 minutes (Signature expired)", async () => {
    const e = await failure(client({}, -20 * 60_000).send(new TerminateSessionCommand({ SessionId: "abc" })));
    expect(e.name).toBe("InvalidSignatureException");
    expect(e.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
    );
  });

  it("rejects a body altered after signing", async () => {
    const c = client();
    // The deserialize step runs after signing: this is a change in transit.
    c.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown };
        request.body = Buffer.from(bodyText(request.body).replace("abc", "abd"));
        return next(args);
      },
      { step: "deserialize", name: "tamperInTransit" },
    );
    const e = await failure(c.send(new TerminateSessionCommand({ SessionId: "abc" })));
    expect(e.name).toBe("InvalidSignatureException");
  });

  it("rejects a request without Authorization (MissingAuthenticationTokenException)", async () => {
    const c = client();
    c.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        delete request.headers.authorization;
        return next(args);
      },
      { step: "deserialize", name: "stripAuth" },
    );
    const e = await failure(c.send(new TerminateSessionCommand({ SessionId: "abc" })));
    expect(e.name).toBe("MissingAuthenticationTokenException");
    expect(e.$metadata.httpStatusCode).toBe(400);
  });

  it("answers an operation the service does not implement with UnknownOperationException", async () => {
    const e = await failure(client().send(new GetParameterCommand({ Name: "x" })));
    expect(e.name).toBe("UnknownOperationException");
  });

  it("answers a body that is not JSON with SerializationException", async () => {
    const c = client();
    // The build step runs before signing, so the signature is valid and the body is what fails.
    c.middlewareStack.add(
      (next) => async (args) => {
        // Same length, so the signed content-length still matches.
        const request = args.request as { body?: unknown };
        request.body = "{".padEnd(bodyText(request.body).length, "x");
        return next(args);
      },
      { step: "build", name: "garbleBody", priority: "low" },
    );
    const e = await failure(c.send(new TerminateSessionCommand({ SessionId: "abc" })));
    expect(e.name).toBe("SerializationException");
  });
});

describe("awsJsonProtocol encoding", () => {
  it("matches only POST requests carrying x-amz-target", () => {
    const base = { url: "/", body: Buffer.alloc(0), remoteAddress: "127.0.0.1" };
    expect(
      awsJsonProtocol.matches({ ...base, method: "POST", headers: { "x-amz-target": "AmazonSSM.X" } }),
    ).toBe(true);
    expect(awsJsonProtocol.matches({ ...base, method: "POST", headers: {} })).toBe(false);
    expect(
      awsJsonProtocol.matches({ ...base, method: "GET", headers: { "x-amz-target": "AmazonSSM.X" } }),
    ).toBe(false);
  });

  it("writes service errors as {__type, message} and framework errors with their coral namespace", () => {
    const modeled = awsJsonProtocol.encodeError(
      new ApiError(400, "TargetNotConnected", "i-1 is not connected."),
      "r1",
    );
    expect(modeled.status).toBe(400);
    expect(modeled.headers["x-amzn-requestid"]).toBe("r1");
    expect(modeled.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(JSON.parse(modeled.body)).toEqual({
      __type: "TargetNotConnected",
      message: "i-1 is not connected.",
    });
    const auth = awsJsonProtocol.encodeError(new ApiError(400, "UnrecognizedClientException", "m"), "r2");
    expect(JSON.parse(auth.body).__type).toBe("com.amazon.coral.service#UnrecognizedClientException");
    const validation = awsJsonProtocol.encodeError(new ApiError(400, "ValidationException", "m"), "r3");
    expect(JSON.parse(validation.body).__type).toBe("com.amazon.coral.validate#ValidationException");
  });

  it("writes Date values in results as epoch seconds and drops undefined members", () => {
    const dispatch = {
      service: echo,
      action: "X",
      params: {},
      ctx: { requestId: "r", accessKeyId: "a", region: "r", clientIp: "" },
    };
    const out = awsJsonProtocol.encodeResult(dispatch, {
      At: new Date("2020-02-21T18:27:08.500Z"),
      Gone: undefined,
      List: [{ When: new Date(0) }],
    });
    expect(JSON.parse(out.body)).toEqual({ At: 1582309628.5, List: [{ When: 0 }] });
  });
});

import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SourceData } from "@smithy/types";
import { ApiError } from "./apiError";
import { formatAmzDate, parseAmzDate, verifySigV4, type SignedRequest } from "./sigv4";

/** node:crypto behind the Checksum interface the Smithy signer expects. */
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

const CRED = { accessKeyId: "AKIALOCAL0000001", accessKeySecret: "local-secret" };
const STS = {
  accessKeyId: "ASIALOCAL0000002",
  accessKeySecret: "sts-secret",
  securityToken: "session-token",
};
const NOW = new Date("2025-03-01T12:00:00Z");

interface Options {
  secret?: string;
  accessKeyId?: string;
  sessionToken?: string;
  signingDate?: Date;
  service?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  body?: string;
  /** Headers the signer leaves out of the signature. */
  unsigned?: string[];
}

/** Signs a request with the official Smithy signer and returns it as the server would read it. */
async function signed(o: Options = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: o.accessKeyId ?? CRED.accessKeyId,
      secretAccessKey: o.secret ?? CRED.accessKeySecret,
      sessionToken: o.sessionToken,
    },
    region: "eu-west-1",
    service: o.service ?? "ssm",
    sha256: NodeSha256,
  });
  const body = o.body ?? '{"SessionId":"x"}';
  const request = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 4566,
      path: o.path ?? "/",
      query: o.query ?? {},
      headers: {
        host: "127.0.0.1:4566",
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.TerminateSession",
        "x-custom": "  spaced    value  ",
      },
      body,
    },
    { signingDate: o.signingDate ?? NOW, unsignableHeaders: new Set(o.unsigned ?? []) },
  );
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
  const query = Object.entries(request.query ?? {})
    .flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`),
    )
    .join("&");
  return { method: "POST", url: request.path + (query ? `?${query}` : ""), headers, body: Buffer.from(body) };
}

function verify(req: SignedRequest, now: Date = NOW) {
  return verifySigV4(req, { credentials: [CRED, STS], service: "ssm", now });
}

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("verifySigV4", () => {
  it("accepts a request signed by the Smithy signer and returns the caller and region", async () => {
    const caller = verify(await signed());
    expect(caller.accessKeyId).toBe(CRED.accessKeyId);
    expect(caller.region).toBe("eu-west-1");
  });

  it("canonicalises paths, query strings with reserved characters, and repeated keys", async () => {
    const req = await signed({ path: "/a b/c", query: { z: "1", "a key": ["v 2", "!*'()"], e: "" } });
    expect(() => verify(req)).not.toThrow();
  });

  it("rejects a wrong secret with InvalidSignatureException", async () => {
    const e = errorOf(() => verify(reqWrongSecret));
    expect(e.code).toBe("InvalidSignatureException");
    expect(e.httpStatus).toBe(400);
    expect(e.message).toMatch(/^The request signature we calculated does not match/);
  });

  it("rejects a body changed after signing", async () => {
    const req = await signed();
    req.body = Buffer.from('{"SessionId":"y"}');
    expect(errorOf(() => verify(req)).code).toBe("InvalidSignatureException");
  });

  it("rejects a changed signed header", async () => {
    const req = await signed();
    req.headers["x-amz-target"] = "AmazonSSM.StartSession";
    expect(errorOf(() => verify(req)).code).toBe("InvalidSignatureException");
  });

  it("rejects an unknown key with UnrecognizedClientException", async () => {
    const e = errorOf(() => verify(reqUnknownKey));
    expect(e.code).toBe("UnrecognizedClientException");
    expect(e.message).toBe("The security token included in the request is invalid.");
  });

  it("rejects a request without Authorization with MissingAuthenticationTokenException", async () => {
    const req = await signed();
    delete req.headers.authorization;
    const e = errorOf(() => verify(req));
    expect(e.code).toBe("MissingAuthenticationTokenException");
    expect(e.httpStatus).toBe(400);
  });

  it("rejects a signature more than 15 minutes old, as AWS words it", async () => {
    const req = await signed({ signingDate: new Date(NOW.getTime() - 16 * 60_000) });
    const e = errorOf(() => verify(req));
    expect(e.code).toBe("InvalidSignatureException");
    expect(e.message).toBe(
      "Signature expired: 20250301T114400Z is now earlier than 20250301T114500Z (20250301T120000Z - 15 min.)",
    );
  });

  it("accepts a signature 14 minutes old, and rejects one 16 minutes in the future", async () => {
    expect(() => verify(awaitOld)).not.toThrow();
    const future = await signed({ signingDate: new Date(NOW.getTime() + 16 * 60_000) });
    expect(errorOf(() => verify(future)).message).toMatch(/^Signature not yet current: /);
  });

  it("requires the security token of an STS key", async () => {
    const ok = await signed({
      accessKeyId: STS.accessKeyId,
      secret: STS.accessKeySecret,
      sessionToken: "session-token",
    });
    expect(verify(ok).accessKeyId).toBe(STS.accessKeyId);
    const wrong = await signed({
      accessKeyId: STS.accessKeyId,
      secret: STS.accessKeySecret,
      sessionToken: "other",
    });
    const missing = await signed({ accessKeyId: STS.accessKeyId, secret: STS.accessKeySecret });
    for (const req of [wrong, missing]) {
      const e = errorOf(() => verify(req));
      expect(e.code).toBe("UnrecognizedClientException");
      expect(e.message).toBe("The security token included in the request is invalid.");
    }
  });

  it("refuses a long-term key sent with a session token", async () => {
    const req = await signed({ sessionToken: "stray" });
    expect(errorOf(() => verify(req)).code).toBe("UnrecognizedClientException");
  });

  it("requires the credential scope to name the service", async () => {
    const e = errorOf(() => verify(wrongService));
    expect(e.code).toBe("InvalidSignatureException");
    expect(e.message).toMatch(/Credential should be scoped to correct service: 'ssm'/);
  });

  it("reports a malformed Authorization header as IncompleteSignatureException", async () => {
    const req = await signed();
    req.headers.authorization =
      "AWS4-HMAC-SHA256 Credential=AKIALOCAL0000001/20250301/eu-west-1/ssm/aws4_request";
    const e = errorOf(() => verify(req));
    expect(e.code).toBe("IncompleteSignatureException");
    expect(e.message).toMatch(/requires 'Signature' parameter/);
    req.headers.authorization = "AWS4-HMAC-SHA1 Credential=x";
    expect(errorOf(() => verify(req)).code).toBe("IncompleteSignatureException");
  });

  let reqWrongSecret: SignedRequest;
  let reqUnknownKey: SignedRequest;
  let awaitOld: SignedRequest;
  let wrongService: SignedRequest;
  beforeAll(async () => {
    reqWrongSecret = await signed({ secret: "not-the-secret" });
    reqUnknownKey = await signed({ accessKeyId: "AKIAUNKNOWN" });
    awaitOld = await signed({ signingDate: new Date(NOW.getTime() - 14 * 60_000) });
    wrongService = await signed({ service: "ec2" });
  });
});

describe("what the signature must cover", () => {
  const json11 = (req: SignedRequest) =>
    verifySigV4(req, {
      credentials: [CRED, STS],
      service: "ssm",
      now: NOW,
      signedHeadersRequired: ["x-amz-target"],
    });

  it("JSON 1.1: an unsigned x-amz-target (it routes the call) is refused naming it", async () => {
    const e = errorOf(() => json11(unsignedTarget));
    expect([e.httpStatus, e.code]).toEqual([400, "InvalidSignatureException"]);
    expect(e.message).toBe("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    // Signed, the same request passes.
    expect(json11(await signed()).accessKeyId).toBe(CRED.accessKeyId);
  });

  it("an STS key's x-amz-security-token sent unsigned is refused naming it", async () => {
    const req = await signed({
      accessKeyId: STS.accessKeyId,
      secret: STS.accessKeySecret,
      sessionToken: STS.securityToken,
      unsigned: ["x-amz-security-token"],
    });
    expect(req.headers["x-amz-security-token"]).toBe(STS.securityToken);
    const e = errorOf(() => verify(req));
    expect(e.code).toBe("InvalidSignatureException");
    expect(e.message).toBe("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.");
  });

  it.each([
    ["x-amz-date", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."],
    ["host", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."],
  ])("a SignedHeaders list without %s is refused naming it", async (name, message) => {
    const req = await signed();
    req.headers.authorization = String(req.headers.authorization).replace(
      /SignedHeaders=([^,]+)/,
      (_m, list: string) =>
        `SignedHeaders=${list
          .split(";")
          .filter((h) => h !== name)
          .join(";")}`,
    );
    const e = errorOf(() => verify(req));
    expect([e.code, e.message]).toEqual(["InvalidSignatureException", message]);
  });

  it.each(["constructor", "__proto__", "hasOwnProperty", "toString"])(
    "a SignedHeaders name %s reads no prototype member: a signature mismatch, not a crash",
    async (name) => {
      const req = await signed();
      req.headers.authorization = String(req.headers.authorization).replace(
        "SignedHeaders=",
        `SignedHeaders=${name};`,
      );
      const e = errorOf(() => verify(req));
      expect(e.code).toBe("InvalidSignatureException");
      expect(e.message).toMatch(/^The request signature we calculated does not match/);
    },
  );

  it("an error about the Authorization header never repeats it (it carries the signature)", async () => {
    const req = await signed();
    req.headers.authorization = `AWS4-HMAC-SHA256 Credential=${CRED.accessKeyId}/20250301/eu-west-1/ssm/aws4_request, Signature=${"ab".repeat(32)}`;
    const e = errorOf(() => verify(req));
    expect(e.message).toBe("Authorization header requires 'SignedHeaders' parameter.");
    req.headers.authorization = `AWS4-HMAC-SHA256/${"x".repeat(100)}`;
    expect(errorOf(() => verify(req)).message.length).toBeLessThan(80);
  });

  let unsignedTarget: SignedRequest;
  beforeAll(async () => {
    unsignedTarget = await signed({ unsigned: ["x-amz-target"] });
  });
});

describe("amz dates", () => {
  it("round-trips the basic ISO 8601 format and rejects others", () => {
    expect(formatAmzDate(new Date("2020-02-21T18:27:08.123Z"))).toBe("20200221T182708Z");
    expect(parseAmzDate("20200221T182708Z")?.toISOString()).toBe("2020-02-21T18:27:08.000Z");
    expect(parseAmzDate("2020-02-21T18:27:08Z")).toBeUndefined();
  });
});

/**
 * The Alibaba RPC protocol through openapi-core: each authentication failure gets its own code.
 * Tampering and replays use a request the SDK really signed (captured on a loopback server,
 * then re-sent with one thing changed).
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { startLocalCloud, type LocalCloud } from "../server";
import { acsError, callRpc, openApiClient, TEST_CREDENTIAL, type CallOptions } from "../testing/alibaba";

const STS = { accessKeyId: "STS.NUtestkey", accessKeySecret: "sts-secret", securityToken: "CAIS-token-0001" };
const DESCRIBE = { RegionId: "cn-hangzhou" };

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Lets the SDK sign a request against a throwaway loopback server and returns what it sent. */
async function captureSigned(
  action: string,
  query: Record<string, unknown>,
  opts?: CallOptions,
): Promise<Captured> {
  let captured: Captured | undefined;
  const server = createServer((req, res) => {
    captured = { method: req.method!, url: req.url!, headers: req.headers };
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    await callRpc(openApiClient({ endpoint }), action, query, opts);
  } finally {
    server.close();
  }
  return captured!;
}

/** Re-sends a captured request to the local cloud (headers as signed, host included). */
function replay(
  cloud: LocalCloud,
  c: Captured,
  change: { url?: string; headers?: Record<string, string | undefined>; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...c.headers, ...change.headers })) {
    if (typeof v === "string") headers[k] = v;
  }
  if (change.body !== undefined) headers["content-length"] = String(Buffer.byteLength(change.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: cloud.port, method: c.method, path: change.url ?? c.url, headers },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.on("error", reject);
    req.end(change.body);
  });
}

describe("ACS3-HMAC-SHA256 verification", () => {
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      // Replayed requests keep the Host they were signed for: the capture server's port.
      allowedHosts: ["127.0.0.1"],
      credentials: [TEST_CREDENTIAL, STS],
      ecs: { instances: [{ instanceId: "i-1", regionId: "cn-hangzhou" }] },
    });
  });
  afterAll(() => cloud.stop());

  const describeWith = (cred: Parameters<typeof openApiClient>[1], opts?: CallOptions) =>
    callRpc(openApiClient(cloud, cred), "DescribeTerminalSessions", DESCRIBE, opts);

  test("a correctly signed call passes, including characters querystring leaves raw", async () => {
    const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
      RegionId: "cn-hangzhou",
      InstanceId: ["i-1"],
      CommandLine: "printf '%s' \"(a)*!b\" ~ é + & =",
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers["x-acs-request-id"]).toBe(r.body.RequestId);
  });

  test("wrong secret -> 400 SignatureDoesNotMatch", async () => {
    const err = await acsError(describeWith({ ...TEST_CREDENTIAL, accessKeySecret: "wrong" }));
    expect([err.statusCode, err.code, err.name]).toEqual([400, "SignatureDoesNotMatch", "ClientError"]);
  });

  test("unknown access key -> 404 InvalidAccessKeyId.NotFound", async () => {
    const err = await acsError(describeWith({ accessKeyId: "LTAInobody", accessKeySecret: "x" }));
    expect([err.statusCode, err.code]).toEqual([404, "InvalidAccessKeyId.NotFound"]);
  });

  test("x-acs-date more than 15 minutes off -> 400 InvalidTimeStamp.Expired (past and future)", async () => {
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    for (const offset of [-16 * 60_000, 16 * 60_000]) {
      const err = await acsError(describeWith(TEST_CREDENTIAL, { headers: { "x-acs-date": iso(offset) } }));
      expect([err.statusCode, err.code]).toEqual([400, "InvalidTimeStamp.Expired"]);
    }
    // 14 minutes is within the window.
    const ok = await describeWith(TEST_CREDENTIAL, { headers: { "x-acs-date": iso(-14 * 60_000) } });
    expect(ok.statusCode).toBe(200);
  });

  test("unparseable x-acs-date -> 400 InvalidTimeStamp.Format", async () => {
    const err = await acsError(
      describeWith(TEST_CREDENTIAL, { headers: { "x-acs-date": "Wed, 01 Jan 2025" } }),
    );
    expect([err.statusCode, err.code]).toEqual([400, "InvalidTimeStamp.Format"]);
  });

  test("STS key without its token -> 400 MissingSecurityToken", async () => {
    const err = await acsError(
      describeWith({ accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret }),
    );
    expect([err.statusCode, err.code]).toEqual([400, "MissingSecurityToken"]);
  });

  test("STS key with a wrong token -> 400 InvalidSecurityToken.MismatchWithAccessKey", async () => {
    const err = await acsError(describeWith({ ...STS, securityToken: "CAIS-other" }));
    expect([err.statusCode, err.code]).toEqual([400, "InvalidSecurityToken.MismatchWithAccessKey"]);
  });

  test("a token sent with a long-term key -> 400 InvalidSecurityToken.Malformed", async () => {
    const err = await acsError(describeWith({ ...TEST_CREDENTIAL, securityToken: "CAIS-stray" }));
    expect([err.statusCode, err.code]).toEqual([400, "InvalidSecurityToken.Malformed"]);
  });

  test("STS key with its token passes", async () => {
    expect((await describeWith(STS)).statusCode).toBe(200);
  });

  test("unknown action -> 404 InvalidAction.NotFound; unknown version -> 400 InvalidVersion", async () => {
    const client = openApiClient(cloud);
    const a = await acsError(callRpc(client, "RebootTheMoon", DESCRIBE));
    expect([a.statusCode, a.code]).toEqual([404, "InvalidAction.NotFound"]);
    const v = await acsError(
      callRpc(client, "DescribeTerminalSessions", DESCRIBE, { version: "1999-01-01" }),
    );
    expect([v.statusCode, v.code]).toEqual([400, "InvalidVersion"]);
  });

  test("parameters in a form body are read too (signed through the payload hash)", async () => {
    const { $OpenApiUtil } = await import("@alicloud/openapi-core");
    const $dara = await import("@darabonba/typescript");
    const client = openApiClient(cloud);
    const params = new $OpenApiUtil.Params({
      action: "DescribeTerminalSessions",
      version: "2014-05-26",
      protocol: "HTTPS",
      pathname: "/",
      method: "POST",
      authType: "AK",
      style: "RPC",
      reqBodyType: "formData",
      bodyType: "json",
    });
    const res = (await client.callApi(
      params,
      new $OpenApiUtil.OpenApiRequest({ body: { RegionId: "cn-hangzhou", MaxResults: 1 } }),
      new $dara.RuntimeOptions({}),
    )) as { statusCode: number };
    expect(res.statusCode).toBe(200);
  });

  describe("with a request the SDK signed", () => {
    let signed: Captured;
    beforeEach(async () => {
      signed = await captureSigned("DescribeTerminalSessions", { RegionId: "cn-hangzhou", MaxResults: 5 });
    });

    test("sent as is -> 200; sent again -> 400 SignatureNonceUsed", async () => {
      expect((await replay(cloud, signed)).status).toBe(200);
      const again = await replay(cloud, signed);
      expect([again.status, again.body.Code]).toEqual([400, "SignatureNonceUsed"]);
    });

    test("a tampered parameter -> 400 SignatureDoesNotMatch", async () => {
      const r = await replay(cloud, signed, { url: signed.url.replace("MaxResults=5", "MaxResults=50") });
      expect([r.status, r.body.Code]).toEqual([400, "SignatureDoesNotMatch"]);
      const added = await replay(cloud, signed, { url: `${signed.url}&InstanceId=i-1` });
      expect([added.status, added.body.Code]).toEqual([400, "SignatureDoesNotMatch"]);
    });

    test("a tampered signed header -> 400 SignatureDoesNotMatch", async () => {
      const r = await replay(cloud, signed, { headers: { "x-acs-action": "EndTerminalSession" } });
      expect([r.status, r.body.Code]).toEqual([400, "SignatureDoesNotMatch"]);
    });

    test("a body the payload hash does not cover -> 400 SignatureDoesNotMatch", async () => {
      const r = await replay(cloud, signed, {
        body: "RegionId=cn-shanghai",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect([r.status, r.body.Code]).toEqual([400, "SignatureDoesNotMatch"]);
      expect(String(r.body.Message)).toContain("x-acs-content-sha256");
    });

    test("missing Authorization -> 400 IncompleteSignature", async () => {
      const r = await replay(cloud, signed, { headers: { authorization: undefined } });
      expect([r.status, r.body.Code]).toEqual([400, "IncompleteSignature"]);
    });

    test("malformed Authorization -> 400 IncompleteSignature", async () => {
      const r = await replay(cloud, signed, { headers: { authorization: "ACS3-HMAC-SHA256 Credential=x" } });
      expect([r.status, r.body.Code]).toEqual([400, "IncompleteSignature"]);
    });

    test("an unsigned x-acs-* header -> 400 IncompleteSignature", async () => {
      const r = await replay(cloud, signed, { headers: { "x-acs-extra": "1" } });
      expect([r.status, r.body.Code]).toEqual([400, "IncompleteSignature"]);
    });

    test("another algorithm -> 400 InvalidSignatureMethod", async () => {
      const auth = String(signed.headers.authorization).replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3");
      const r = await replay(cloud, signed, { headers: { authorization: auth } });
      expect([r.status, r.body.Code]).toEqual([400, "InvalidSignatureMethod"]);
    });

    test.each(["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"])(
      "missing %s -> 400 MissingParameter",
      async (name) => {
        const r = await replay(cloud, signed, { headers: { [name]: undefined } });
        expect([r.status, r.body.Code]).toEqual([400, "MissingParameter"]);
        expect(String(r.body.Message)).toContain(name);
      },
    );

    test("error bodies carry RequestId, HostId, Code, Message, Recommend", async () => {
      const r = await replay(cloud, signed, { headers: { authorization: undefined } });
      expect(Object.keys(r.body).sort()).toEqual(["Code", "HostId", "Message", "Recommend", "RequestId"]);
    });
  });

  test("each failure is logged with its code", async () => {
    cloud.requestLog.clear();
    await acsError(describeWith({ accessKeyId: "LTAInobody", accessKeySecret: "x" }));
    const [row] = cloud.requestLog.list();
    expect(row).toMatchObject({
      protocol: "acsRpc",
      service: null,
      status: 404,
      code: "InvalidAccessKeyId.NotFound",
    });
  });
});

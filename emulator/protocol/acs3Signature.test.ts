import { OpenApiUtil } from "@alicloud/openapi-core";
import * as $dara from "@darabonba/typescript";
import { stringify } from "node:querystring";
import {
  acs3Signature,
  acsPercentEncode,
  canonicalHeaders,
  canonicalQuery,
  parseAuthorization,
  sha256Hex,
} from "./acs3Signature";

describe("acsPercentEncode", () => {
  test("encodes what encodeURIComponent leaves, like openapi-core", () => {
    expect(acsPercentEncode("a b!'()*~-_.")).toBe("a%20b%21%27%28%29%2A~-_.");
    expect(acsPercentEncode("é/?&=+")).toBe("%C3%A9%2F%3F%26%3D%2B");
  });
});

describe("canonical forms", () => {
  test("query keys are sorted and values re-encoded", () => {
    expect(
      canonicalQuery([
        ["b", "2 (x)"],
        ["InstanceId.1", "i-1"],
        ["a", ""],
      ]),
    ).toBe("InstanceId.1=i-1&a=&b=2%20%28x%29");
  });

  test("headers: lower-case names, trimmed values, repeated values sorted and joined", () => {
    expect(canonicalHeaders({ host: " h:1 ", "x-acs-a": ["2", "1"] }, ["host", "x-acs-a"])).toBe(
      "host:h:1\nx-acs-a:1,2\n",
    );
  });

  test("authorization header parsing", () => {
    expect(
      parseAuthorization("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=ABC"),
    ).toEqual({
      algorithm: "ACS3-HMAC-SHA256",
      accessKeyId: "AK",
      signedHeaders: ["host", "x-acs-date"],
      signature: "abc",
    });
    expect(parseAuthorization("ACS3-HMAC-SHA256 Credential=AK")).toBeUndefined();
    expect(parseAuthorization("garbage")).toBeUndefined();
  });
});

describe("agrees with the SDK's own signer", () => {
  const query = {
    RegionId: "cn-hangzhou",
    "InstanceId.1": "i-bp1",
    CommandLine: "echo 'hi' (x) * ! + é & = ~",
    EncryptionOptions: JSON.stringify({ Enabled: true, Mode: "Auto" }),
  };
  const headers = {
    host: "127.0.0.1:8080",
    "x-acs-version": "2014-05-26",
    "x-acs-action": "StartTerminalSession",
    "x-acs-date": "2025-01-01T00:00:00Z",
    "x-acs-signature-nonce": "abc123",
    "x-acs-content-sha256": sha256Hex(""),
    accept: "application/json",
  };

  test("same signature for the same request", () => {
    const request = new $dara.Request();
    request.method = "POST";
    request.pathname = "/";
    request.query = query;
    request.headers = headers;
    const sdkAuth = OpenApiUtil.getAuthorization(request, "ACS3-HMAC-SHA256", sha256Hex(""), "AK", "secret");
    const parsed = parseAuthorization(sdkAuth)!;

    // The server sees the query as the SDK's URL carried it: querystring.stringify, then parsed.
    const wire = [...new URLSearchParams(stringify(query))];
    const ours = acs3Signature("secret", {
      method: "POST",
      path: "/",
      query: wire,
      headers,
      signedHeaders: parsed.signedHeaders,
      payloadHash: sha256Hex(""),
    });
    expect(ours).toBe(parsed.signature);
    expect(parsed.signedHeaders).toEqual([
      "host",
      "x-acs-action",
      "x-acs-content-sha256",
      "x-acs-date",
      "x-acs-signature-nonce",
      "x-acs-version",
    ]);
  });
});

import { configFromObject, resolveAwsSettings } from "./config";

const resolve = (config: Record<string, string>, env: Record<string, string> = {}) =>
  resolveAwsSettings(configFromObject(config), env);

describe("resolveAwsSettings", () => {
  test("region: aws:region, then AWS_REGION, then AWS_DEFAULT_REGION", () => {
    const env = { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "eu-west-3" };
    expect(resolve({ "aws:region": "eu-west-1" }, env).region).toEqual({
      value: "eu-west-1",
      source: "aws:region",
    });
    expect(resolve({}, env).region).toEqual({ value: "eu-west-2", source: "AWS_REGION" });
    expect(resolve({}, { AWS_DEFAULT_REGION: "eu-west-3" }).region).toEqual({
      value: "eu-west-3",
      source: "AWS_DEFAULT_REGION",
    });
    expect(resolve({}, {}).region).toBeUndefined();
  });

  test("credentials: stack keys, then aws:profile, then the default chain", () => {
    const keys = { "aws:accessKey": "AKIA1", "aws:secretKey": "s", "aws:token": "t", "aws:profile": "p" };
    expect(resolve(keys).credentials).toEqual({
      kind: "static",
      accessKeyId: "AKIA1",
      secretAccessKey: "s",
      sessionToken: "t",
      source: "aws:accessKey/aws:secretKey",
    });
    expect(
      resolve({ "aws:profile": "dev" }, { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" }).credentials,
    ).toEqual({ kind: "profile", profile: "dev", source: "aws:profile" });
    // Environment keys, AWS_PROFILE and shared files are the SDK's default chain's to find.
    expect(resolve({}, { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" }).credentials).toEqual({
      kind: "default",
      source: "default credential chain",
    });
  });

  test("half a key pair is a configuration error naming the missing key", () => {
    expect(() => resolve({ "aws:accessKey": "AKIA1" })).toThrow(
      "aws:accessKey is set but aws:secretKey is not",
    );
    expect(() => resolve({ "aws:secretKey": "s" })).toThrow("aws:secretKey is set but aws:accessKey is not");
    expect(() => resolve({ "aws:token": "t" })).toThrow(
      "aws:token is set without aws:accessKey and aws:secretKey",
    );
  });

  test("endpoint: sessions:ssmEndpoint wins over sessions:localCloud", () => {
    expect(resolve({ "sessions:localCloud": "http://127.0.0.1:9" }).ssmEndpoint).toBe("http://127.0.0.1:9");
    expect(
      resolve({ "sessions:localCloud": "http://127.0.0.1:9", "sessions:ssmEndpoint": "http://127.0.0.1:8/" })
        .ssmEndpoint,
    ).toBe("http://127.0.0.1:8");
    expect(resolve({}).ssmEndpoint).toBeUndefined();
    expect(() => resolve({ "sessions:ssmEndpoint": "ftp://x" })).toThrow(
      "sessions:ssmEndpoint must use http or https",
    );
  });
});

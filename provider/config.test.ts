import {
  configFromObject,
  parseEndpoint,
  resolveAlicloudSettings,
  resolveEndpoints,
  resolveProviderSettings,
} from "./config";
import { isErrorNamed } from "./errors/base";

const stackKeys = {
  "alicloud:accessKey": "LTAIstack",
  "alicloud:secretKey": "stack-secret",
};
const envKeys = { ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAIenv", ALIBABA_CLOUD_ACCESS_KEY_SECRET: "env-secret" };
const legacyEnvKeys = { ALICLOUD_ACCESS_KEY: "LTAIlegacy", ALICLOUD_SECRET_KEY: "legacy-secret" };

describe("credentials resolution order", () => {
  test("stack config keys win over everything", () => {
    const s = resolveAlicloudSettings(
      configFromObject({ ...stackKeys, "alicloud:securityToken": "sts", "alicloud:profile": "p" }),
      { ...envKeys, ...legacyEnvKeys },
    );
    expect(s.credentials).toEqual({
      kind: "static",
      accessKeyId: "LTAIstack",
      accessKeySecret: "stack-secret",
      securityToken: "sts",
      source: "alicloud:accessKey/alicloud:secretKey",
    });
  });

  test("then the stack's profile", () => {
    const s = resolveAlicloudSettings(configFromObject({ "alicloud:profile": "ops" }), envKeys);
    expect(s.credentials).toEqual({ kind: "profile", profile: "ops", source: "alicloud:profile" });
  });

  test("then ALIBABA_CLOUD_* environment variables", () => {
    const s = resolveAlicloudSettings(configFromObject({}), {
      ...envKeys,
      ALIBABA_CLOUD_SECURITY_TOKEN: "env-sts",
      ...legacyEnvKeys,
    });
    expect(s.credentials).toMatchObject({ kind: "static", accessKeyId: "LTAIenv", securityToken: "env-sts" });
  });

  test("then ALICLOUD_* environment variables", () => {
    const s = resolveAlicloudSettings(configFromObject({}), {
      ...legacyEnvKeys,
      ALICLOUD_SECURITY_TOKEN: "t",
    });
    expect(s.credentials).toMatchObject({ kind: "static", accessKeyId: "LTAIlegacy", securityToken: "t" });
  });

  test("then the default credential chain", () => {
    expect(resolveAlicloudSettings(configFromObject({}), {}).credentials).toEqual({
      kind: "default",
      source: "default credential chain",
    });
  });

  test("a key id and its secret never come from two places", () => {
    expect(() =>
      resolveAlicloudSettings(configFromObject({ "alicloud:accessKey": "LTAIstack" }), envKeys),
    ).toThrow(/alicloud:accessKey is set but alicloud:secretKey is not/);
    expect(() =>
      resolveAlicloudSettings(configFromObject({}), { ALIBABA_CLOUD_ACCESS_KEY_SECRET: "s" }),
    ).toThrow(/ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but ALIBABA_CLOUD_ACCESS_KEY_ID is not/);
    expect(() => resolveAlicloudSettings(configFromObject({ "alicloud:securityToken": "t" }), {})).toThrow(
      /alicloud:securityToken is set without/,
    );
  });

  test("blank values count as unset", () => {
    const s = resolveAlicloudSettings(
      configFromObject({ "alicloud:accessKey": " ", "alicloud:secretKey": "" }),
      envKeys,
    );
    expect(s.credentials).toMatchObject({ accessKeyId: "LTAIenv" });
  });
});

describe("region resolution order", () => {
  test("alicloud:region, then ALICLOUD_REGION, then ALIBABA_CLOUD_REGION", () => {
    const env = { ALICLOUD_REGION: "cn-beijing", ALIBABA_CLOUD_REGION: "cn-shanghai" };
    expect(
      resolveAlicloudSettings(configFromObject({ "alicloud:region": "cn-hangzhou" }), env).region,
    ).toEqual({
      value: "cn-hangzhou",
      source: "alicloud:region",
    });
    expect(resolveAlicloudSettings(configFromObject({}), env).region).toEqual({
      value: "cn-beijing",
      source: "ALICLOUD_REGION",
    });
    expect(
      resolveAlicloudSettings(configFromObject({}), { ALIBABA_CLOUD_REGION: "cn-shanghai" }).region?.value,
    ).toBe("cn-shanghai");
    expect(resolveAlicloudSettings(configFromObject({}), {}).region).toBeUndefined();
  });
});

describe("endpoints", () => {
  test("sessions:localCloud sets every endpoint; specific keys win", () => {
    expect(resolveEndpoints(configFromObject({ "sessions:localCloud": "http://127.0.0.1:9000" }))).toEqual({
      ecs: "http://127.0.0.1:9000",
      das: "http://127.0.0.1:9000",
      ssm: "http://127.0.0.1:9000",
    });
    expect(
      resolveEndpoints(
        configFromObject({
          "sessions:localCloud": "http://127.0.0.1:9000",
          "sessions:ecsEndpoint": "https://ecs.example:8443/",
        }),
      ),
    ).toEqual({
      ecs: "https://ecs.example:8443",
      das: "http://127.0.0.1:9000",
      ssm: "http://127.0.0.1:9000",
    });
    expect(resolveEndpoints(configFromObject({}))).toEqual({
      ecs: undefined,
      das: undefined,
      ssm: undefined,
    });
  });

  test("rejects what is not scheme://host[:port]", () => {
    for (const bad of [
      "127.0.0.1:9000",
      "ftp://h",
      "http://h/path",
      "http://u:p@h",
      "http://h/?q=1",
      "not a url",
    ]) {
      let thrown: unknown;
      try {
        parseEndpoint("sessions:ecsEndpoint", bad);
      } catch (err) {
        thrown = err;
      }
      expect(isErrorNamed(thrown, "ProviderConfigError")).toBe(true);
      expect((thrown as Error).message).toContain("sessions:ecsEndpoint");
    }
  });

  test("resolveProviderSettings reads process.env by default", () => {
    const saved = process.env.ALICLOUD_REGION;
    process.env.ALICLOUD_REGION = "ap-southeast-1";
    try {
      expect(resolveProviderSettings(configFromObject({})).alicloud.region?.value).toBe("ap-southeast-1");
    } finally {
      if (saved === undefined) delete process.env.ALICLOUD_REGION;
      else process.env.ALICLOUD_REGION = saved;
    }
  });
});

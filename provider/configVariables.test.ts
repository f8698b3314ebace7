import * as path from "node:path";
import { CONFIG_VARIABLES } from "../sdk/contract/config";
import { generateSchema } from "../scripts/schema/generate";
import { configFailures, dynamicConfigSource, pluginKeyFor, resolveProviderSettings } from "./config";

describe("the plugin's configuration variables", () => {
  test("every sessions: key reaches the dynamic providers' resolution under the key it stands for", () => {
    const values = {
      alicloudRegion: "cn-shanghai",
      alicloudAccessKey: "LTAIid",
      alicloudSecretKey: "alisecret",
      awsRegion: "eu-west-1",
      awsAccessKey: "AKIAID",
      awsSecretKey: "awssecret",
      awsToken: "awstoken",
      localCloud: "http://127.0.0.1:9000",
      ssmEndpoint: "http://127.0.0.1:9001",
    };
    const source = dynamicConfigSource(values);
    const settings = resolveProviderSettings(source, {});
    expect(settings.alicloud.region).toEqual({ value: "cn-shanghai", source: "alicloud:region" });
    expect(settings.alicloud.credentials).toMatchObject({
      kind: "static",
      accessKeyId: "LTAIid",
      accessKeySecret: "alisecret",
    });
    expect(settings.endpoints).toEqual({
      ecs: "http://127.0.0.1:9000",
      das: "http://127.0.0.1:9000",
      ssm: "http://127.0.0.1:9001",
    });
    const aws = settings.aws;
    expect(aws.region?.value).toBe("eu-west-1");
    expect(aws.credentials).toMatchObject({
      kind: "static",
      accessKeyId: "AKIAID",
      sessionToken: "awstoken",
    });
  });

  test("without config the environment and default chains still apply", () => {
    const source = dynamicConfigSource({ alicloudProfile: "" });
    expect(resolveProviderSettings(source, { ALICLOUD_REGION: "cn-beijing" }).alicloud).toMatchObject({
      region: { value: "cn-beijing", source: "ALICLOUD_REGION" },
      credentials: { kind: "default" },
    });
  });

  test("each dynamic key has exactly one sessions: twin", () => {
    expect(new Set(CONFIG_VARIABLES.map((v) => v.dynamicKey)).size).toBe(CONFIG_VARIABLES.length);
    expect(pluginKeyFor("alicloud:secretKey")).toBe("sessions:alicloudSecretKey");
    expect(pluginKeyFor("aws:token")).toBe("sessions:awsToken");
    expect(pluginKeyFor("sessions:localCloud")).toBe("sessions:localCloud");
  });

  test("schema.json's config and provider inputs are the plugin's variables (inputs also the tunnels), keys secret", () => {
    const schema = generateSchema(path.resolve(__dirname, ".."));
    const names = CONFIG_VARIABLES.map((v) => v.name);
    expect(Object.keys(schema.config.variables)).toEqual(names);
    expect(Object.keys(schema.provider.inputProperties)).toEqual([...names, "awsTunnel", "alicloudTunnel"]);
    for (const section of [schema.config.variables, schema.provider.inputProperties]) {
      for (const v of CONFIG_VARIABLES)
        expect({ name: v.name, secret: section[v.name].secret === true }).toEqual({
          name: v.name,
          secret: v.secret,
        });
    }
    expect(schema.config.variables.alicloudSecretKey.secret).toBe(true);
  });

  test("a key pair half set fails its own cloud only, and CheckConfig's list names both", () => {
    const source = dynamicConfigSource({ alicloudAccessKey: "LTAIid", awsSecretKey: "awssecret" });
    const settings = resolveProviderSettings(source, {});
    expect(settings.endpoints).toEqual({ ecs: undefined, das: undefined, ssm: undefined });
    expect(() => settings.alicloud).toThrow("alicloud:accessKey is set but alicloud:secretKey is not");
    expect(() => settings.aws).toThrow("aws:secretKey is set but aws:accessKey is not");
    expect(configFailures(source, {}).map((f) => f.key)).toEqual(["alicloud:secretKey", "aws:accessKey"]);
  });
});

import * as path from "node:path";
import { resolveProviderSettings } from "../provider/config";
import { resolveAwsSettings } from "../provider/clients/aws/settings";
import { generateSchema } from "../scripts/schema/generate";
import { dynamicConfigSource, PLUGIN_CONFIG, pluginKeyFor } from "./config";

describe("plugin configuration", () => {
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
    const ali = resolveProviderSettings(source, {});
    expect(ali.alicloud.region).toEqual({ value: "cn-shanghai", source: "alicloud:region" });
    expect(ali.alicloud.credentials).toMatchObject({
      kind: "static",
      accessKeyId: "LTAIid",
      accessKeySecret: "alisecret",
    });
    expect(ali.endpoints).toEqual({
      ecs: "http://127.0.0.1:9000",
      das: "http://127.0.0.1:9000",
      ssm: "http://127.0.0.1:9001",
    });
    const aws = resolveAwsSettings(source, {});
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
    expect(new Set(PLUGIN_CONFIG.map((v) => v.dynamicKey)).size).toBe(PLUGIN_CONFIG.length);
    expect(pluginKeyFor("alicloud:secretKey")).toBe("sessions:alicloudSecretKey");
    expect(pluginKeyFor("aws:token")).toBe("sessions:awsToken");
    expect(pluginKeyFor("sessions:localCloud")).toBe("sessions:localCloud");
  });

  test("schema.json's config and provider inputs are the plugin's variables (inputs also the tunnels), keys secret", () => {
    const schema = generateSchema(path.resolve(__dirname, ".."));
    const names = PLUGIN_CONFIG.map((v) => v.name);
    expect(Object.keys(schema.config.variables)).toEqual(names);
    expect(Object.keys(schema.provider.inputProperties)).toEqual([...names, "awsTunnel", "alicloudTunnel"]);
    for (const section of [schema.config.variables, schema.provider.inputProperties]) {
      for (const v of PLUGIN_CONFIG)
        expect({ name: v.name, secret: section[v.name].secret === true }).toEqual({
          name: v.name,
          secret: v.secret,
        });
    }
    expect(schema.config.variables.alicloudSecretKey.secret).toBe(true);
  });
});

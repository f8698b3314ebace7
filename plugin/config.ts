/**
 * The plugin's configuration: the `sessions:*` keys of schema.json's `config` (and the inputs
 * of an explicit `sessions` provider resource), and how they map onto the stack config keys the
 * dynamic providers read. A native provider only receives its own namespace, so each
 * `alicloud:*` / `aws:*` key the dynamic providers read has a `sessions:` twin named after it
 * (`alicloud:region` -> `sessions:alicloudRegion`); the endpoint keys are already ours.
 * Resolution (precedence, environment, default chains) is `provider/config.ts`'s, unchanged.
 */
import { CONFIG_KEYS, type ConfigSource } from "../provider/config";
import { AWS_CONFIG_KEYS } from "../provider/clients/aws/settings";

/** One configuration variable of the plugin. */
export interface PluginConfigVariable {
  /** The key under `sessions:` (and the provider resource's input). */
  name: string;
  /** The stack config key of the dynamic providers it stands for. */
  dynamicKey: string;
  /** Kept secret in state whatever the user typed. */
  secret: boolean;
  /** What it is, for schema.json. */
  description: string;
}

const variable = (name: string, dynamicKey: string, description: string, secret = false) => ({
  name,
  dynamicKey,
  secret,
  description,
});

/** Every configuration variable, in schema order. */
export const PLUGIN_CONFIG: readonly PluginConfigVariable[] = [
  variable(
    "alicloudRegion",
    CONFIG_KEYS.alicloudRegion,
    "Default Alibaba Cloud region for resources that set none (like `alicloud:region`); else `ALICLOUD_REGION`, `ALIBABA_CLOUD_REGION`.",
  ),
  variable(
    "alicloudAccessKey",
    CONFIG_KEYS.alicloudAccessKey,
    "Alibaba Cloud AccessKey id (like `alicloud:accessKey`); set together with `alicloudSecretKey`.",
    true,
  ),
  variable(
    "alicloudSecretKey",
    CONFIG_KEYS.alicloudSecretKey,
    "Alibaba Cloud AccessKey secret (like `alicloud:secretKey`).",
    true,
  ),
  variable(
    "alicloudSecurityToken",
    CONFIG_KEYS.alicloudSecurityToken,
    "STS token for temporary Alibaba Cloud keys (like `alicloud:securityToken`).",
    true,
  ),
  variable(
    "alicloudProfile",
    CONFIG_KEYS.alicloudProfile,
    "Profile of the Alibaba Cloud CLI config `~/.aliyun/config.json` (like `alicloud:profile`), used when no keys are set.",
  ),
  variable(
    "awsRegion",
    AWS_CONFIG_KEYS.region,
    "Default AWS region for resources that set none (like `aws:region`); else `AWS_REGION`, `AWS_DEFAULT_REGION`.",
  ),
  variable(
    "awsAccessKey",
    AWS_CONFIG_KEYS.accessKey,
    "AWS access key id (like `aws:accessKey`); set together with `awsSecretKey`.",
    true,
  ),
  variable("awsSecretKey", AWS_CONFIG_KEYS.secretKey, "AWS secret access key (like `aws:secretKey`).", true),
  variable(
    "awsToken",
    AWS_CONFIG_KEYS.token,
    "AWS session token for temporary keys (like `aws:token`).",
    true,
  ),
  variable(
    "awsProfile",
    AWS_CONFIG_KEYS.profile,
    "Profile of the shared AWS config and credentials files (like `aws:profile`), used when no keys are set.",
  ),
  variable(
    "ecsEndpoint",
    CONFIG_KEYS.ecsEndpoint,
    "Alibaba Cloud ECS endpoint override, `scheme://host[:port]`.",
  ),
  variable(
    "dasEndpoint",
    CONFIG_KEYS.dasEndpoint,
    "Alibaba Cloud DAS endpoint override, `scheme://host[:port]`.",
  ),
  variable(
    "ssmEndpoint",
    CONFIG_KEYS.ssmEndpoint,
    "AWS Systems Manager endpoint override, `scheme://host[:port]`.",
  ),
  variable(
    "localCloud",
    CONFIG_KEYS.localCloud,
    "The local cloud's URL (`pulumi-sessions local`): every endpoint at once; the specific endpoint keys win over it.",
  ),
];

/** The names of the secret variables. */
export const SECRET_CONFIG_NAMES: readonly string[] = PLUGIN_CONFIG.filter((v) => v.secret).map(
  (v) => v.name,
);

const byDynamicKey = new Map(PLUGIN_CONFIG.map((v) => [v.dynamicKey, v.name]));

/**
 * The dynamic providers' view of the plugin's configuration: `get("alicloud:region")` answers
 * `sessions:alicloudRegion`. `values` are the plugin's variables by name, secrets unwrapped.
 */
export function dynamicConfigSource(values: Readonly<Record<string, unknown>>): ConfigSource {
  return {
    get(key) {
      const name = byDynamicKey.get(key);
      const value = name === undefined ? undefined : values[name];
      if (value === undefined || value === null) return undefined;
      return typeof value === "string" ? value : JSON.stringify(value);
    },
  };
}

/** The dynamic key a plugin variable name stands for, to name plugin keys in messages. */
export function pluginKeyFor(dynamicKey: string): string {
  const name = byDynamicKey.get(dynamicKey);
  return name === undefined ? dynamicKey : `sessions:${name}`;
}

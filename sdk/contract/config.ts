/**
 * The configuration keys of the package: the stack config keys the dynamic providers read, and
 * the plugin's `sessions:*` variables (schema.json's `config`, and the inputs of an explicit
 * `sessions` provider resource) that stand for them. A native provider only receives its own
 * namespace, so each `alicloud:*` / `aws:*` key has a `sessions:` twin named after it
 * (`alicloud:region` -> `sessions:alicloudRegion`); the endpoint keys are already ours.
 * Plain data, since the SDK loads it; the provider resolves the settings from them.
 */

/** The config namespace of this package. */
export const CONFIG_NAMESPACE = "sessions";

/** Stack config keys the dynamic providers read (the AWS ones are `@pulumi/aws`'s). */
export const CONFIG_KEYS = {
  alicloudAccessKey: "alicloud:accessKey",
  alicloudSecretKey: "alicloud:secretKey",
  alicloudSecurityToken: "alicloud:securityToken",
  alicloudRegion: "alicloud:region",
  alicloudProfile: "alicloud:profile",
  awsRegion: "aws:region",
  awsProfile: "aws:profile",
  awsAccessKey: "aws:accessKey",
  awsSecretKey: "aws:secretKey",
  awsToken: "aws:token",
  ecsEndpoint: `${CONFIG_NAMESPACE}:ecsEndpoint`,
  dasEndpoint: `${CONFIG_NAMESPACE}:dasEndpoint`,
  ssmEndpoint: `${CONFIG_NAMESPACE}:ssmEndpoint`,
  localCloud: `${CONFIG_NAMESPACE}:localCloud`,
} as const;

/** One configuration variable of the plugin. */
export interface ConfigVariable {
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
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
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
    CONFIG_KEYS.awsRegion,
    "Default AWS region for resources that set none (like `aws:region`); else `AWS_REGION`, `AWS_DEFAULT_REGION`.",
  ),
  variable(
    "awsAccessKey",
    CONFIG_KEYS.awsAccessKey,
    "AWS access key id (like `aws:accessKey`); set together with `awsSecretKey`.",
    true,
  ),
  variable("awsSecretKey", CONFIG_KEYS.awsSecretKey, "AWS secret access key (like `aws:secretKey`).", true),
  variable(
    "awsToken",
    CONFIG_KEYS.awsToken,
    "AWS session token for temporary keys (like `aws:token`).",
    true,
  ),
  variable(
    "awsProfile",
    CONFIG_KEYS.awsProfile,
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

/**
 * The settings of both clouds, for every door: the dynamic providers' `configure` (stack config
 * the engine hands them, secrets already unwrapped), the plugin (its `sessions:*` variables,
 * seen through {@link dynamicConfigSource}) and the tunnels. Read from that config and from the
 * environment of the process; nothing here is ever captured into state.
 *
 * Alibaba Cloud, first match wins:
 * 1. stack config: `alicloud:accessKey` + `alicloud:secretKey` (+ `alicloud:securityToken`),
 *    else `alicloud:profile`;
 * 2. environment: `ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET` (+ `ALIBABA_CLOUD_SECURITY_TOKEN`),
 *    else `ALICLOUD_ACCESS_KEY` + `ALICLOUD_SECRET_KEY` (+ `ALICLOUD_SECURITY_TOKEN`);
 * 3. the `@alicloud/credentials` default chain (OIDC, CLI profiles, ECS RAM role, URI).
 *
 * AWS (the keys of the `@pulumi/aws` provider), first match wins:
 * 1. stack config `aws:accessKey` + `aws:secretKey` (+ `aws:token`);
 * 2. stack config `aws:profile`: that profile of the shared files (`~/.aws/credentials`,
 *    `~/.aws/config`, incl. SSO, role assumption and `credential_process`);
 * 3. the SDK's default chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`,
 *    `AWS_PROFILE` and the shared files, web identity, the container and EC2 metadata
 *    endpoints (the latter off with `AWS_EC2_METADATA_DISABLED=true`).
 * Region: `aws:region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`.
 *
 * For either cloud, a key id and its secret always come from the same place, never mixed.
 */
import { CONFIG_KEYS, CONFIG_NAMESPACE, CONFIG_VARIABLES } from "../sdk/contract/config";
import { ProviderConfigError } from "./errors/base";

export { CONFIG_KEYS, CONFIG_NAMESPACE };

/** Read access to stack config (the dynamic provider's `Config`: `get("ns:key")`). */
export interface ConfigSource {
  /** The value of a fully qualified key (`alicloud:region`), or undefined. */
  get(key: string): string | undefined;
}

/** The process environment, or a stand-in for tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A value and where it came from, for messages. */
export interface Sourced<T> {
  /** The value. */
  value: T;
  /** The config key or environment variable it came from. */
  source: string;
}

/**
 * A named profile of the cloud's own config files: the Alibaba Cloud CLI's
 * (`~/.aliyun/config.json`), AWS's shared config and credentials files.
 */
export interface ProfileCredentials {
  kind: "profile";
  /** The profile name. */
  profile: string;
  /** Where the profile name came from. */
  source: string;
}

/** The cloud SDK's default credential chain (`@alicloud/credentials`, the AWS SDK's). */
export interface DefaultChainCredentials {
  kind: "default";
  /** Always "default credential chain". */
  source: string;
}

/** What each cloud's settings hold. */
export interface CloudSettings<Credentials> {
  /** The default region for resources that do not set `region`. */
  region?: Sourced<string>;
  /** The credentials to sign with. */
  credentials: Credentials;
}

/** Where Alibaba Cloud credentials come from. */
export type AlicloudCredentialSource =
  | {
      /** Explicit keys. */
      kind: "static";
      /** The AccessKey id. */
      accessKeyId: string;
      /** The AccessKey secret. */
      accessKeySecret: string;
      /** The STS token, for temporary keys. */
      securityToken?: string;
      /** Where the keys came from. */
      source: string;
    }
  | ProfileCredentials
  | DefaultChainCredentials;

/** Alibaba Cloud settings. */
export type AlicloudSettings = CloudSettings<AlicloudCredentialSource>;

/** Where AWS credentials come from. */
export type AwsCredentialSource =
  | {
      /** Explicit keys from the stack config. */
      kind: "static";
      /** The access key id. */
      accessKeyId: string;
      /** The secret access key. */
      secretAccessKey: string;
      /** The session token, for temporary keys. */
      sessionToken?: string;
      /** Where the keys came from. */
      source: string;
    }
  | ProfileCredentials
  | DefaultChainCredentials;

/** AWS settings. */
export interface AwsSettings extends CloudSettings<AwsCredentialSource> {
  /** The SSM endpoint override (`sessions:ssmEndpoint`, else `sessions:localCloud`). */
  ssmEndpoint?: string;
}

/** Endpoint overrides (`http://127.0.0.1:PORT`); the scheme decides the protocol. */
export interface EndpointSettings {
  /** Alibaba Cloud ECS (`sessions:ecsEndpoint`). */
  ecs?: string;
  /** Alibaba Cloud DAS (`sessions:dasEndpoint`). */
  das?: string;
  /** AWS Systems Manager (`sessions:ssmEndpoint`). */
  ssm?: string;
}

/** Everything `configure` resolves. */
export interface ProviderSettings {
  /** Alibaba Cloud region and credentials. */
  readonly alicloud: AlicloudSettings;
  /** AWS region, credentials and SSM endpoint. */
  readonly aws: AwsSettings;
  /** Endpoint overrides. */
  readonly endpoints: EndpointSettings;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The first source that has a value. */
function first(candidates: Array<[string, string | undefined]>): Sourced<string> | undefined {
  for (const [source, raw] of candidates) {
    const value = nonEmpty(raw);
    if (value !== undefined) return { value, source };
  }
  return undefined;
}

/** Explicit keys from one place (stack config or environment), or an error when only half of a pair is there. */
function keyPair(
  from: ConfigSource,
  idKey: string,
  secretKey: string,
  tokenKey: string,
): AlicloudCredentialSource | undefined {
  const [i, s, t] = [nonEmpty(from.get(idKey)), nonEmpty(from.get(secretKey)), nonEmpty(from.get(tokenKey))];
  if (i && s)
    return {
      kind: "static",
      accessKeyId: i,
      accessKeySecret: s,
      securityToken: t,
      source: `${idKey}/${secretKey}`,
    };
  if (i)
    throw new ProviderConfigError(secretKey, `${idKey} is set but ${secretKey} is not: set both or neither.`);
  if (s)
    throw new ProviderConfigError(idKey, `${secretKey} is set but ${idKey} is not: set both or neither.`);
  if (t)
    throw new ProviderConfigError(
      idKey,
      `${tokenKey} is set without ${idKey} and ${secretKey}: set all three.`,
    );
  return undefined;
}

/** Resolves Alibaba Cloud region and credentials (see the module comment for the order). */
export function resolveAlicloudSettings(config: ConfigSource, env: Environment): AlicloudSettings {
  const region = first([
    [CONFIG_KEYS.alicloudRegion, config.get(CONFIG_KEYS.alicloudRegion)],
    ["ALICLOUD_REGION", env.ALICLOUD_REGION],
    ["ALIBABA_CLOUD_REGION", env.ALIBABA_CLOUD_REGION],
  ]);
  const profile = nonEmpty(config.get(CONFIG_KEYS.alicloudProfile));
  const fromEnv = configFromObject(env);
  const credentials = keyPair(
    config,
    CONFIG_KEYS.alicloudAccessKey,
    CONFIG_KEYS.alicloudSecretKey,
    CONFIG_KEYS.alicloudSecurityToken,
  ) ??
    (profile ? { kind: "profile" as const, profile, source: CONFIG_KEYS.alicloudProfile } : undefined) ??
    keyPair(
      fromEnv,
      "ALIBABA_CLOUD_ACCESS_KEY_ID",
      "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
      "ALIBABA_CLOUD_SECURITY_TOKEN",
    ) ??
    keyPair(fromEnv, "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN") ?? {
      kind: "default" as const,
      source: "default credential chain",
    };
  return { region, credentials };
}

/** Resolves AWS region, credentials and SSM endpoint (see the module comment for the order). */
export function resolveAwsSettings(config: ConfigSource, env: Environment): AwsSettings {
  const region = first([
    [CONFIG_KEYS.awsRegion, config.get(CONFIG_KEYS.awsRegion)],
    ["AWS_REGION", env.AWS_REGION],
    ["AWS_DEFAULT_REGION", env.AWS_DEFAULT_REGION],
  ]);
  // keyPair enforces "both or neither" with messages naming the keys; its field names are Alibaba's.
  const pair = keyPair(config, CONFIG_KEYS.awsAccessKey, CONFIG_KEYS.awsSecretKey, CONFIG_KEYS.awsToken);
  const profile = first([[CONFIG_KEYS.awsProfile, config.get(CONFIG_KEYS.awsProfile)]]);
  const credentials: AwsCredentialSource =
    pair?.kind === "static"
      ? {
          kind: "static",
          accessKeyId: pair.accessKeyId,
          secretAccessKey: pair.accessKeySecret,
          sessionToken: pair.securityToken,
          source: pair.source,
        }
      : profile
        ? { kind: "profile", profile: profile.value, source: profile.source }
        : { kind: "default", source: "default credential chain" };
  return { region, credentials, ssmEndpoint: resolveEndpoints(config).ssm };
}

/** Checks an endpoint override: an absolute http(s) URL without path, query or credentials. */
export function parseEndpoint(key: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProviderConfigError(key, `${key} must be a URL such as http://127.0.0.1:8080 (got "${raw}").`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProviderConfigError(key, `${key} must use http or https (got "${url.protocol}").`);
  }
  if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search) {
    throw new ProviderConfigError(key, `${key} must be scheme://host[:port] only (got "${raw}").`);
  }
  return `${url.protocol}//${url.host}`;
}

/** Resolves endpoint overrides: `sessions:localCloud` sets all, specific keys win over it. */
export function resolveEndpoints(config: ConfigSource): EndpointSettings {
  const read = (key: string): string | undefined => {
    const raw = nonEmpty(config.get(key));
    return raw === undefined ? undefined : parseEndpoint(key, raw);
  };
  const local = read(CONFIG_KEYS.localCloud);
  return {
    ecs: read(CONFIG_KEYS.ecsEndpoint) ?? local,
    das: read(CONFIG_KEYS.dasEndpoint) ?? local,
    ssm: read(CONFIG_KEYS.ssmEndpoint) ?? local,
  };
}

/**
 * Resolves every provider setting. Each cloud's on first use: a key pair half set for one cloud
 * fails only that cloud's resources (the plugin's CheckConfig checks both, see {@link configFailures}).
 */
export function resolveProviderSettings(
  config: ConfigSource,
  env: Environment = process.env,
): ProviderSettings {
  let alicloud: AlicloudSettings | undefined;
  let aws: AwsSettings | undefined;
  return {
    endpoints: resolveEndpoints(config),
    get alicloud() {
      return (alicloud ??= resolveAlicloudSettings(config, env));
    },
    get aws() {
      return (aws ??= resolveAwsSettings(config, env));
    },
  };
}

/** Settings from the environment alone, for engines that never call `configure` (before 3.139). */
export function settingsFromEnv(env: Environment = process.env): ProviderSettings {
  return resolveProviderSettings({ get: () => undefined }, env);
}

/** A configuration error, named by its key. */
export interface ConfigFailure {
  /** The config key. */
  key: string;
  /** What is wrong and how to fix it. */
  reason: string;
}

/** Every configuration error (endpoints, then each cloud's), once per key, instead of the first thrown. */
export function configFailures(config: ConfigSource, env: Environment = process.env): ConfigFailure[] {
  const failures = new Map<string, string>();
  for (const resolve of [
    () => resolveEndpoints(config),
    () => resolveAlicloudSettings(config, env),
    () => resolveAwsSettings(config, env),
  ]) {
    try {
      resolve();
    } catch (err) {
      const key = (err as { key?: unknown }).key;
      if (typeof key !== "string") throw err;
      if (!failures.has(key)) failures.set(key, (err as Error).message);
    }
  }
  return [...failures].map(([key, reason]) => ({ key, reason }));
}

/** A {@link ConfigSource} over a plain object, for tests and tools. */
export function configFromObject(values: Readonly<Record<string, string | undefined>>): ConfigSource {
  return { get: (key) => values[key] };
}

/** The names of the plugin's secret variables. */
export const SECRET_CONFIG_NAMES: readonly string[] = CONFIG_VARIABLES.filter((v) => v.secret).map(
  (v) => v.name,
);

const byDynamicKey = new Map(CONFIG_VARIABLES.map((v) => [v.dynamicKey, v.name]));

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

/** The plugin key a dynamic key stands for (`alicloud:region` -> `sessions:alicloudRegion`), to name it in messages. */
export function pluginKeyFor(dynamicKey: string): string {
  const name = byDynamicKey.get(dynamicKey);
  return name === undefined ? dynamicKey : `${CONFIG_NAMESPACE}:${name}`;
}

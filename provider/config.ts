/**
 * Provider settings, read in the provider's `configure` from the stack config the engine
 * hands to dynamic providers (secrets already unwrapped) and from the environment of the
 * provider process. Nothing here is ever captured into the serialized provider: the
 * settings live only in the process that runs the provider.
 *
 * Order, first match wins:
 * 1. stack config: `alicloud:accessKey` + `alicloud:secretKey` (+ `alicloud:securityToken`),
 *    else `alicloud:profile`;
 * 2. environment: `ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET` (+ `ALIBABA_CLOUD_SECURITY_TOKEN`),
 *    else `ALICLOUD_ACCESS_KEY` + `ALICLOUD_SECRET_KEY` (+ `ALICLOUD_SECURITY_TOKEN`);
 * 3. the `@alicloud/credentials` default chain (OIDC, CLI profiles, ECS RAM role, URI).
 * A key id and its secret always come from the same place, never mixed.
 */
import { ProviderConfigError } from "./errors/base";

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
  | {
      /** A named profile of the Alibaba Cloud CLI config (`~/.aliyun/config.json`). */
      kind: "profile";
      /** The profile name. */
      profile: string;
      /** Where the profile name came from. */
      source: string;
    }
  | {
      /** The `@alicloud/credentials` default chain. */
      kind: "default";
      /** Always "default credential chain". */
      source: string;
    };

/** Alibaba Cloud settings. */
export interface AlicloudSettings {
  /** The default region for resources that do not set `region`. */
  region?: Sourced<string>;
  /** The credentials to sign with. */
  credentials: AlicloudCredentialSource;
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
  alicloud: AlicloudSettings;
  /** Endpoint overrides. */
  endpoints: EndpointSettings;
}

/** The config namespace of this package. */
export const CONFIG_NAMESPACE = "sessions";

/** Stack config keys this package reads. */
export const CONFIG_KEYS = {
  alicloudAccessKey: "alicloud:accessKey",
  alicloudSecretKey: "alicloud:secretKey",
  alicloudSecurityToken: "alicloud:securityToken",
  alicloudRegion: "alicloud:region",
  alicloudProfile: "alicloud:profile",
  ecsEndpoint: `${CONFIG_NAMESPACE}:ecsEndpoint`,
  dasEndpoint: `${CONFIG_NAMESPACE}:dasEndpoint`,
  ssmEndpoint: `${CONFIG_NAMESPACE}:ssmEndpoint`,
  localCloud: `${CONFIG_NAMESPACE}:localCloud`,
} as const;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The first source that has a value. */
export function first(candidates: Array<[string, string | undefined]>): Sourced<string> | undefined {
  for (const [source, raw] of candidates) {
    const value = nonEmpty(raw);
    if (value !== undefined) return { value, source };
  }
  return undefined;
}

/** Explicit keys from one place, or an error when only half of a pair is there. */
export function keyPair(
  idKey: string,
  id: string | undefined,
  secretKey: string,
  secret: string | undefined,
  tokenKey: string,
  token: string | undefined,
): AlicloudCredentialSource | undefined {
  const [i, s, t] = [nonEmpty(id), nonEmpty(secret), nonEmpty(token)];
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
  const credentials = keyPair(
    CONFIG_KEYS.alicloudAccessKey,
    config.get(CONFIG_KEYS.alicloudAccessKey),
    CONFIG_KEYS.alicloudSecretKey,
    config.get(CONFIG_KEYS.alicloudSecretKey),
    CONFIG_KEYS.alicloudSecurityToken,
    config.get(CONFIG_KEYS.alicloudSecurityToken),
  ) ??
    (profile ? { kind: "profile" as const, profile, source: CONFIG_KEYS.alicloudProfile } : undefined) ??
    keyPair(
      "ALIBABA_CLOUD_ACCESS_KEY_ID",
      env.ALIBABA_CLOUD_ACCESS_KEY_ID,
      "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
      "ALIBABA_CLOUD_SECURITY_TOKEN",
      env.ALIBABA_CLOUD_SECURITY_TOKEN,
    ) ??
    keyPair(
      "ALICLOUD_ACCESS_KEY",
      env.ALICLOUD_ACCESS_KEY,
      "ALICLOUD_SECRET_KEY",
      env.ALICLOUD_SECRET_KEY,
      "ALICLOUD_SECURITY_TOKEN",
      env.ALICLOUD_SECURITY_TOKEN,
    ) ?? { kind: "default" as const, source: "default credential chain" };
  return { region, credentials };
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

/** Resolves every provider setting. */
export function resolveProviderSettings(
  config: ConfigSource,
  env: Environment = process.env,
): ProviderSettings {
  return { alicloud: resolveAlicloudSettings(config, env), endpoints: resolveEndpoints(config) };
}

/** A {@link ConfigSource} over a plain object, for tests and tools. */
export function configFromObject(values: Readonly<Record<string, string | undefined>>): ConfigSource {
  return { get: (key) => values[key] };
}

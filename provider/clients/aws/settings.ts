/**
 * AWS settings, read in `configure` from the stack config (secrets already unwrapped) and the
 * provider process's environment, next to the Alibaba Cloud ones in `provider/config.ts`.
 * Like those, they live only in the provider process, never in the serialized provider.
 *
 * Credentials, first match wins:
 * 1. stack config `aws:accessKey` + `aws:secretKey` (+ `aws:token`), always together;
 * 2. stack config `aws:profile`: that profile of the shared files (`~/.aws/credentials`,
 *    `~/.aws/config`, incl. SSO, role assumption and `credential_process`);
 * 3. the SDK's default chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`,
 *    `AWS_PROFILE` and the shared files, web identity, the container and EC2 metadata
 *    endpoints (the latter off with `AWS_EC2_METADATA_DISABLED=true`).
 * Region: `aws:region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`.
 */
import {
  first,
  keyPair,
  resolveEndpoints,
  type ConfigSource,
  type Environment,
  type Sourced,
} from "../../config";

/** Stack config keys the AWS resources read (the same keys as the `@pulumi/aws` provider). */
export const AWS_CONFIG_KEYS = {
  region: "aws:region",
  profile: "aws:profile",
  accessKey: "aws:accessKey",
  secretKey: "aws:secretKey",
  token: "aws:token",
} as const;

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
  | {
      /** A named profile of the shared config and credentials files. */
      kind: "profile";
      /** The profile name. */
      profile: string;
      /** Where the profile name came from. */
      source: string;
    }
  | {
      /** The SDK's default credential chain. */
      kind: "default";
      /** Always "default credential chain". */
      source: string;
    };

/** Everything the AWS resources need from `configure`. */
export interface AwsSettings {
  /** The default region for resources that do not set `region`. */
  region?: Sourced<string>;
  /** The credentials to sign with. */
  credentials: AwsCredentialSource;
  /** The SSM endpoint override (`sessions:ssmEndpoint`, else `sessions:localCloud`). */
  ssmEndpoint?: string;
}

/** Resolves region, credentials and endpoint (see the module comment for the order). */
export function resolveAwsSettings(config: ConfigSource, env: Environment): AwsSettings {
  const region = first([
    [AWS_CONFIG_KEYS.region, config.get(AWS_CONFIG_KEYS.region)],
    ["AWS_REGION", env.AWS_REGION],
    ["AWS_DEFAULT_REGION", env.AWS_DEFAULT_REGION],
  ]);
  // keyPair enforces "both or neither" with messages naming the keys; its field names are Alibaba's.
  const pair = keyPair(
    AWS_CONFIG_KEYS.accessKey,
    config.get(AWS_CONFIG_KEYS.accessKey),
    AWS_CONFIG_KEYS.secretKey,
    config.get(AWS_CONFIG_KEYS.secretKey),
    AWS_CONFIG_KEYS.token,
    config.get(AWS_CONFIG_KEYS.token),
  );
  const profile = first([[AWS_CONFIG_KEYS.profile, config.get(AWS_CONFIG_KEYS.profile)]]);
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

/** Settings from the environment alone, for engines that never call `configure` (before 3.139). */
export function awsSettingsFromEnv(env: Environment): AwsSettings {
  return resolveAwsSettings({ get: () => undefined }, env);
}

/**
 * The check every resource class runs at registration: credentials in stack config must be
 * secrets.
 *
 * The engine stores the whole stack config as the inputs of the default `pulumi-nodejs`
 * provider in state, as it does for every provider: a value set with `pulumi config set
 * --secret` stays encrypted there, any other value is plain text. `@pulumi/alicloud` and
 * `@pulumi/aws` mark these keys secret in their schemas; a dynamic provider has no schema, so
 * the program side, where the SDK knows which config keys are secret, refuses them instead.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

/** The stack config keys that hold credentials (what is secret in the official providers' schemas). */
export const CREDENTIAL_CONFIG_KEYS = [
  "alicloud:secretKey",
  "alicloud:securityToken",
  "aws:secretKey",
  "aws:token",
] as const;

/** What the Node.js SDK knows about a config key (`isConfigSecret` is internal to it, not typed). */
interface ConfigLookup {
  getConfig(key: string): string | undefined;
  isConfigSecret(key: string): boolean;
}

/** The credential keys that are set but not secret. */
export function plaintextCredentialKeys(
  lookup: ConfigLookup = runtimeConfig as unknown as ConfigLookup,
): string[] {
  return CREDENTIAL_CONFIG_KEYS.filter(
    (key) => lookup.getConfig(key) !== undefined && !lookup.isConfigSecret(key),
  );
}

/** The message for plain-text credential keys: one command per key that makes it a secret in place. */
export function plaintextCredentialsMessage(keys: readonly string[], stack: string): string {
  const commands = keys.map(
    (key) =>
      `pulumi config set --secret --stack ${stack} ${key} "$(pulumi config get --stack ${stack} ${key})"`,
  );
  return (
    `${keys.join(", ")} ${keys.length === 1 ? "is" : "are"} set in plain text, and the engine would store ` +
    `${keys.length === 1 ? "it" : "them"} unencrypted in state (as inputs of the default pulumi-nodejs ` +
    `provider). Make ${keys.length === 1 ? "it a secret" : "them secrets"}: ${commands.join(" && ")}`
  );
}

/** Throws (without a stack trace) when a credential key is set in plain text. */
export function assertCredentialsAreSecret(lookup?: ConfigLookup): void {
  const keys = plaintextCredentialKeys(lookup);
  if (keys.length > 0) throw new pulumi.RunError(plaintextCredentialsMessage(keys, pulumi.getStack()));
}

/**
 * What both clouds' Command classes share: the outputs every Command has,
 * {@link SECRET_STREAMS_PROPERTY}, whether any input is a secret, and
 * {@link SECRET_VALUES_PROPERTY}, which of the values a script is given are. The dynamic provider
 * sees secrets as plain values, so only the program can tell it; it then returns `stdout` and
 * `stderr` as secrets (a script may print what it was given), and masks those values, and only
 * those, in the live log.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_STREAMS_PROPERTY, SECRET_VALUES_PROPERTY } from "../contract/resources";
import { DynamicResource, type DynamicResourceKind } from "./dynamicResource";

const isSecret = (value: unknown) => pulumi.isSecret(pulumi.output(value));

/** The names of the script's inputs whose values are secret (never the values). */
async function secretValuePaths(args: Record<string, unknown>): Promise<string[]> {
  const paths: string[] = [];
  for (const key of ["stdin", "stdinBase64"]) {
    if (args[key] !== undefined && (await isSecret(args[key]))) paths.push(key);
  }
  const environment = args.environment;
  if (environment === undefined || environment === null) return paths;
  // A whole environment from an output or a promise is secret or not as one.
  if (pulumi.Output.isInstance(environment) || environment instanceof Promise) {
    if (await isSecret(environment)) paths.push("environment");
    return paths;
  }
  for (const [key, value] of Object.entries(environment)) {
    if (await isSecret(value)) paths.push(`environment.${key}`);
  }
  return paths;
}

/** `args`, whether any of them, at any depth, is a secret, and which of the script's values are. */
export function withSecretStreams(args: object): object {
  return {
    ...args,
    [SECRET_STREAMS_PROPERTY]: isSecret(args),
    [SECRET_VALUES_PROPERTY]: secretValuePaths(args as Record<string, unknown>),
  };
}

/** The base of `alicloud.Command` and `aws.Command`. */
export abstract class CommandResource extends DynamicResource {
  /** The exit code of the last run (always 0: a non-zero exit fails the step). */
  declare public readonly exitCode: pulumi.Output<number>;
  /** The create script. */
  declare public readonly create: pulumi.Output<string>;
  /** The update script, if set. */
  declare public readonly update: pulumi.Output<string | undefined>;
  /** The delete script, if set. */
  declare public readonly delete: pulumi.Output<string | undefined>;
  /** The scripts' environment, if set. */
  declare public readonly environment: pulumi.Output<Record<string, string> | undefined>;
  /** The scripts' stdin text, if set. */
  declare public readonly stdin: pulumi.Output<string | undefined>;
  /** The scripts' stdin bytes (base64), if set. */
  declare public readonly stdinBase64: pulumi.Output<string | undefined>;
  /** The triggers, if set. */
  declare public readonly triggers: pulumi.Output<unknown[] | undefined>;
  /** The timeout in seconds, if set (default 600). */
  declare public readonly timeout: pulumi.Output<number | undefined>;
  /** What streams to the engine's log, if set (default `stdoutAndStderr`). */
  declare public readonly logging: pulumi.Output<string | undefined>;

  protected constructor(
    kind: DynamicResourceKind,
    name: string,
    args: object,
    opts: pulumi.CustomResourceOptions,
  ) {
    super(kind, name, withSecretStreams(args), opts);
  }
}

/**
 * What both clouds' Command classes share: the outputs every Command has, and
 * {@link SECRET_STREAMS_PROPERTY}, whether any input is a secret. The dynamic provider sees
 * secrets as plain values, so only the program can tell it; it then returns `stdout` and
 * `stderr` as secrets (a script may print what it was given).
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_STREAMS_PROPERTY } from "../contract/resources";
import { DynamicResource, type DynamicResourceKind } from "./dynamicResource";

/** `args` and whether any of them, at any depth, is a secret. */
export function withSecretStreams(args: object): object {
  return { ...args, [SECRET_STREAMS_PROPERTY]: pulumi.isSecret(pulumi.output(args)) };
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

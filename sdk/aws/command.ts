/**
 * `aws.Command`: scripts run on a managed node over Session Manager.
 * See docs/aws/command.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type { AwsCommandInputs } from "../schemaTypes";
import { CommandResource } from "../internal/command";
import type { DynamicResourceKind } from "../internal/dynamicResource";
import type { ArgsOf } from "../internal/types";

/** The arguments of a {@link Command}; every field is documented on the provider's schema. */
export type CommandArgs = ArgsOf<AwsCommandInputs>;

const KIND: DynamicResourceKind = { row: RESOURCES.awsCommand };

/**
 * Scripts run on an EC2 instance or managed node through Session Manager sessions (no SSH key,
 * no open port), as `@pulumi/command`'s `remote.Command` runs them over SSH: `create` on create,
 * `update` (or `create`) when a script, the environment or stdin change, `delete` on destroy. A
 * change of `triggers`, the target or the region replaces it. A non-zero exit or a timeout fails
 * the step. `stdout` and `stderr` are secrets when any input is. Scripts run as Session Manager's
 * run-as user (`ssm-user` unless the account or the caller's tag says otherwise).
 */
export class Command extends CommandResource {
  /** What the last run wrote to stdout. Secret when any input is. */
  declare public readonly stdout: pulumi.Output<string>;
  /** What the last run wrote to stderr. Secret when any input is. */
  declare public readonly stderr: pulumi.Output<string>;
  /** The managed node the scripts run on. */
  declare public readonly target: pulumi.Output<string>;
  /** The region of the target (input, or the stack's `aws:region` / `AWS_REGION`). */
  declare public readonly region: pulumi.Output<string>;

  /**
   * @param name The unique name of the resource.
   * @param args The scripts and where they run.
   * @param opts Resource options.
   */
  constructor(name: string, args: CommandArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(KIND, name, args, opts);
  }
}

/**
 * `alicloud.Command`: scripts run on an ECS instance over Session Manager.
 * See docs/alicloud/command.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type { AlicloudCommandInputs } from "../schemaTypes";
import { CommandResource } from "../internal/command";
import type { DynamicResourceKind } from "../internal/dynamicResource";
import type { ArgsOf } from "../internal/types";

/** The arguments of a {@link Command}; every field is documented on the provider's schema. */
export type CommandArgs = ArgsOf<AlicloudCommandInputs>;

const KIND: DynamicResourceKind = { row: RESOURCES.alicloudCommand };

/**
 * Scripts run on an ECS instance through Session Manager sessions (no SSH key, no open port),
 * as `@pulumi/command`'s `remote.Command` runs them over SSH: `create` on create, `update` (or
 * `create`) when a script, the environment or stdin change, `delete` on destroy. A change of
 * `triggers`, the instance, the region or the user replaces it. A non-zero exit or a timeout
 * fails the step. `stdout` and `stderr` are secrets when any input is; the session's terminal
 * merges both streams into `stdout`.
 */
export class Command extends CommandResource {
  /** What the last run wrote to its terminal (stdout and stderr merged). Secret when any input is. */
  declare public readonly stdout: pulumi.Output<string>;
  /** Always empty: the session's terminal merges stderr into `stdout`. */
  declare public readonly stderr: pulumi.Output<string>;
  /** The instance the scripts run on. */
  declare public readonly instanceId: pulumi.Output<string>;
  /** The region of the instance (input, or the stack's `alicloud:region`). */
  declare public readonly region: pulumi.Output<string>;
  /** The user the scripts run as, if set. */
  declare public readonly username: pulumi.Output<string | undefined>;

  /**
   * @param name The unique name of the resource.
   * @param args The scripts and where they run.
   * @param opts Resource options.
   */
  constructor(name: string, args: CommandArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(KIND, name, args, opts);
  }
}

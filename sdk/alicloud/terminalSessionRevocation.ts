/**
 * `alicloud.TerminalSessionRevocation`: end every live ECS Session Manager session on some instances.
 * See docs/alicloud/terminal-session-revocation.md.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type { TerminalSessionRevocationInputs } from "../schemaTypes";
import { SessionRevocationResource } from "../internal/sessionRevocation";
import type { ArgsOf } from "../internal/types";

export type { RevokedSession } from "../internal/sessionRevocation";

/** The arguments of a {@link TerminalSessionRevocation}; every field is documented on the provider's schema. */
export type TerminalSessionRevocationArgs = ArgsOf<TerminalSessionRevocationInputs>;

/**
 * Ends every live ECS Session Manager session on the given instances (DescribeTerminalSessions,
 * then EndTerminalSession for each), optionally sparing sessions by principal or username.
 * Runs once, like a kill task: change `triggers` (or any input) to run it again. The outputs
 * record what was ended and spared; destroy only removes that record. Preview lists the
 * sessions a run would end.
 */
export class TerminalSessionRevocation extends SessionRevocationResource {
  /** The instances. */
  declare public readonly instanceIds: pulumi.Output<string[]>;
  /** The principals spared, if any. */
  declare public readonly sparePrincipalIds: pulumi.Output<string[] | undefined>;
  /** The usernames spared, if any. */
  declare public readonly spareUsernames: pulumi.Output<string[] | undefined>;

  /**
   * @param name The unique name of the resource.
   * @param args What to end and what to spare.
   * @param opts Resource options.
   */
  constructor(name: string, args: TerminalSessionRevocationArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(RESOURCES.terminalSessionRevocation, name, args, opts);
  }
}

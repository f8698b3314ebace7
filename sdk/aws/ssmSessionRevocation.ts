/**
 * `aws.SsmSessionRevocation`: terminate every live Session Manager session on some nodes.
 * See docs/aws/ssm-session-revocation.md.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type { SsmSessionRevocationInputs } from "../schemaTypes";
import { SessionRevocationResource } from "../internal/sessionRevocation";
import type { ArgsOf } from "../internal/types";

export type { RevokedSession } from "../internal/sessionRevocation";

/** The arguments of an {@link SsmSessionRevocation}; every field is documented on the provider's schema. */
export type SsmSessionRevocationArgs = ArgsOf<SsmSessionRevocationInputs>;

/**
 * Terminates every live Session Manager session on the given managed nodes (DescribeSessions,
 * then TerminateSession for each), optionally only one owner's and sparing some owners. Runs
 * once, like a kill task: change `triggers` (or any input) to run it again. The outputs record
 * what was terminated and spared; destroy only removes that record. Preview lists the sessions
 * a run would terminate.
 */
export class SsmSessionRevocation extends SessionRevocationResource {
  /** The managed nodes. */
  declare public readonly targets: pulumi.Output<string[]>;
  /** The owner the run was limited to, if any. */
  declare public readonly owner: pulumi.Output<string | undefined>;
  /** The owners spared, if any. */
  declare public readonly spareOwners: pulumi.Output<string[] | undefined>;

  /**
   * @param name The unique name of the resource.
   * @param args What to terminate and what to spare.
   * @param opts Resource options.
   */
  constructor(name: string, args: SsmSessionRevocationArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(RESOURCES.ssmSessionRevocation, name, args, opts);
  }
}

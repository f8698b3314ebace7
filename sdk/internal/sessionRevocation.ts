/**
 * What `alicloud.TerminalSessionRevocation` and `aws.SsmSessionRevocation` share: the result
 * outputs (one shape for both clouds) and their construction.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceRow } from "../contract/resources";
import type { RevocationSession } from "../schemaTypes";
import { DynamicResource } from "./dynamicResource";

/** One session a revocation ended or spared. */
export type RevokedSession = RevocationSession;

/** A revocation resource: the record of one run, with what it ended and spared. */
export abstract class SessionRevocationResource extends DynamicResource {
  /** Every session the run ended. */
  declare public readonly endedSessions: pulumi.Output<RevokedSession[]>;
  /** The ids of the ended sessions. */
  declare public readonly endedSessionIds: pulumi.Output<string[]>;
  /** The distinct owners of the ended sessions (Alibaba Cloud PrincipalIds, AWS owner ARNs). */
  declare public readonly endedOwners: pulumi.Output<string[]>;
  /** How many sessions the run ended. */
  declare public readonly endedCount: pulumi.Output<number>;
  /** How many sessions the run ended on each target (zeros included). */
  declare public readonly endedCountByTarget: pulumi.Output<Record<string, number>>;
  /** The live sessions a spare rule kept, each with its `spareReason`. */
  declare public readonly sparedSessions: pulumi.Output<RevokedSession[]>;
  /** How many live sessions were spared. */
  declare public readonly sparedCount: pulumi.Output<number>;
  /** Sessions that ended by themselves between listing and ending. */
  declare public readonly alreadyEndedCount: pulumi.Output<number>;
  /** When the run finished (ISO 8601). */
  declare public readonly ranAt: pulumi.Output<string>;
  /** The region (input, or the stack's default region). */
  declare public readonly region: pulumi.Output<string>;
  /** The triggers, if any. */
  declare public readonly triggers: pulumi.Output<unknown[] | undefined>;

  /**
   * @param row The concrete resource's catalog row.
   * @param name The unique name of the resource.
   * @param args What to end and what to spare.
   * @param opts Resource options.
   */
  protected constructor(
    row: ResourceRow,
    name: string,
    args: object,
    opts: pulumi.CustomResourceOptions = {},
  ) {
    super({ row }, name, args, opts);
  }
}

/**
 * What `alicloud.TerminalSessionRevocation` and `aws.SsmSessionRevocation` share: the result
 * outputs (one shape, `provider/revocation.ts`) and how their properties are laid out.
 */
import type * as pulumi from "@pulumi/pulumi";
import { revocationResultSchema } from "../../provider/schemas/revocation";
import type { RevocationSession } from "../schemaTypes";
import { DynamicResource, type DynamicResourceKind } from "./dynamicResource";

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
   * @param kind The concrete resource's type and provider.
   * @param inputKeys The resource's input names.
   */
  protected constructor(
    kind: Pick<DynamicResourceKind, "token" | "provider">,
    inputKeys: readonly string[],
    name: string,
    args: object,
    opts: pulumi.CustomResourceOptions,
  ) {
    const propertyKeys = [...inputKeys, ...Object.keys(revocationResultSchema.shape)];
    // The URN names the resource in the preview listing.
    super({ ...kind, propertyKeys, passUrn: true }, name, args, opts);
  }
}

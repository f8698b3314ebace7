/**
 * What `alicloud.TerminalSessionRevocation` and `aws.SsmSessionRevocation` share: the result
 * outputs (one shape, `provider/revocation.ts`) and how their properties are laid out.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { URN_PROPERTY } from "../../provider/inputs";
import { revocationResultSchema, type RevocationSession } from "../../provider/revocation";

/** One session a revocation ended or spared. */
export type RevokedSession = RevocationSession;

/** A revocation resource: the record of one run, with what it ended and spared. */
export abstract class SessionRevocationResource extends pulumi.dynamic.Resource {
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
   * @param provider The provider stub of the concrete resource.
   * @param type `[module, type]` of the token `pulumi-nodejs:dynamic/<module>:<type>`.
   * @param inputKeys The resource's input names.
   */
  protected constructor(
    provider: dynamic.ResourceProvider,
    [module, type]: [string, string],
    inputKeys: readonly string[],
    name: string,
    args: object,
    opts: pulumi.CustomResourceOptions,
  ) {
    // Every output needs a key in props, or the resource object gets no property for it
    // (e.g. `region`, which check fills in when it is not set).
    const keys = [...inputKeys, ...Object.keys(revocationResultSchema.shape)];
    const props: Record<string, unknown> = {
      ...Object.fromEntries(keys.map((k) => [k, undefined])),
      ...args,
      // Names the resource in the preview listing (dynamic providers never see the URN).
      [URN_PROPERTY]: pulumi.createUrn(name, `pulumi-nodejs:dynamic/${module}:${type}`, opts.parent),
    };
    super(provider, name, props, opts, module, type);
  }
}

/**
 * `aws.SsmSessionRevocation`: terminates every live Session Manager session on some managed
 * nodes (DescribeSessions, State Active, filtered by Target and optionally Owner, all pages;
 * then TerminateSession), optionally sparing sessions by owner. One-shot: see
 * `provider/revocation.ts` for the lifecycle, which both revocation resources share.
 *
 * "Live" is Connecting, Connected or Disconnected: a Terminating session is already ending.
 */
import { z } from "zod";
import {
  isLiveSsmSession,
  listSsmSessions,
  resolveAwsSettings,
  ssmClientFor,
  terminateSession,
  type AwsSettings,
  type SsmClient,
  type SsmSessionFilter,
} from "../clients/aws";
import {
  createRevocationProvider,
  distinctStrings,
  type RevocationCloud,
  type RevocationSession,
} from "../revocation";
import { isKnown, type Fail } from "../validation";
import { boundedString } from "./ssmSession";

/** The Pulumi type token of the resource. */
export const SSM_SESSION_REVOCATION_TYPE = "pulumi-nodejs:dynamic/aws:SsmSessionRevocation";

/** A SessionFilter value is 1..400 characters. */
const FILTER_VALUE_MAX = 400;

/** The inputs of an SsmSessionRevocation, as users write them (see the field docs). */
export const ssmSessionRevocationInputsSchema = z
  .object({
    /** The region of the targets. Defaults to the stack's `aws:region`, then `AWS_REGION`, `AWS_DEFAULT_REGION`. */
    region: z.string().min(1, "region must not be empty: leave it unset instead").optional(),
    /** The managed nodes whose live sessions are terminated (`i-...`, `mi-...`; 1..400 characters each). */
    targets: distinctStrings("targets", 1, boundedString(1, FILTER_VALUE_MAX)),
    /**
     * Only sessions of this owner (the `Owner` filter: an IAM ARN as DescribeSessions reports it,
     * e.g. `arn:aws:iam::123456789012:user/alice`), 1..400 characters. Default: every owner.
     */
    owner: boundedString(1, FILTER_VALUE_MAX, "owner").optional(),
    /**
     * Spare sessions of these owners: an owner ARN, or its last segment (the user name or role
     * session name, e.g. `alice` for `arn:aws:iam::123456789012:user/alice`).
     */
    spareOwners: distinctStrings("spareOwners", 0).optional(),
    /** Any values: when they change, the revocation runs again (the resource is replaced). */
    triggers: z.array(z.unknown(), { error: "triggers must be a list" }).optional(),
  })
  .strict();

/** The inputs of an SsmSessionRevocation. */
export type SsmSessionRevocationInputs = z.input<typeof ssmSessionRevocationInputsSchema>;

type Checked = SsmSessionRevocationInputs & { region: string };

/** The last segment of an ARN's resource path (`alice` in `...:user/alice`). */
function ownerName(owner: string): string {
  return owner.slice(owner.lastIndexOf("/") + 1);
}

/** The spare rule matching an owner, if any. */
export function spareOwnerMatch(spareOwners: readonly string[] | undefined, owner: string | undefined) {
  if (!owner) return undefined;
  return spareOwners?.find((spare) => spare === owner || spare === ownerName(owner));
}

/** `owner` filters to one owner; sparing that same owner would leave nothing to terminate. */
function rules(v: Record<string, unknown>, fail: Fail): void {
  const { owner, spareOwners } = v;
  if (!isKnown(owner) || typeof owner !== "string" || !Array.isArray(spareOwners)) return;
  const index = spareOwners.findIndex((spare) => isKnown(spare) && spareOwnerMatch([spare as string], owner));
  if (index >= 0) {
    fail(
      `spareOwners[${index}]`,
      `spareOwners[${index}] spares the owner the revocation is limited to (owner): nothing would be terminated`,
    );
  }
}

/** The AWS side of the shared revocation provider. */
export const ssmSessionRevocationCloud: RevocationCloud<AwsSettings, SsmClient, Checked> = {
  title: "aws.SsmSessionRevocation",
  schema: ssmSessionRevocationInputsSchema,
  rules,
  settings: resolveAwsSettings,
  defaultRegion: (settings) => settings.region?.value,
  missingRegion: "region is required: set the region input, the stack config aws:region, or AWS_REGION",
  targets: (inputs) => inputs.targets,
  client: (settings, region) => ssmClientFor(settings, region),

  async listLive(client, inputs) {
    const live: RevocationSession[] = [];
    // Filters are ANDed, so one listing (all pages) per target.
    for (const target of inputs.targets) {
      const filters: SsmSessionFilter[] = [{ key: "Target", value: target }];
      if (inputs.owner) filters.push({ key: "Owner", value: inputs.owner });
      for await (const record of listSsmSessions(client, "Active", filters)) {
        if (!isLiveSsmSession(record)) continue;
        live.push({ sessionId: record.sessionId, target, owner: record.owner, startedAt: record.startDate });
      }
    }
    return live;
  },

  spareReason(inputs, session) {
    const match = spareOwnerMatch(inputs.spareOwners, session.owner);
    return match === undefined ? undefined : `owner ${match} is in spareOwners`;
  },

  async end(client, _inputs, session) {
    return (await terminateSession(client, session.sessionId)) === "terminated" ? "ended" : "gone";
  },
};

/** The provider instance the stub loads (`ssmSessionRevocationProvider` by name). */
export const ssmSessionRevocationProvider = createRevocationProvider(ssmSessionRevocationCloud);

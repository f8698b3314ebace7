/**
 * `aws.SsmSessionRevocation`: terminates every live Session Manager session on some managed
 * nodes (DescribeSessions, State Active, filtered by Target and optionally Owner, all pages;
 * then TerminateSession), optionally sparing sessions by owner. One-shot: see
 * `../revocation/lifecycle.ts` for the lifecycle, which both revocation resources share.
 *
 * "Live" is Connecting, Connected or Disconnected: a Terminating session is already ending.
 */
import "../../compileCache";
import {
  isLiveSsmSession,
  listSsmSessions,
  ssmClientFor,
  terminateSession,
  type SsmClient,
  type SsmSessionFilter,
} from "../../clients/aws";
import type { AwsSettings } from "../../config";
import { onFirstUse } from "../../lifecycle";
import { createRevocationProvider, type RevocationCloud } from "../revocation/lifecycle";
import { isKnown, type Fail } from "../../validation";
import type { RevocationSession } from "../revocation/schema";
import type * as Schemas from "./schema";
import type { SsmSessionRevocationInputs } from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

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
  schema: () => schemas().ssmSessionRevocationInputsSchema,
  rules,
  settings: (all) => all.aws,
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

/** The provider instance `__provider` loads (`ssmSessionRevocationProvider` by name). */
export const ssmSessionRevocationProvider = createRevocationProvider(ssmSessionRevocationCloud);

/**
 * `alicloud.TerminalSessionRevocation`: ends every live ECS Session Manager session on some
 * instances (DescribeTerminalSessions, all pages, per instance; then EndTerminalSession),
 * optionally sparing sessions by principal or username. One-shot: see `../revocation/lifecycle.ts`
 * for the lifecycle, which both revocation resources share.
 *
 * "Live" is `sessionUsability` of the ECS client: not ended, and either its WebSocket URL is
 * still valid (10 minutes) or a connection is open. Expired sessions nobody is connected to
 * are left alone: nothing can use them any more.
 */
import "../../compileCache";
import {
  alicloudClientFor,
  endTerminalSession,
  listTerminalSessions,
  sessionUsability,
  type AlicloudRpcClient,
} from "../../clients/alicloud";
import type { ProviderSettings } from "../../config";
import { onFirstUse } from "../../lifecycle";
import { createRevocationProvider, type RevocationCloud } from "../revocation/lifecycle";
import { ruleMessage } from "../../validation";
import type { RevocationSession } from "../revocation/schema";
import type * as Schemas from "./schema";
import type { TerminalSessionRevocationInputs } from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

type Checked = TerminalSessionRevocationInputs & { region: string };

/** The Alibaba Cloud side of the shared revocation provider. */
export const terminalSessionRevocationCloud: RevocationCloud<ProviderSettings, AlicloudRpcClient, Checked> = {
  title: "alicloud.TerminalSessionRevocation",
  schema: () => schemas().terminalSessionRevocationInputsSchema,
  normalize: (inputs) => schemas().normalizeTerminalSessionRevocationInputs(inputs),
  settings: (all) => all,
  defaultRegion: (settings) => settings.alicloud.region?.value,
  missingRegion: ruleMessage(
    "region is required: set the region input, the stack config alicloud:region, or ALICLOUD_REGION",
    "MissingParameter.RegionId",
  ),
  targets: (inputs) => inputs.instanceIds,
  client: (settings, region) => alicloudClientFor(settings, "ecs", region),

  async listLive(client, inputs) {
    const live: RevocationSession[] = [];
    // The instance filter takes one id, so one listing (all pages) per instance. The local
    // clock judges URL expiry: a few seconds of skew only matter at the 10-minute mark.
    const now = new Date();
    for (const instanceId of inputs.instanceIds) {
      for await (const record of listTerminalSessions(client, { regionId: inputs.region, instanceId })) {
        if (sessionUsability(record, now) !== "live") continue;
        live.push({
          sessionId: record.sessionId,
          target: instanceId,
          owner: record.principalId,
          username: record.username,
          startedAt: record.creationTime,
        });
      }
    }
    return live;
  },

  spareReason(inputs, session) {
    if (session.owner !== undefined && inputs.sparePrincipalIds?.includes(session.owner)) {
      return `principal ${session.owner} is in sparePrincipalIds`;
    }
    if (session.username !== undefined && inputs.spareUsernames?.includes(session.username)) {
      return `username ${session.username} is in spareUsernames`;
    }
    return undefined;
  },

  async end(client, inputs, session) {
    const existed = await endTerminalSession(client, {
      regionId: inputs.region,
      sessionId: session.sessionId,
    });
    return existed ? "ended" : "gone";
  },
};

/** The provider instance `__provider` loads (`terminalSessionRevocationProvider` by name). */
export const terminalSessionRevocationProvider = createRevocationProvider(terminalSessionRevocationCloud);

/**
 * `alicloud.TerminalSessionRevocation`: ends every live ECS Session Manager session on some
 * instances (DescribeTerminalSessions, all pages, per instance; then EndTerminalSession),
 * optionally sparing sessions by principal or username. One-shot: see `provider/revocation.ts`
 * for the lifecycle, which both revocation resources share.
 *
 * "Live" is `sessionUsability` of the ECS client: not ended, and either its WebSocket URL is
 * still valid (10 minutes) or a connection is open. Expired sessions nobody is connected to
 * are left alone: nothing can use them any more.
 */
import { z } from "zod";
import {
  alicloudClientFor,
  endTerminalSession,
  listTerminalSessions,
  sessionUsability,
  type AlicloudRpcClient,
} from "../clients/alicloud";
import { resolveProviderSettings, type ProviderSettings } from "../config";
import {
  createRevocationProvider,
  distinctStrings,
  type RevocationCloud,
  type RevocationSession,
} from "../revocation";
import { ruleMessage } from "../validation";

/** The Pulumi type token of the resource. */
export const TERMINAL_SESSION_REVOCATION_TYPE = "pulumi-nodejs:dynamic/alicloud:TerminalSessionRevocation";

/** The inputs of a TerminalSessionRevocation, as users write them (see the field docs). */
export const terminalSessionRevocationInputsSchema = z
  .object({
    /** The region of the instances (`RegionId`). Defaults to the stack's `alicloud:region`. */
    region: z.string().min(1, "region must not be empty: leave it unset instead").optional(),
    /** The instances whose live sessions are ended (`InstanceId`, one DescribeTerminalSessions listing each). */
    instanceIds: distinctStrings("instanceIds", 1),
    /** Spare sessions started by these principals (`PrincipalId`: account, RAM user or role caller ids). */
    sparePrincipalIds: distinctStrings("sparePrincipalIds", 0).optional(),
    /** Spare sessions that log in as these users (`Username`, e.g. a break-glass account). */
    spareUsernames: distinctStrings("spareUsernames", 0).optional(),
    /** Any values: when they change, the revocation runs again (the resource is replaced). */
    triggers: z.array(z.unknown(), { error: "triggers must be a list" }).optional(),
  })
  .strict();

/** The inputs of a TerminalSessionRevocation. */
export type TerminalSessionRevocationInputs = z.input<typeof terminalSessionRevocationInputsSchema>;

type Checked = TerminalSessionRevocationInputs & { region: string };

/** The Alibaba Cloud side of the shared revocation provider. */
export const terminalSessionRevocationCloud: RevocationCloud<ProviderSettings, AlicloudRpcClient, Checked> = {
  title: "alicloud.TerminalSessionRevocation",
  schema: terminalSessionRevocationInputsSchema,
  settings: resolveProviderSettings,
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

/** The provider instance the stub loads (`terminalSessionRevocationProvider` by name). */
export const terminalSessionRevocationProvider = createRevocationProvider(terminalSessionRevocationCloud);

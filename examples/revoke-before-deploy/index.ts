/**
 * Revokes interactive access before a deploy: ends every live ECS Session Manager session on the
 * app's instances and terminates every live SSM session on its EC2 nodes, except the break-glass
 * ones, once per release. Deploy resources that `dependsOn` the revocations change only after
 * nobody is logged in any more.
 *
 * Config (namespace `revoke-before-deploy`); set either cloud's list, or both:
 *   release                 the release being deployed; a new value revokes again
 *   ecsInstanceIds          Alibaba Cloud instances (i-...), as a JSON list
 *   breakGlassPrincipalIds  Alibaba Cloud principals (PrincipalId) whose sessions survive, JSON list
 *   breakGlassUsernames     Alibaba Cloud login users whose sessions survive (default ["breakglass"])
 *   ssmTargets              AWS instances or managed nodes (i-..., mi-...), as a JSON list
 *   breakGlassOwners        AWS owners whose sessions survive: an IAM ARN or its last segment, JSON list
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud, aws } from "pulumi-sessions";

const config = new pulumi.Config();
const release = config.require("release");
const ecsInstanceIds = config.getObject<string[]>("ecsInstanceIds") ?? [];
const ssmTargets = config.getObject<string[]>("ssmTargets") ?? [];
if (ecsInstanceIds.length === 0 && ssmTargets.length === 0) {
  throw new Error("set ecsInstanceIds, ssmTargets or both: there is nothing to revoke");
}

// Each revocation runs when created or replaced; the release in `triggers` makes that once per deploy.
const triggers = [release];

const ecs =
  ecsInstanceIds.length > 0
    ? new alicloud.TerminalSessionRevocation("ecs-sessions", {
        instanceIds: ecsInstanceIds,
        sparePrincipalIds: config.getObject<string[]>("breakGlassPrincipalIds"),
        spareUsernames: config.getObject<string[]>("breakGlassUsernames") ?? ["breakglass"],
        triggers,
      })
    : undefined;

const ssm =
  ssmTargets.length > 0
    ? new aws.SsmSessionRevocation("ssm-sessions", {
        targets: ssmTargets,
        spareOwners: config.getObject<string[]>("breakGlassOwners"),
        triggers,
      })
    : undefined;

/**
 * The deploy's own resources in this stack take `{ dependsOn: revocations }`, so they change only
 * after the sessions are gone.
 */
const revocations = [ecs, ssm].filter((r) => r !== undefined);
/** When the last revocation ran: a CI job running the deploy as a separate stack can check it. */
// Indexing, not `.at(-1)`: @pulumi/pulumi 3.248 (the oldest we support) type-checks programs
// against a library without it.
export const revokedAt = pulumi
  .all(revocations.map((r) => r.ranAt))
  .apply((times) => times.sort()[times.length - 1]);

export const revokedFor = release;
export const ecsEndedSessionIds = ecs?.endedSessionIds;
export const ecsSparedSessionIds = ecs?.sparedSessions.apply((s) => s.map((x) => x.sessionId));
export const ssmEndedSessionIds = ssm?.endedSessionIds;
export const ssmSparedSessionIds = ssm?.sparedSessions.apply((s) => s.map((x) => x.sessionId));
export const endedOwners = pulumi
  .all([ecs?.endedOwners ?? [], ssm?.endedOwners ?? []])
  .apply(([a, b]) => [...a, ...b]);

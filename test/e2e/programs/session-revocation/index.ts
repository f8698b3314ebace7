/**
 * A session revocation as users write it, importing the installed package by name.
 *
 * Config (namespace `e2e`):
 *   cloud   `alicloud` (TerminalSessionRevocation) or `aws` (SsmSessionRevocation)
 *   args    the resource's arguments, as JSON
 * Provider config: alicloud:* or aws:* keys and region, sessions:localCloud.
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud, aws } from "pulumi-sessions";

const config = new pulumi.Config("e2e");
const args = JSON.parse(config.require("args")) as Record<string, unknown>;

const revocation =
  config.require("cloud") === "aws"
    ? new aws.SsmSessionRevocation("revoke", args as unknown as aws.SsmSessionRevocationArgs)
    : new alicloud.TerminalSessionRevocation(
        "revoke",
        args as unknown as alicloud.TerminalSessionRevocationArgs,
      );

export const endedSessionIds = revocation.endedSessionIds;
export const endedOwners = revocation.endedOwners;
export const endedCount = revocation.endedCount;
export const endedCountByTarget = revocation.endedCountByTarget;
export const sparedSessionIds = revocation.sparedSessions.apply((s) => s.map((x) => x.sessionId));
export const sparedCount = revocation.sparedCount;
export const ranAt = revocation.ranAt;

/**
 * Drains an RDS MySQL instance before maintenance (a failover, a parameter change, a schema
 * migration): DAS kills every client session except those of the accounts you keep, once per
 * release. Changing `release` drains again; anything else leaves the past drain alone.
 *
 * Config (namespace `drain-rds-before-maintenance`):
 *   instanceId    the RDS MySQL instance (rm-...)
 *   dbUser        an account allowed to kill other accounts' sessions (the privileged account)
 *   dbPassword    its password (secret: pulumi config set --secret dbPassword ...)
 *   release       the release or maintenance this drain is for, e.g. v2.14.0; a new value drains again
 *   ignoredUsers  accounts whose sessions survive, as a JSON list (default ["replicator"])
 *   timeoutSeconds how long to wait for DAS to finish (default 300)
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud } from "pulumi-sessions";

const config = new pulumi.Config();
const release = config.require("release");

const drain = new alicloud.KillInstanceSessionTask("drain", {
  instanceId: config.require("instanceId"),
  dbUser: config.require("dbUser"),
  // requireSecret keeps it encrypted in the stack config and in state.
  dbUserPassword: config.requireSecret("dbPassword"),
  killAllSessions: true,
  // Replication and the ops account keep their sessions; DAS also spares its internal accounts.
  ignoredUsers: config.getObject<string[]>("ignoredUsers") ?? ["replicator"],
  // The drain runs when this resource is created or replaced: tie it to the release, not to time.
  triggers: [release],
  timeoutSeconds: config.getNumber("timeoutSeconds"),
});

// Maintenance resources go after the drain: give them `{ dependsOn: [drain] }`.

export const drainedFor = release;
export const state = drain.state;
export const killed = drain.killSuccessCount;
export const notKilled = drain.killFailCount;
export const spared = drain.ignoredSessionCount;
export const killedSessionIds = drain.killedSessionIds;
export const taskIds = drain.taskIds;

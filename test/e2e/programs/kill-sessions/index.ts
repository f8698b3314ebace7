import * as pulumi from "@pulumi/pulumi";
import { alicloud } from "pulumi-sessions";

// Written the way a user would: the password is a secret, `release` re-runs the kill.
const cfg = new pulumi.Config("drain");

const drain = new alicloud.KillInstanceSessionTask("drain", {
  instanceId: cfg.require("instanceId"),
  dbUser: cfg.require("dbUser"),
  dbUserPassword: cfg.requireSecret("dbPassword"),
  killAllSessions: cfg.getBoolean("killAllSessions") ?? true,
  sessionIds: cfg.getObject<number[]>("sessionIds"),
  ignoredUsers: cfg.getObject<string[]>("ignoredUsers"),
  triggers: [cfg.require("release")],
  timeoutSeconds: cfg.getNumber("timeoutSeconds"),
});

export const taskIds = drain.taskIds;
export const state = drain.state;
export const killSuccessCount = drain.killSuccessCount;
export const killFailCount = drain.killFailCount;
export const ignoredSessionCount = drain.ignoredSessionCount;
export const killedSessionIds = drain.killedSessionIds;
export const tasks = drain.tasks;

/**
 * The demo program: every resource of pulumi-sessions, declared as a user would.
 * `npm run demo` points it at the local cloud (stack config `sessions:localCloud`, the local
 * cloud's keys as `alicloud:*` / `aws:*`) and, when the machine has MariaDB, at a real
 * database for the kill-session task.
 */
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

const demo = new pulumi.Config("demo");
const echoPort = demo.requireNumber("echoPort");

/** A terminal session that runs one command on the instance and streams its output. */
const command = new sessions.alicloud.TerminalSession("run-command", {
  instanceIds: [demo.require("instanceId")],
  commandLine: "echo hello from the terminal session; uname -s",
});

/** A port-forwarding session to a TCP service listening on the instance. */
const forward = new sessions.alicloud.TerminalSession("port-forward", {
  instanceIds: [demo.require("forwardInstanceId")],
  portNumber: echoPort,
});

/** The same through AWS Systems Manager. */
const ssm = new sessions.aws.SsmSession("ssm-port-forward", {
  target: demo.require("ssmTarget"),
  documentName: "AWS-StartPortForwardingSession",
  reason: "pulumi-sessions demo",
  parameters: { portNumber: [String(echoPort)] },
});

/** Before a deploy: end everyone's sessions on this instance, sparing the on-call user. */
const revocation = new sessions.alicloud.TerminalSessionRevocation("revoke-before-deploy", {
  instanceIds: [demo.require("revokeInstanceId")],
  spareUsernames: ["oncall"],
  triggers: [demo.require("release")],
});

export const commandWebSocketUrl = command.webSocketUrl;
export const forwardWebSocketUrl = forward.webSocketUrl;
export const ssmStreamUrl = ssm.streamUrl;
export const ssmTokenValue = ssm.tokenValue;
export const ssmSessionId = ssm.sessionId;
export const revokedSessionIds = revocation.endedSessionIds;
export const sparedSessionCount = revocation.sparedCount;

/** Drain the database before maintenance (only when the demo has a MariaDB to point at). */
const dbInstanceId = demo.get("dbInstanceId");
export const drain = dbInstanceId
  ? new sessions.alicloud.KillInstanceSessionTask("drain-database", {
      instanceId: dbInstanceId,
      dbUser: demo.require("dbUser"),
      dbUserPassword: demo.requireSecret("dbPassword"),
      killAllSessions: true,
      ignoredUsers: [demo.require("dbIgnoredUser")],
      triggers: [demo.require("release")],
    }).killSuccessCount.apply((killed) => ({ killed }))
  : "skipped: no MariaDB on this machine";

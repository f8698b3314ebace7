/**
 * Port forwarding to an RDS MySQL endpoint through an ECS instance in the same VPC: the database
 * keeps its private endpoint and whitelist, and nobody needs a VPN or a public address.
 *
 * Config (namespace `rds-port-forward`):
 *   bastionInstanceId  the ECS instance to forward through (Running, Cloud Assistant agent online)
 *   rdsHost            the RDS instance's internal endpoint, e.g. rm-xxxx.mysql.rds.aliyuncs.com
 *   rdsPort            the endpoint's port (default 3306)
 *   localPort          the local port the connect hint shows (default 13306)
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud } from "pulumi-sessions";

const config = new pulumi.Config();
const rdsHost = config.require("rdsHost");
const rdsPort = config.getNumber("rdsPort") ?? 3306;
const localPort = config.getNumber("localPort") ?? 13306;

/**
 * The instance resolves and dials `targetServer` from inside the VPC, so the RDS whitelist must
 * allow the instance's private address, not yours.
 */
const tunnel = new alicloud.TerminalSession("rds-tunnel", {
  instanceIds: [config.require("bastionInstanceId")],
  targetServer: rdsHost,
  portNumber: rdsPort,
});

export const sessionId = tunnel.sessionId;
// Secret already (the resource marks them so): the URL and token open the path to the database.
export const webSocketUrl = pulumi.secret(tunnel.webSocketUrl);
export const securityToken = pulumi.secret(tunnel.securityToken);
/** What the cloud recorded, to confirm the tunnel goes where it should. */
export const target = pulumi.interpolate`${tunnel.reportedTargetServer}:${tunnel.reportedPortNumber}`;
/** StartTerminalSession URLs accept new connections for 10 minutes after creation. */
export const expiresAt = tunnel.creationTime.apply((t) =>
  t ? new Date(Date.parse(t) + 10 * 60 * 1000).toISOString() : undefined,
);
export const howToConnect = pulumi.interpolate`Before ${expiresAt}, bridge 127.0.0.1:${localPort} to the session (pulumi stack output --show-secrets webSocketUrl, with securityToken) using a Session Manager WebSocket client, then: mysql -h 127.0.0.1 -P ${localPort} -u <user> -p`;

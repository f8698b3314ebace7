/**
 * AWS Systems Manager port forwarding: a session to a port on an EC2 instance (or managed node),
 * opened by Pulumi and used with the Session Manager plugin, with no inbound security group rule
 * and no SSH key.
 *
 * Config (namespace `ssm-port-forward`):
 *   target      the instance or managed node (i-... or mi-...) running the SSM Agent
 *   remotePort  the port on the target (default 5432)
 *   localPort   the port the Session Manager plugin listens on locally (default 15432)
 *   reason      why the session is opened; kept in the session history (default "port forward")
 */
import * as pulumi from "@pulumi/pulumi";
import { aws } from "pulumi-sessions";

const config = new pulumi.Config();
const target = config.require("target");
const remotePort = config.getNumber("remotePort") ?? 5432;
const localPort = config.getNumber("localPort") ?? 15432;

const documentName = "AWS-StartPortForwardingSession";
// Document parameters are lists of strings, as StartSession takes them.
const parameters = { portNumber: [String(remotePort)], localPortNumber: [String(localPort)] };

const tunnel = new aws.SsmSession("tunnel", {
  target,
  documentName,
  parameters,
  reason: config.get("reason") ?? "port forward",
});

export const sessionId = tunnel.sessionId;
export const status = tunnel.status;
export const owner = tunnel.owner;
/**
 * What `aws ssm start-session` hands the Session Manager plugin: the StartSession response.
 * Secret, since the token opens the session.
 */
export const startSessionResponse = pulumi.secret(
  pulumi.jsonStringify({
    SessionId: tunnel.sessionId,
    TokenValue: tunnel.tokenValue,
    StreamUrl: tunnel.streamUrl,
  }),
);
const request = JSON.stringify({ Target: target, DocumentName: documentName, Parameters: parameters });
// Where the plugin makes its own SSM calls (ResumeSession when it reconnects): the endpoint the
// resources use, so the line works as printed against a private endpoint or the local cloud.
const sessionsConfig = new pulumi.Config("sessions");
const ssmEndpoint = sessionsConfig.get("ssmEndpoint") ?? sessionsConfig.get("localCloud");
// The region as the resource resolved it (its input, else aws:region, else AWS_REGION).
export const howToConnect = pulumi.interpolate`session-manager-plugin "$(pulumi stack output --show-secrets startSessionResponse)" ${tunnel.region} StartSession "" '${request}' ${ssmEndpoint ?? pulumi.interpolate`https://ssm.${tunnel.region}.amazonaws.com`}  # then connect to 127.0.0.1:${localPort}`;

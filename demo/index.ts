/**
 * The demo program: every resource of pulumi-sessions, and a tunnel, declared as a user would.
 * `npm run demo` points it at the local cloud (stack config `sessions:localCloud`, the local
 * cloud's keys as `alicloud:*` / `aws:*`) and at a real MariaDB for the kill-session task.
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

/**
 * A deployment step on each cloud: a script run over a session that starts and ends with it (no
 * SSH key, no open port). The release travels in the environment, through the session's input.
 */
const step = {
  create: 'echo "release $RELEASE set up on $(uname -s) by $SESSION_KIND"',
  delete: 'echo "release $RELEASE cleaned up"',
};
const ecsStep = new sessions.alicloud.Command("deploy-step-ecs", {
  instanceId: demo.require("instanceId"),
  ...step,
  environment: { RELEASE: demo.require("release"), SESSION_KIND: "ECS Session Manager" },
});
const ssmStep = new sessions.aws.Command("deploy-step-ssm", {
  target: demo.require("ssmTarget"),
  ...step,
  environment: { RELEASE: demo.require("release"), SESSION_KIND: "AWS Systems Manager" },
});
export const ecsCommandStdout = ecsStep.stdout;
export const ssmCommandStdout = ssmStep.stdout;

export const commandWebSocketUrl = command.webSocketUrl;
export const forwardWebSocketUrl = forward.webSocketUrl;
export const ssmStreamUrl = ssm.streamUrl;
export const ssmTokenValue = ssm.tokenValue;
export const ssmSessionId = ssm.sessionId;
export const revokedSessionIds = revocation.endedSessionIds;
export const sparedSessionCount = revocation.sparedCount;

/**
 * A tunnel for the deployment: a local port forwarding through an SSM session, open whenever the
 * engine calls a resource that uses `host`/`port` (up, refresh, destroy), closed when each ends.
 * The demo's "private service" behind it is a TCP echo service that logs what reaches it.
 */
const tunnel = new sessions.aws.Tunnel("tunnel", {
  target: demo.require("ssmTarget"),
  remotePort: demo.requireNumber("tunnelEchoPort"),
});

interface EchoInputs {
  host: string;
  port: number;
  message: string;
}

/** Sends one line to the service through the tunnel and resolves with what came back. */
function echoThrough(endpoint: EchoInputs, line: string): Promise<string> {
  // Loaded here, not at the top: the dynamic provider is serialized with this function.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net: typeof import("node:net") = require("node:net");
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = net.connect(endpoint.port, endpoint.host, () => socket.write(`${line}\n`));
    socket.setEncoding("utf8");
    socket.setTimeout(15_000, () =>
      socket.destroy(new Error(`no echo from ${endpoint.host}:${endpoint.port}`)),
    );
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.endsWith("\n")) socket.end();
    });
    socket.on("close", () => resolve(received.trimEnd()));
    socket.on("error", reject);
  });
}

/** A downstream resource that talks to the service only through the tunnel, in every operation. */
const echoProvider: pulumi.dynamic.ResourceProvider<EchoInputs, EchoInputs & { echoed: string }> = {
  async create(inputs) {
    return {
      id: "echo",
      outs: { ...inputs, echoed: await echoThrough(inputs, `create: ${inputs.message}`) },
    };
  },
  async read(id, props) {
    await echoThrough(props!, `refresh: ${props!.message}`);
    return { id, props };
  },
  async delete(_id, props) {
    await echoThrough(props, `delete: ${props.message}`);
  },
};

class EchoThroughTunnel extends pulumi.dynamic.Resource {
  /** What the service sent back to the create. */
  declare public readonly echoed: pulumi.Output<string>;
  constructor(name: string, args: { [K in keyof EchoInputs]: pulumi.Input<EchoInputs[K]> }) {
    super(echoProvider, name, { ...args, echoed: undefined }, {});
  }
}

const echo = new EchoThroughTunnel("echo-through-tunnel", {
  host: tunnel.host,
  port: tunnel.port,
  message: "hello through the tunnel",
});

export const tunnelEndpoint = tunnel.endpoint;
export const echoedThroughTunnel = echo.echoed;

/** Drain the database before maintenance. */
export const drain = new sessions.alicloud.KillInstanceSessionTask("drain-database", {
  instanceId: demo.require("dbInstanceId"),
  dbUser: demo.require("dbUser"),
  dbUserPassword: demo.requireSecret("dbPassword"),
  killAllSessions: true,
  ignoredUsers: [demo.require("dbIgnoredUser")],
  triggers: [demo.require("release")],
}).killSuccessCount.apply((killed) => ({ killed }));

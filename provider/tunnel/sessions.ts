/**
 * The sessions behind a tunnel, started and ended by the very lifecycles of `aws.SsmSession` and
 * `alicloud.TerminalSession` (validation, retries, error messages and idempotency are theirs),
 * and the local forwarder of the package's client on top of each.
 */
import { randomUUID } from "node:crypto";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { forwardPort } from "../../client/ecs";
import { forwardSsmPort } from "../../client/ssm";
import { createSsmSessionProvider } from "../resources/ssmSession";
import { createTerminalSessionProvider } from "../resources/terminalSession";
import type { ConfigSource } from "../config";
import { TUNNEL_HOST, type TunnelSpec } from "../schemas/tunnel";

type Lifecycle = dynamic.ResourceProvider<Record<string, unknown>, Record<string, unknown>>;

/** A session a tunnel started. */
export interface StartedSession {
  sessionId: string;
  region: string;
}

/** The local listener of a tunnel. */
export interface Forwarder {
  /** Stops listening and closes the connections (the sessions themselves are ended by `end`). */
  stop(): Promise<void>;
}

/** What a tunnel needs of a cloud. */
export interface TunnelSessions {
  /**
   * Starts a session and listens on the tunnel's local port. `started` hears of every session,
   * before it is used: the first, and any started later while the tunnel is open.
   */
  open(started: (session: StartedSession) => void): Promise<Forwarder>;
  /** Ends a session (also one a crashed run left behind). */
  end(session: StartedSession): Promise<void>;
}

/**
 * The `Reason` an SSM tunnel's sessions carry, `pulumi-sessions tunnel <project>/<stack>/<name>`,
 * so they are recognisable in the session history.
 */
export function tunnelReason(urn: string): string {
  const [head = "", project = "", , name = ""] = urn.split("::");
  const stack = head.split(":")[2] ?? "";
  return `pulumi-sessions tunnel ${project}/${stack}/${name}`.slice(0, 256);
}

/** A lifecycle's check, throwing its failures as one message naming each field. */
async function checked(lifecycle: Lifecycle, inputs: Record<string, unknown>, field: string) {
  const result = await lifecycle.check!({}, inputs);
  const failures = result.failures ?? [];
  if (failures.length > 0) throw new Error(`${field}: ${failures.map((f) => f.reason).join("; ")}`);
  return result.inputs as Record<string, unknown>;
}

/** Ends a session through its resource's delete: an ended or unknown one counts as done. */
const ender = (lifecycle: Lifecycle) => async (s: StartedSession) => {
  await lifecycle.delete?.(s.sessionId, { region: s.region });
};

async function configured(lifecycle: Lifecycle, config: ConfigSource): Promise<Lifecycle> {
  await lifecycle.configure?.({ config } as unknown as dynamic.ConfigureRequest);
  return lifecycle;
}

function awsSessions(
  spec: Extract<TunnelSpec, { cloud: "aws" }>,
  lifecycle: Lifecycle,
  urn: string,
): TunnelSessions {
  const t = spec.inputs;
  return {
    end: ender(lifecycle),
    async open(started) {
      const inputs = await checked(
        lifecycle,
        {
          region: t.region,
          target: t.target,
          documentName: t.remoteHost
            ? "AWS-StartPortForwardingSessionToRemoteHost"
            : "AWS-StartPortForwardingSession",
          parameters: {
            portNumber: [String(t.remotePort)],
            localPortNumber: [String(t.localPort)],
            ...(t.remoteHost ? { host: [t.remoteHost] } : {}),
          },
          reason: tunnelReason(urn),
        },
        "awsTunnel",
      );
      const { id, outs = {} } = await lifecycle.create(inputs);
      started({ sessionId: id, region: String(outs.region) });
      const forward = await forwardSsmPort(
        { streamUrl: String(outs.streamUrl), tokenValue: String(outs.tokenValue) },
        { port: t.localPort, host: TUNNEL_HOST },
      );
      return {
        stop: async () => {
          await forward.close();
        },
      };
    },
  };
}

/** A URL of StartTerminalSession opens new connections for 10 minutes; start a fresh session before. */
const ECS_URL_LIFETIME_MS = 9 * 60_000;

function alicloudSessions(
  spec: Extract<TunnelSpec, { cloud: "alicloud" }>,
  lifecycle: Lifecycle,
  now: () => number,
): TunnelSessions {
  const t = spec.inputs;
  const start = async () => {
    const inputs = await checked(
      lifecycle,
      {
        region: t.region,
        instanceIds: [t.instanceId],
        portNumber: t.portNumber,
        targetServer: t.targetServer,
        connectionType: t.connectionType,
        // One token per start: a repeated token would return the earlier (expired) session.
        clientToken: randomUUID(),
      },
      "alicloudTunnel",
    );
    const { id, outs = {} } = await lifecycle.create(inputs);
    return { sessionId: id, region: String(outs.region), url: String(outs.webSocketUrl), at: now() };
  };
  return {
    end: ender(lifecycle),
    async open(started) {
      let current = await start();
      started(current);
      // Sessions whose URL aged stay up until the tunnel closes: their connections live on.
      let renewing: Promise<void> | undefined;
      const urlFor = async () => {
        if (now() - current.at >= ECS_URL_LIFETIME_MS) {
          renewing ??= start()
            .then((next) => {
              started(next);
              current = next;
            })
            .finally(() => (renewing = undefined));
          await renewing;
        }
        return current.url;
      };
      const forward = await forwardPort(urlFor, { localPort: t.localPort, host: TUNNEL_HOST });
      return { stop: () => forward.close() };
    },
  };
}

/** The sessions of a tunnel, with lifecycles configured from the provider's configuration. */
export async function tunnelSessions(
  spec: TunnelSpec,
  config: ConfigSource,
  urn: string,
  now: () => number = Date.now,
): Promise<TunnelSessions> {
  return spec.cloud === "aws"
    ? awsSessions(spec, await configured(createSsmSessionProvider(), config), urn)
    : alicloudSessions(spec, await configured(createTerminalSessionProvider(), config), now);
}

/**
 * Sessions through the local cloud process, started with the official SDKs: a port-forwarding
 * session of each cloud to a loopback target, and the check run after every fuzz batch that a
 * normal session still works end to end (bytes echoed through our clients and the data plane).
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { SSMClient, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import * as ecs from "../../../client/ecs";
import * as ssm from "../../../client/ssm";
import { roundTrip } from "../../../emulator/dataplane/ssm/testing/cloud";
import { callRpc, openApiClient } from "../../../emulator/testing/alibaba";
import type { ClientProcess } from "./clientProcess";
import { CLOUD_KEY, ECS_INSTANCE, ECS_REGION, SSM_NODE, SSM_REGION, type CloudProcess } from "./cloudProcess";

/** A TCP server on loopback: echoes, unless given another handler. `close` ends its connections too. */
export async function startTarget(onSocket = (s: Socket): unknown => s.pipe(s)) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

export interface SsmSession {
  SessionId: string;
  StreamUrl: string;
  TokenValue: string;
}

export function ssmClient(cloud: CloudProcess): SSMClient {
  return new SSMClient({
    region: SSM_REGION,
    endpoint: cloud.url,
    credentials: { accessKeyId: CLOUD_KEY.accessKeyId, secretAccessKey: CLOUD_KEY.accessKeySecret },
    maxAttempts: 1,
  });
}

/** StartSession (AWS-StartPortForwardingSession to `port`) through the official SDK. */
export async function startSsmSession(ssm: SSMClient, port: number): Promise<SsmSession> {
  const out = await ssm.send(
    new StartSessionCommand({
      Target: SSM_NODE,
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(port)] },
    }),
  );
  return { SessionId: out.SessionId!, StreamUrl: out.StreamUrl!, TokenValue: out.TokenValue! };
}

export async function endSsmSession(ssm: SSMClient, sessionId: string): Promise<void> {
  await ssm.send(new TerminateSessionCommand({ SessionId: sessionId })).catch(() => undefined);
}

/** StartTerminalSession (port forwarding to `port`) through the official Alibaba client. */
export async function startEcsSession(
  cloud: CloudProcess,
  port: number,
): Promise<{ SessionId: string; WebSocketUrl: string }> {
  const r = await callRpc(openApiClient(cloud, CLOUD_KEY), "StartTerminalSession", {
    RegionId: ECS_REGION,
    InstanceId: [ECS_INSTANCE],
    PortNumber: port,
  });
  return r.body as { SessionId: string; WebSocketUrl: string };
}

export async function endEcsSession(cloud: CloudProcess, sessionId: string): Promise<void> {
  await callRpc(openApiClient(cloud, CLOUD_KEY), "EndTerminalSession", {
    RegionId: ECS_REGION,
    SessionId: sessionId,
  }).catch(() => undefined);
}

/**
 * A new SSM and a new ECS port-forwarding session, each carrying 64 KiB to the echo target and
 * back: through our clients in this process, or in `via` (the client process under test).
 */
export async function assertNormalSessions(
  cloud: CloudProcess,
  echoPort: number,
  via?: ClientProcess,
): Promise<void> {
  if (!cloud.alive()) throw new Error(`the local cloud exited:\n${cloud.stderr()}`);
  const api = ssmClient(cloud);
  try {
    const s = await startSsmSession(api, echoPort);
    if (via) {
      const c = via.call({ op: "ssmForward", streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
      await roundTrip((await c.opened)!, 64 * 1024);
      await via.close(c);
    } else {
      const f = await ssm.forwardPort({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
      await roundTrip(f.port, 64 * 1024);
      await f.close();
    }
    await endSsmSession(api, s.SessionId);
  } finally {
    api.destroy();
  }
  const e = await startEcsSession(cloud, echoPort);
  if (via) {
    const c = via.call({ op: "ecsForward", url: e.WebSocketUrl });
    await roundTrip((await c.opened)!, 64 * 1024);
    await via.close(c);
  } else {
    const f = await ecs.forwardPort(e.WebSocketUrl, { startDelayMs: 0 });
    await roundTrip(f.port, 64 * 1024);
    await f.close();
  }
  await endEcsSession(cloud, e.SessionId);
  if (!cloud.alive()) throw new Error(`the local cloud exited:\n${cloud.stderr()}`);
}

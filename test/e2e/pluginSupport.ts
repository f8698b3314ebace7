/**
 * What the plugin's engine tests share: the package installed as a user of another language
 * gets it, the YAML host, an echo server to forward to, and a connection held on a session (an
 * ended session that never had one looks live to DescribeTerminalSessions until its URL expires).
 */
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import * as path from "node:path";
import WebSocket from "ws";
import { AdminClient } from "../../emulator/admin/client";
import type { LocalCloud } from "../../emulator/server";
import {
  createAlicloudClient,
  findTerminalSession,
  type AlicloudRpcClient,
} from "../../provider/clients/alicloud";
import { installProgram, packPackage } from "../support/installedPackage";
import { repoRoot } from "../support/paths";

/** The last stdout line of a repo script (its bin folder). */
export function scriptOutput(script: string, ...args: string[]): string {
  return execFileSync("bash", [path.join(repoRoot, "scripts", script), ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop()!;
}

/** Packs the package and installs it into `dir` from the tarball; returns its `node_modules/.bin`. */
export function installPluginPackage(dir: string): string {
  installProgram(dir, packPackage(path.join(dir, "tarball")), {});
  return path.join(dir, "node_modules", ".bin");
}

/** A TCP echo server on loopback, the port-forwarding target. */
export async function startEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Opens a WebSocket to the session and waits until the cloud reports it Connected. */
export async function connect(
  ecs: AlicloudRpcClient,
  region: string,
  url: string,
  sessionId: string,
): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  for (let i = 0; i < 100; i++) {
    const { record } = await findTerminalSession(ecs, region, sessionId);
    if (record?.connections.some((c) => c.status === "Connected")) return ws;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${sessionId} never showed a Connected connection`);
}

/** What the plugin tests ask the local cloud: an ECS client with the stack's key, its request log, its open sessions. */
export interface CloudProbe {
  ecs(): AlicloudRpcClient;
  /** The ECS calls recorded so far, of one action when given. */
  ecsCalls(action?: string): ReturnType<AdminClient["requests"]>;
  openSessionIds(): Promise<string[]>;
}

export function probeCloud(
  cloud: LocalCloud,
  key: { accessKeyId: string; accessKeySecret: string },
  region: string,
): CloudProbe {
  const admin = new AdminClient(cloud);
  return {
    ecs: () =>
      createAlicloudClient({
        product: "ecs",
        region,
        endpoint: cloud.url,
        credentials: { kind: "static", ...key, source: "test" },
      }),
    async ecsCalls(action) {
      return (await admin.requests()).filter((r) => r.service === "ecs" && (!action || r.action === action));
    },
    async openSessionIds() {
      const all = ((await admin.sessions()).ecs ?? []) as Array<{ sessionId: string; state: string }>;
      return all.filter((s) => s.state === "Open").map((s) => s.sessionId);
    },
  };
}

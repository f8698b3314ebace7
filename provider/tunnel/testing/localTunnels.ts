/**
 * Test helpers: a local cloud with one ECS instance and one SSM target, an echo server they
 * forward to, the provider configuration of each cloud, and what a test asks of them.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../../emulator/server";
import { alicloudClientFor, endTerminalSession, startTerminalSession } from "../../clients/alicloud";
import { ssmClientFor, startSession, terminateSession } from "../../clients/aws";
import { resolveProviderSettings, type ProviderSettings } from "../../config";
import type { TunnelSpec } from "../schema";
import { freePort } from "../inputs";
import type { TunnelJournal } from "../journal";
import { openTunnel } from "../tunnel";

export const ALI_INSTANCE = "i-tunnelunit00001";
export const SSM_TARGET = "i-0tunnelunit0001";
const ALI_REGION = "cn-hangzhou";
const AWS_REGION = "us-west-2";

export interface LocalTunnels {
  cloud: LocalCloud;
  admin: AdminClient;
  /** The port of a server that sends back what it gets. */
  echoPort: number;
  /** The settings of a stack configuration with both clouds' keys and regions. */
  settings: ProviderSettings;
  /** A tunnel spec to the echo server through each cloud, on `localPort`. */
  spec(cloud: "aws" | "alicloud", localPort: number): TunnelSpec;
  /** Live sessions, as the local cloud's admin API lists them. */
  live(): Promise<{ ecs: string[]; ssm: Array<{ sessionId: string; reason?: string }> }>;
  /** Ends a session from the cloud's side (TerminateSession / EndTerminalSession), as an operator would. */
  endFromCloud(cloud: "aws" | "alicloud", sessionId: string): Promise<void>;
  /**
   * Starts a port-forwarding session with these keys, as a run that then crashed would have left
   * it (no journal): SSM with `reason`, ECS to `portNumber` (default the echo port).
   */
  startDirectly(cloud: "aws", reason: string): Promise<string>;
  startDirectly(cloud: "alicloud", portNumber?: number): Promise<string>;
  /** A fresh journal folder. */
  journalDir(): string;
  /** Opens a tunnel, sends bytes through it and closes it: what comes back. */
  roundTripThrough(cloud: "aws" | "alicloud", urn: string, journal: TunnelJournal): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalTunnels(): Promise<LocalTunnels> {
  process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  // Keys made here for this cloud alone.
  const ali = { accessKeyId: "LTAItunnelunit0001", accessKeySecret: randomBytes(16).toString("hex") };
  const aws = { accessKeyId: "AKIATUNNELUNIT0001", accessKeySecret: randomBytes(16).toString("hex") };
  const cloud = await startLocalCloud(
    {
      credentials: [ali, aws],
      ecs: { instances: [{ instanceId: ALI_INSTANCE, regionId: ALI_REGION }] },
      ssm: { targets: [{ target: SSM_TARGET, region: AWS_REGION }] },
    },
    { log: () => {} },
  );
  const echoSockets = new Set<Socket>();
  const echo: Server = createServer((s) => {
    echoSockets.add(s);
    s.once("close", () => echoSockets.delete(s));
    s.on("error", () => s.destroy());
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const echoPort = (echo.address() as { port: number }).port;
  const values: Record<string, string> = {
    "sessions:localCloud": cloud.url,
    "alicloud:region": ALI_REGION,
    "alicloud:accessKey": ali.accessKeyId,
    "alicloud:secretKey": ali.accessKeySecret,
    "aws:region": AWS_REGION,
    "aws:accessKey": aws.accessKeyId,
    "aws:secretKey": aws.accessKeySecret,
  };
  const settings = resolveProviderSettings({ get: (key) => values[key] }, {});
  const admin = new AdminClient(cloud);
  const spec = (which: "aws" | "alicloud", localPort: number): TunnelSpec =>
    which === "aws"
      ? { cloud: "aws", inputs: { target: SSM_TARGET, remotePort: echoPort, localPort } }
      : { cloud: "alicloud", inputs: { instanceId: ALI_INSTANCE, portNumber: echoPort, localPort } };
  const dirs: string[] = [];
  return {
    cloud,
    admin,
    echoPort,
    settings,
    spec,
    async live() {
      const state = (await admin.sessions()) as {
        ecs: Array<{ sessionId: string; active: boolean }>;
        ssm: Array<{ sessionId: string; reason?: string }>;
      };
      return { ecs: state.ecs.filter((s) => s.active).map((s) => s.sessionId), ssm: state.ssm };
    },
    async endFromCloud(which, sessionId) {
      if (which === "aws") await terminateSession(ssmClientFor(settings.aws, AWS_REGION), sessionId);
      else
        await endTerminalSession(alicloudClientFor(settings, "ecs", ALI_REGION), {
          regionId: ALI_REGION,
          sessionId,
        });
    },
    async startDirectly(which: "aws" | "alicloud", detail?: string | number) {
      if (which === "aws")
        return (
          await startSession(ssmClientFor(settings.aws, AWS_REGION), {
            target: SSM_TARGET,
            documentName: "AWS-StartPortForwardingSession",
            reason: String(detail),
            parameters: { portNumber: [String(echoPort)] },
          })
        ).sessionId;
      return (
        await startTerminalSession(alicloudClientFor(settings, "ecs", ALI_REGION), {
          regionId: ALI_REGION,
          instanceIds: [ALI_INSTANCE],
          portNumber: typeof detail === "number" ? detail : echoPort,
        })
      ).sessionId;
    },
    async roundTripThrough(which, urn, journal) {
      const port = await freePort();
      const tunnel = await openTunnel(spec(which, port), settings, { urn, journal });
      try {
        return await roundTrip(port, `${which} through a tunnel`);
      } finally {
        await tunnel.close();
      }
    },
    journalDir() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunnel-journal-"));
      dirs.push(dir);
      return dir;
    },
    async stop() {
      for (const s of echoSockets) s.destroy();
      echo.close();
      await cloud.stop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends `text` through the port and returns what comes back once the far end closes. */
export function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(text));
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) socket.destroy();
    });
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
  });
}

/** Polls `probe` until `done` holds for its value (or the time is up: the last value, for the assertion). */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if ((value !== undefined && done(value)) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

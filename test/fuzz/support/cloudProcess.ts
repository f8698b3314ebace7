/**
 * The local cloud as its own process (`pulumi-sessions local-cloud`, as users run it), so that a
 * crash shows as the process exiting, and its memory can be read apart from the caller's. One
 * ECS instance and one SSM managed node; one key that signs both clouds' requests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnBin, type SpawnedBin } from "../../../cli/testing/spawnBin";

export const CLOUD_KEY = { accessKeyId: "AKIAFUZZ0000000001", accessKeySecret: "fuzz-secret-0001" };
export const ECS_REGION = "cn-hangzhou";
export const ECS_INSTANCE = "i-fuzz0001";
export const SSM_REGION = "eu-west-1";
export const SSM_NODE = "i-0fuzz0000000001";

export interface CloudProcess {
  port: number;
  /** `127.0.0.1:PORT`. */
  endpoint: string;
  url: string;
  adminToken: string;
  pid: number;
  /** True while the process runs. */
  alive(): boolean;
  /** Waits up to `ms` for the process to exit: true if it did (a crash being reported). */
  exitedWithin(ms: number): Promise<boolean>;
  /** What it printed on stderr (the stack of a crash). */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startCloudProcess(): Promise<CloudProcess> {
  const dir = mkdtempSync(join(tmpdir(), "fuzz-cloud-"));
  const configFile = join(dir, "cloud.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      // Requests signed against a capture server keep its Host (and port): let them in.
      allowedHosts: ["127.0.0.1"],
      credentials: [CLOUD_KEY],
      ecs: { instances: [{ instanceId: ECS_INSTANCE, regionId: ECS_REGION }] },
      ssm: { targets: [{ target: SSM_NODE, region: SSM_REGION }] },
    }),
  );
  const bin: SpawnedBin = spawnBin("bin.ts", ["local-cloud", "--config", configFile, "--port", "0"]);
  bin.exited.finally(() => rmSync(dir, { recursive: true, force: true })).catch(() => undefined);
  const info = (await bin.firstLine()) as { endpoint: string; url: string; adminToken: string; pid: number };
  const alive = () => bin.child.exitCode === null && bin.child.signalCode === null;
  return {
    port: Number(info.endpoint.split(":")[1]),
    endpoint: info.endpoint,
    url: info.url,
    adminToken: info.adminToken,
    pid: info.pid,
    alive,
    exitedWithin: (ms) =>
      Promise.race([
        bin.exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(!alive()), ms).unref()),
      ]),
    stderr: () => bin.out.stderr,
    async stop() {
      if (alive()) bin.child.kill("SIGTERM");
      await bin.exited;
    },
  };
}

/** Resident memory of a process in bytes (Linux: /proc). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

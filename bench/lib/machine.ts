/** The machine and software a bench ran on, for RESULTS.md. */
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  pulumi: string;
  /** 1-minute load averages when the bench started and ended: other work on the machine skews timings. */
  loadAverage: { start: number; end?: number };
}

/** `engineBin` is left out by runs whose suites start no engine. */
export function machineInfo(engineBin?: string): MachineInfo {
  const pulumi =
    engineBin === undefined
      ? "(not used)"
      : execFileSync(path.join(engineBin, "pulumi"), ["version"], { encoding: "utf8" }).trim();
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    pulumi,
    loadAverage: { start: Number(os.loadavg()[0].toFixed(2)) },
  };
}

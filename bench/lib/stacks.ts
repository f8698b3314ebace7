/**
 * The two programs the benchmarks compare, each in a stack of its own: `sessions` (N
 * TerminalSessions against a fresh in-process local cloud) and `noop` (N no-op dynamic
 * resources, no cloud). A fresh cloud per stack keeps runs independent (ended sessions from an
 * earlier run would otherwise lengthen refresh's listings and replay client tokens).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalCloud } from "../../emulator/server";
import { summarize, type Summary } from "./stats";
import { TestStack, uniqueSuffix } from "../../test/support/harness";
import { repoRoot } from "../../test/support/paths";
import {
  createSessionStack,
  startCloudFor,
  targetsFor,
  type SpreadOptions,
} from "../../test/support/localCloudStack";

export const PROGRAMS = {
  sessions: path.join(__dirname, "..", "programs", "sessions"),
  noop: path.join(__dirname, "..", "programs", "noop"),
} as const;

export type Variant = keyof typeof PROGRAMS;

/** The provider probe (see providerProbe.js). */
const PROBE = path.join(__dirname, "providerProbe.js");

/** How to run a bench stack. */
export interface BenchStackOptions {
  /** Load the provider probe into the dynamic provider process. */
  probe?: boolean;
  /** `PULUMI_NODEJS_TRANSPILE_ONLY=true`: skip type-checking the program. */
  transpileOnly?: boolean;
  /** How sessions are spread over regions and instances. */
  spread?: SpreadOptions;
  /** More environment for every CLI call (engine settings such as `PULUMI_SKIP_CHECKPOINTS`). */
  env?: Record<string, string>;
}

/** A stack ready for `up`, and what to clean up afterwards. */
export interface BenchStack {
  stack: TestStack;
  /** The local cloud (sessions only). */
  cloud?: LocalCloud;
  /** Where the probe writes (empty unless `probe`). */
  probeFile: string;
  dispose(): Promise<void>;
}

export function envFor(options: BenchStackOptions, probeFile: string): Record<string, string> {
  const env: Record<string, string> = { ...options.env };
  if (options.probe) {
    env.NODE_OPTIONS = `--require ${PROBE}`;
    env.PULUMI_SESSIONS_PROBE_FILE = probeFile;
  }
  if (options.transpileOnly) env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
  return env;
}

/** Scratch space of the bench (probe files), inside the repo's ignored `.work/`. */
export const scratchRoot = path.join(repoRoot, ".work", "bench");

/** A stack of `count` resources of `variant`. */
export async function benchStack(
  variant: Variant,
  count: number,
  options: BenchStackOptions = {},
): Promise<BenchStack> {
  fs.mkdirSync(scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(scratchRoot, `${variant}-`));
  const probeFile = path.join(scratch, "probe.jsonl");
  const removeScratch = () => fs.rmSync(scratch, { recursive: true, force: true });
  if (variant === "noop") {
    const stack = await TestStack.create({
      program: PROGRAMS.noop,
      config: { "bench:count": String(count) },
      env: envFor(options, probeFile),
      stackName: `n${uniqueSuffix()}`,
    });
    return {
      stack,
      probeFile,
      dispose: async () => {
        stack.cleanup();
        removeScratch();
      },
    };
  }
  const targets = targetsFor(count, options.spread);
  const cloud = await startCloudFor(targets);
  const stack = await createSessionStack({
    program: PROGRAMS.sessions,
    endpoint: cloud.url,
    region: targets[0].region,
    config: { "bench:count": String(count), "bench:targets": JSON.stringify(targets) },
    env: envFor(options, probeFile),
  });
  return {
    stack,
    cloud,
    probeFile,
    dispose: async () => {
      stack.cleanup();
      removeScratch();
      await cloud.stop();
    },
  };
}

/** Runs `fn`, returning its result and its wall time in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

/** One arm of an up+destroy comparison. */
export interface UpDestroyArm {
  name: string;
  /** A fresh stack for one run. */
  stack: () => Promise<BenchStack>;
  /** Runs between up and destroy, untimed (reading state sizes). */
  afterUp?: (bench: BenchStack) => Promise<void>;
}

/** Medians of an arm's runs, ms. */
export interface UpDestroyTimes {
  total: Summary;
  up: Summary;
  destroy: Summary;
}

/** Rotates the order of the arms between runs, so drift in machine load hits all of them. */
function rotate<T>(items: readonly T[], run: number): T[] {
  const k = run % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * `runs` rounds of `pulumi up` then `pulumi destroy` of each arm, each on a fresh stack, timed as
 * the CLI's wall time; the arms' order rotates between rounds.
 */
export async function measureUpDestroy(
  arms: readonly UpDestroyArm[],
  runs: number,
): Promise<Record<string, UpDestroyTimes>> {
  const samples = new Map(arms.map((a) => [a.name, { up: [] as number[], destroy: [] as number[] }]));
  for (let run = 0; run < runs; run++) {
    for (const arm of rotate(arms, run)) {
      const bench = await arm.stack();
      try {
        const [, up] = await timed(() => bench.stack.up());
        await arm.afterUp?.(bench);
        const [, destroy] = await timed(() => bench.stack.destroy());
        const s = samples.get(arm.name)!;
        s.up.push(up);
        s.destroy.push(destroy);
        process.stderr.write(
          `bench: up+destroy ${arm.name} run ${run + 1}/${runs}: ${Math.round(up)} + ${Math.round(destroy)} ms\n`,
        );
      } finally {
        await bench.dispose();
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, s]) => [
      name,
      {
        total: summarize(s.up.map((up, i) => up + s.destroy[i])),
        up: summarize(s.up),
        destroy: summarize(s.destroy),
      },
    ]),
  );
}

/** One line the probe wrote. */
export interface ProbeEvent {
  pid: number;
  event: string;
  /** Milliseconds since the provider process started. */
  ms: number;
  /** Epoch ms of the process start. */
  origin: number;
  /** For `<rpc>:inflight`: the new high of concurrent calls. */
  n?: number;
}

/** The probe's lines, grouped by provider process, in the order the processes started. */
export function readProbe(file: string): ProbeEvent[][] {
  if (!fs.existsSync(file)) return [];
  const events = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as ProbeEvent);
  const byPid = new Map<number, ProbeEvent[]>();
  for (const e of events) byPid.set(e.pid, [...(byPid.get(e.pid) ?? []), e]);
  return [...byPid.values()].sort((a, b) => a[0].origin - b[0].origin);
}

/** The `ms` of an event of a process, or undefined. */
export function at(events: readonly ProbeEvent[], event: string): number | undefined {
  return events.find((e) => e.event === event)?.ms;
}

/** The highest `n` of `<rpc>:inflight` events (1 when the RPC ran but never overlapped). */
export function peakInFlight(events: readonly ProbeEvent[], rpc: string): number {
  return Math.max(0, ...events.filter((e) => e.event === `${rpc}:inflight`).map((e) => e.n ?? 0));
}

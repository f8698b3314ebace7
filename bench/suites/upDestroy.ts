/**
 * Goal 1: `pulumi up` then `pulumi destroy` of 50 TerminalSessions vs 50 no-op dynamic
 * resources (ratio of medians, goal <= 1.15x). Goal 3: state sizes, from the `stack export` of
 * the first sessions run (deterministic, so one export is enough).
 */
import { benchStack, measureUpDestroy, type Variant } from "../lib/stacks";
import type { Figure, SuiteResult } from "../lib/types";
import type { StateResource } from "../../test/support/harness";
import { TERMINAL_SESSION_TYPE } from "../../test/support/localCloudStack";

const COUNT = 50;
const NOOP_TYPE = "pulumi-nodejs:dynamic/bench:Noop";

export interface UpDestroyOptions {
  /** Runs per variant (median taken). */
  runs: number;
  /** Runs per variant with the program's type-check off (attribution; 0 skips). */
  transpileOnlyRuns: number;
}

/** Byte counts of one exported state. */
interface StateSizes {
  /** Bytes of one `__provider` value (it is stored twice per resource: inputs and outputs). */
  providerBytes: number;
  /** Both copies. */
  providerBytesPerResource: number;
  /** The whole `stack export` divided by the number of sessions (headers included). */
  exportBytesPerSession: number;
  /** One session's resource entry as compact JSON. */
  entryBytes: number;
  /** The raw checkpoint file divided by the number of sessions. */
  rawBytesPerSession: number;
}

function bytes(value: unknown): number {
  return typeof value === "string" ? Buffer.byteLength(value) : 0;
}

function stateSizes(exportText: string, raw: string, type: string): StateSizes {
  const resources = (JSON.parse(exportText) as { deployment: { resources: StateResource[] } }).deployment
    .resources;
  const ours = resources.filter((r) => r.type === type);
  if (ours.length === 0) throw new Error(`no ${type} in state`);
  const first = ours[0];
  return {
    providerBytes: bytes(first.outputs?.__provider),
    providerBytesPerResource: bytes(first.inputs?.__provider) + bytes(first.outputs?.__provider),
    exportBytesPerSession: Math.round(Buffer.byteLength(exportText) / ours.length),
    entryBytes: Math.max(...ours.map((r) => Buffer.byteLength(JSON.stringify(r)))),
    rawBytesPerSession: Math.round(Buffer.byteLength(raw) / ours.length),
  };
}

/** A measured variant: a program, and for the no-op program optionally a padding input. */
interface Arm {
  name: string;
  variant: Variant;
  padBytes?: number;
}

function measure(
  arms: readonly Arm[],
  runs: number,
  transpileOnly: boolean,
  sizes: Partial<Record<Variant, StateSizes>>,
) {
  return measureUpDestroy(
    arms.map((arm) => ({
      name: arm.name,
      stack: async () => {
        const bench = await benchStack(arm.variant, COUNT, { transpileOnly });
        if (arm.padBytes) await bench.stack.setConfig("bench:padBytes", String(arm.padBytes));
        return bench;
      },
      afterUp: async (bench) => {
        if (sizes[arm.variant] || arm.padBytes) return;
        const type = arm.variant === "sessions" ? TERMINAL_SESSION_TYPE : NOOP_TYPE;
        sizes[arm.variant] = stateSizes(await bench.stack.exportText(), bench.stack.rawState(), type);
      },
    })),
    runs,
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function upDestroySuite(options: UpDestroyOptions): Promise<SuiteResult> {
  const started = Date.now();
  const sizes: Partial<Record<Variant, StateSizes>> = {};
  const main = await measure(
    [
      { name: "sessions", variant: "sessions" },
      { name: "noop", variant: "noop" },
    ],
    options.runs,
    false,
    sizes,
  );
  const ratio = main.sessions.total.median / main.noop.total.median;
  const figures: Figure[] = [
    {
      id: "1",
      what: `up + destroy of ${COUNT} TerminalSessions vs ${COUNT} no-op dynamic resources`,
      goal: "<= 1.15x",
      measured: `${ratio.toFixed(2)}x (${seconds(main.sessions.total.median)} vs ${seconds(main.noop.total.median)})`,
      pass: ratio <= 1.15,
      details: { ratio, ...main },
    },
  ];
  if (options.transpileOnlyRuns > 0 && sizes.sessions && sizes.noop) {
    // Padding each no-op resource's state to a session's size separates what the state's size
    // costs the engine (checkpoint writes, gRPC) from what the provider and package cost.
    const padBytes = Math.max(0, Math.round((sizes.sessions.entryBytes - sizes.noop.entryBytes) / 2));
    const plain = await measure(
      [
        { name: "sessions", variant: "sessions" },
        { name: "noop", variant: "noop" },
        { name: "noopPadded", variant: "noop", padBytes },
      ],
      options.transpileOnlyRuns,
      true,
      {},
    );
    const plainRatio = plain.sessions.total.median / plain.noop.total.median;
    const paddedRatio = plain.noopPadded.total.median / plain.noop.total.median;
    figures.push({
      id: "1b",
      what:
        "attribution, program type-check off (PULUMI_NODEJS_TRANSPILE_ONLY=true): sessions vs no-op, and no-op " +
        `padded to a session's state size (${padBytes} B more in inputs and outputs) vs no-op`,
      goal: "<= 1.15x",
      measured:
        `${plainRatio.toFixed(2)}x (${seconds(plain.sessions.total.median)} vs ${seconds(plain.noop.total.median)}); ` +
        `padded no-op ${paddedRatio.toFixed(2)}x (${seconds(plain.noopPadded.total.median)})`,
      pass: plainRatio <= 1.15,
      details: { ratio: plainRatio, paddedRatio, padBytes, ...plain },
    });
  }
  const s = sizes.sessions!;
  figures.push(
    {
      id: "3a",
      what: "bytes of `__provider` per resource (one copy; state holds it in inputs and outputs)",
      goal: "<= 3 KB",
      measured: `${s.providerBytes} B (both copies ${s.providerBytesPerResource} B; no-op provider ${sizes.noop?.providerBytes ?? "?"} B)`,
      pass: s.providerBytes <= 3000,
      details: { sessions: s, noop: sizes.noop },
    },
    {
      id: "3b",
      what: "bytes of state per session (`stack export` size / sessions, headers included)",
      goal: "<= 8 KB",
      measured: `${s.exportBytesPerSession} B (compact entry ${s.entryBytes} B; raw checkpoint ${s.rawBytesPerSession} B)`,
      pass: s.exportBytesPerSession <= 8000,
      details: { sessions: s },
    },
  );
  return {
    suite: "upDestroy",
    method:
      "Each run creates a fresh stack (and, for sessions, a fresh local cloud), then times `pulumi up --yes " +
      "--skip-preview` and `pulumi destroy --yes --skip-preview` (wall time of the CLI, as the harness runs it). " +
      "The order of the variants rotates from run to run. Ratio = median(sessions) / median(no-op). The attribution " +
      "runs (1b) turn the program's type-check off and add a third arm: the no-op program with a padding input that " +
      "gives each resource a session's state size; what it adds over the no-op is the cost of the state's size, the " +
      "rest of the gap is the package and the provider. State sizes come from the first sessions run's " +
      "`pulumi stack export` and raw checkpoint.",
    figures,
    durationMs: Date.now() - started,
  };
}

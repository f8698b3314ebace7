/**
 * Goal 2: the dynamic provider process's cold start to its first create, TerminalSession vs a
 * no-op dynamic provider (difference of medians, goal <= +300 ms).
 *
 * Measured inside the provider process by bench/lib/providerProbe.js (NODE_OPTIONS=--require):
 * from the process's start (`performance.timeOrigin`) to the first `Create` RPC's answer. Each
 * run is a fresh stack of one resource, so every run starts a new provider process.
 */
import { summarize } from "../lib/stats";
import { at, benchStack, readProbe, type Variant } from "../lib/stacks";
import type { SuiteResult } from "../lib/types";

export interface ColdStartOptions {
  /** Runs per variant (median taken). */
  runs: number;
}

/** Milestones of one provider process, ms since it started. */
export interface Milestones {
  /** The probe ran (Node booted, before @pulumi/pulumi loads). */
  probe: number;
  /** The gRPC server listens. */
  listening: number;
  /** The first Check answered (the provider code is loaded here: `__provider` is deserialized). */
  checkEnd: number;
  /** The first Create started and answered. */
  createStart: number;
  createEnd: number;
}

/** The milestones of the provider process that answered a create, from a probe file. */
export function milestones(file: string): Milestones {
  const process = readProbe(file).find((events) => at(events, "create:end") !== undefined);
  if (!process) throw new Error(`the probe saw no create in ${file}`);
  const need = (event: string) => {
    const ms = at(process, event);
    if (ms === undefined) throw new Error(`the probe saw no ${event}`);
    return ms;
  };
  return {
    probe: need("probe"),
    listening: need("listening"),
    checkEnd: need("check:end"),
    createStart: need("create:start"),
    createEnd: need("create:end"),
  };
}

/** Medians of the milestones of some runs: to the first create answered, and its parts. */
export function breakdown(runs: readonly Milestones[]) {
  const field = (f: (m: Milestones) => number) => summarize(runs.map(f));
  return {
    toFirstCreate: field((m) => m.createEnd),
    toListening: field((m) => m.listening),
    listeningToCheckEnd: field((m) => m.checkEnd - m.listening),
    firstCreate: field((m) => m.createEnd - m.createStart),
  };
}

export async function coldStartSuite(options: ColdStartOptions): Promise<SuiteResult> {
  const started = Date.now();
  const runs: Record<Variant, Milestones[]> = { sessions: [], noop: [] };
  for (let run = 0; run < options.runs; run++) {
    const variants: Variant[] = run % 2 === 0 ? ["sessions", "noop"] : ["noop", "sessions"];
    for (const variant of variants) {
      const bench = await benchStack(variant, 1, { probe: true });
      try {
        await bench.stack.up();
        const m = milestones(bench.probeFile);
        runs[variant].push(m);
        process.stderr.write(
          `bench: cold start ${variant} run ${run + 1}/${options.runs}: first create answered at ${Math.round(m.createEnd)} ms\n`,
        );
      } finally {
        await bench.dispose();
      }
    }
  }
  const sessions = breakdown(runs.sessions);
  const noop = breakdown(runs.noop);
  const delta = sessions.toFirstCreate.median - noop.toFirstCreate.median;
  return {
    suite: "coldStart",
    method:
      "`NODE_OPTIONS=--require bench/lib/providerProbe.js` loads a probe into the processes the engine starts; it acts " +
      "only in the dynamic provider process, wraps its gRPC handlers and logs, in ms since the process started " +
      "(`performance.timeOrigin`), when the server listens and when the first Check and Create start and answer. " +
      "Each run is a fresh stack of one resource (a new provider process), `pulumi up`; variants alternate. " +
      "Figure = median(start -> first Create answered) of TerminalSession minus the same for the no-op provider. " +
      "The session's first Create includes loading the package, the SDK and two local-cloud calls (Start, Describe).",
    figures: [
      {
        id: "2",
        what: "provider process start to its first create answered, TerminalSession vs no-op provider",
        goal: "<= +300 ms",
        measured: `${delta >= 0 ? "+" : ""}${Math.round(delta)} ms (${Math.round(sessions.toFirstCreate.median)} vs ${Math.round(noop.toFirstCreate.median)} ms)`,
        pass: delta <= 300,
        details: { deltaMs: Math.round(delta), sessions, noop },
      },
    ],
    durationMs: Date.now() - started,
  };
}

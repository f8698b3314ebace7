/**
 * How much each fuzz surface runs, and the record of what it ran. Reproducible: every surface
 * draws from FUZZ_SEED (default below); FUZZ_BUDGET_MS (default 45 s) is the time the
 * properties of the whole suite may take together, shared out by each surface's weight, and
 * FUZZ_RUNS caps the inputs of every surface. A failure is reported with fast-check's shrunk
 * input and the seed and path that replay it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fc } from "@fast-check/jest";

const DEFAULT_SEED = 230_023;
const DEFAULT_BUDGET_MS = 45_000;
const DEFAULT_RUNS = 1500;
/** The surfaces' shares of the budget: a session per input makes the frame surfaces the slow ones. */
const WEIGHTS = {
  "control-plane ACS RPC": 1,
  "control-plane AWS JSON 1.1": 1,
  "upgrade SSM data plane": 1,
  "upgrade ECS data plane": 1,
  "SSM frames to the local cloud": 3,
  "ECS frames to the local cloud": 3,
  "admin API bodies": 1,
  "SSM frames to client/ssm": 3,
  "ECS frames to client/ecs": 3,
} as const;
export type Surface = keyof typeof WEIGHTS;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

export const FUZZ_SEED = envNumber("FUZZ_SEED", DEFAULT_SEED);
const BUDGET_MS = envNumber("FUZZ_BUDGET_MS", DEFAULT_BUDGET_MS);
const MAX_RUNS = envNumber("FUZZ_RUNS", DEFAULT_RUNS);

const totalWeight = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
const COUNTS_FILE = path.join(__dirname, "..", "..", "..", ".work", "fuzz-counts.json");

interface SurfaceCount {
  inputs: number;
  shrinks: number;
  failed: boolean;
  interrupted: boolean;
  seed: number;
  ms: number;
}

/** Adds one surface's figures to .work/fuzz-counts.json (each test file adds its own). */
function record(surface: Surface, count: SurfaceCount): void {
  fs.mkdirSync(path.dirname(COUNTS_FILE), { recursive: true });
  let all: Record<string, SurfaceCount> = {};
  try {
    all = JSON.parse(fs.readFileSync(COUNTS_FILE, "utf8")) as Record<string, SurfaceCount>;
  } catch {
    // First surface of a run, or an unreadable leftover: start afresh.
  }
  all[surface] = count;
  fs.writeFileSync(COUNTS_FILE, `${JSON.stringify(all, null, 2)}\n`);
}

/**
 * Runs `property` over `surface`'s share of the budget and fails with the shrunk input when it
 * does not hold. Returns the number of inputs tried (without the shrinking runs).
 */
export async function fuzz<T>(surface: Surface, property: fc.IAsyncProperty<T>): Promise<number> {
  const started = Date.now();
  const details = await fc.check(property, {
    seed: FUZZ_SEED,
    numRuns: MAX_RUNS,
    interruptAfterTimeLimit: Math.round((BUDGET_MS * WEIGHTS[surface]) / totalWeight),
  });
  record(surface, {
    inputs: details.numRuns,
    shrinks: details.numShrinks,
    failed: details.failed,
    interrupted: details.interrupted,
    seed: FUZZ_SEED,
    ms: Date.now() - started,
  });
  process.stderr.write(
    `fuzz: ${surface}: ${details.numRuns} inputs, ${details.failed ? "FAILED" : "0 crashes"}\n`,
  );
  if (details.failed) {
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${surface}: ${fc.defaultReportMessage(details)}\nWhat went wrong: ${cause}`);
  }
  return details.numRuns;
}

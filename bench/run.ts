/**
 * `npm run bench`: the benchmarks of issue 8, under the real engine against the local cloud.
 * Writes bench/results.json and bench/RESULTS.md. Never asserts timings: it reports figures
 * against goals.
 *
 *   npm run bench                               every suite, default run counts (~10 min on 2 cores)
 *   npm run bench -- --runs 3 --cold-runs 5     fewer runs
 *   npm run bench -- --only coldStart,scaling   some suites (upDestroy, coldStart, scaling, portForward, plugin, tunnel, backpressure, forwardFloor, drops, command)
 *
 * Options (or environment variables): --runs / BENCH_RUNS (up+destroy runs per variant, 5),
 * --transpile-only-runs / BENCH_TRANSPILE_ONLY_RUNS (attribution runs, 3; 0 skips),
 * --cold-runs / BENCH_COLD_RUNS (7), --scaling-runs / BENCH_SCALING_RUNS (3),
 * --scaling-attribution-runs / BENCH_SCALING_ATTRIBUTION_RUNS (checkpoints off, 2; 0 skips),
 * --sizes / BENCH_SIZES (10,50,100), --transfer-mb / BENCH_TRANSFER_MB (port forward bulk
 * transfer, 64), --round-trips / BENCH_ROUND_TRIPS (1 KB round trips per arm, 500),
 * --plugin-runs / BENCH_PLUGIN_RUNS (plugin vs dynamic up+destroy runs per arm, 3),
 * --plugin-cold-runs / BENCH_PLUGIN_COLD_RUNS (plugin vs dynamic cold starts per door, 5),
 * --tunnel-runs / BENCH_TUNNEL_RUNS (rounds of tunnel and direct runs per figure, 9),
 * --backpressure-mb / BENCH_BACKPRESSURE_MB (pushed at a peer that reads nothing, 64),
 * --floor-runs / BENCH_FLOOR_RUNS (SSM forward vs its WebSocket floor, runs per arm, 5),
 * --drops-deadline-s / BENCH_DROPS_DEADLINE_S (each arm of the forced-drops suite stops by then, 180),
 * --command-runs / BENCH_COMMAND_RUNS (Commands vs local commands, up+destroy runs per arm, 1),
 * --only / BENCH_ONLY.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as prettier from "prettier";
import globalSetup from "../test/e2e/globalSetup";
import { engineBin } from "../test/support/harness";
import { machineInfo } from "./lib/machine";
import { renderMarkdown, type BenchReport } from "./lib/report";
import type { SuiteResult } from "./lib/types";
import { backpressureSuite } from "./suites/backpressure";
import { coldStartSuite } from "./suites/coldStart";
import { commandSuite } from "./suites/command";
import { dropsSuite } from "./suites/drops";
import { forwardFloorSuite } from "./suites/forwardFloor";
import { pluginSuite } from "./suites/plugin";
import { portForwardSuite } from "./suites/portForward";
import { scalingSuite } from "./suites/scaling";
import { tunnelSuite } from "./suites/tunnel";
import { upDestroySuite } from "./suites/upDestroy";

const SUITES = [
  "upDestroy",
  "coldStart",
  "scaling",
  "portForward",
  "plugin",
  "tunnel",
  "backpressure",
  "forwardFloor",
  "drops",
  "command",
] as const;
/** Suites that run no Pulumi program: they need neither the engine nor the installed package. */
const WITHOUT_ENGINE: readonly SuiteName[] = ["backpressure", "forwardFloor", "drops"];
type SuiteName = (typeof SUITES)[number];

interface Settings {
  runs: number;
  transpileOnlyRuns: number;
  coldRuns: number;
  scalingRuns: number;
  scalingAttributionRuns: number;
  sizes: number[];
  transferMB: number;
  roundTrips: number;
  pluginRuns: number;
  pluginColdRuns: number;
  tunnelRuns: number;
  backpressureMB: number;
  floorRuns: number;
  dropsDeadlineS: number;
  commandRuns: number;
  only: SuiteName[];
}

/** `--name value` from argv, else the environment variable, else the default. */
function option(argv: string[], name: string, env: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
  return process.env[env] ?? fallback;
}

function count(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${what} must be an integer >= ${min} (got "${text}")`);
  return n;
}

export function parseSettings(argv: string[]): Settings {
  const only = option(argv, "only", "BENCH_ONLY", SUITES.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const s of only)
    if (!SUITES.includes(s as SuiteName)) throw new Error(`unknown suite "${s}" (${SUITES.join(", ")})`);
  return {
    runs: count(option(argv, "runs", "BENCH_RUNS", "5"), "--runs", 1),
    transpileOnlyRuns: count(
      option(argv, "transpile-only-runs", "BENCH_TRANSPILE_ONLY_RUNS", "3"),
      "--transpile-only-runs",
      0,
    ),
    coldRuns: count(option(argv, "cold-runs", "BENCH_COLD_RUNS", "7"), "--cold-runs", 1),
    scalingRuns: count(option(argv, "scaling-runs", "BENCH_SCALING_RUNS", "3"), "--scaling-runs", 1),
    scalingAttributionRuns: count(
      option(argv, "scaling-attribution-runs", "BENCH_SCALING_ATTRIBUTION_RUNS", "2"),
      "--scaling-attribution-runs",
      0,
    ),
    sizes: option(argv, "sizes", "BENCH_SIZES", "10,50,100")
      .split(",")
      .map((s) => count(s.trim(), "--sizes", 1))
      .sort((a, b) => a - b),
    transferMB: count(option(argv, "transfer-mb", "BENCH_TRANSFER_MB", "64"), "--transfer-mb", 1),
    roundTrips: count(option(argv, "round-trips", "BENCH_ROUND_TRIPS", "500"), "--round-trips", 10),
    pluginRuns: count(option(argv, "plugin-runs", "BENCH_PLUGIN_RUNS", "3"), "--plugin-runs", 1),
    pluginColdRuns: count(
      option(argv, "plugin-cold-runs", "BENCH_PLUGIN_COLD_RUNS", "5"),
      "--plugin-cold-runs",
      1,
    ),
    tunnelRuns: count(option(argv, "tunnel-runs", "BENCH_TUNNEL_RUNS", "9"), "--tunnel-runs", 1),
    backpressureMB: count(
      option(argv, "backpressure-mb", "BENCH_BACKPRESSURE_MB", "64"),
      "--backpressure-mb",
      1,
    ),
    floorRuns: count(option(argv, "floor-runs", "BENCH_FLOOR_RUNS", "5"), "--floor-runs", 1),
    dropsDeadlineS: count(
      option(argv, "drops-deadline-s", "BENCH_DROPS_DEADLINE_S", "180"),
      "--drops-deadline-s",
      10,
    ),
    commandRuns: count(option(argv, "command-runs", "BENCH_COMMAND_RUNS", "1"), "--command-runs", 1),
    only: only as SuiteName[],
  };
}

/**
 * A partial run (--only) keeps the figures of the suites it did not run from the last
 * results.json, so RESULTS.md still lists every suite (each with its own measured duration).
 */
function withEarlierSuites(ran: SuiteResult[]): SuiteResult[] {
  const file = path.join(__dirname, "results.json");
  const earlier = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, "utf8")) as BenchReport).suites
    : [];
  const byName = new Map([...earlier, ...ran].map((s) => [s.suite, s]));
  return [...byName.values()].sort(
    (a, b) => SUITES.indexOf(a.suite as SuiteName) - SUITES.indexOf(b.suite as SuiteName),
  );
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  // Nothing may leave loopback: no instance-metadata credential lookups.
  process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  // The e2e setup: the engine (built on first use) and the package installed in node_modules.
  const needsEngine = settings.only.some((s) => !WITHOUT_ENGINE.includes(s));
  if (needsEngine) globalSetup();
  const started = Date.now();
  const report: BenchReport = {
    date: new Date(started).toISOString(),
    machine: machineInfo(needsEngine ? engineBin() : undefined),
    settings: { ...settings },
    suites: [],
    durationMs: 0,
  };
  const run: Record<SuiteName, () => Promise<SuiteResult>> = {
    upDestroy: () => upDestroySuite({ runs: settings.runs, transpileOnlyRuns: settings.transpileOnlyRuns }),
    coldStart: () => coldStartSuite({ runs: settings.coldRuns }),
    scaling: () =>
      scalingSuite({
        sizes: settings.sizes,
        runs: settings.scalingRuns,
        attributionRuns: settings.scalingAttributionRuns,
      }),
    portForward: () =>
      portForwardSuite({
        transferBytes: settings.transferMB * 2 ** 20,
        ecsBytes: 3 * 2 ** 20,
        roundTrips: settings.roundTrips,
      }),
    plugin: () => pluginSuite({ runs: settings.pluginRuns, coldRuns: settings.pluginColdRuns }),
    tunnel: () => tunnelSuite({ runs: settings.tunnelRuns }),
    backpressure: () =>
      backpressureSuite({
        pushBytes: settings.backpressureMB * 2 ** 20,
        ecsBytes: 3 * 2 ** 20,
        stallMs: 3000,
      }),
    forwardFloor: () =>
      forwardFloorSuite({
        transferBytes: settings.transferMB * 2 ** 20,
        runs: settings.floorRuns,
        pluginBytes: Math.min(settings.transferMB, 8) * 2 ** 20,
      }),
    drops: () =>
      dropsSuite({
        transferBytes: settings.transferMB * 2 ** 20,
        connections: 20,
        drops: 10,
        deadlineMs: settings.dropsDeadlineS * 1000,
        stallMs: 15_000,
      }),
    command: () => commandSuite({ runs: settings.commandRuns }),
  };
  for (const name of SUITES) {
    if (!settings.only.includes(name)) continue;
    process.stderr.write(`bench: suite ${name}\n`);
    report.suites.push(await run[name]());
  }
  report.durationMs = Date.now() - started;
  report.suites = withEarlierSuites(report.suites);
  report.machine.loadAverage.end = Number(os.loadavg()[0].toFixed(2));
  fs.writeFileSync(path.join(__dirname, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  // Formatted as `npm run lint` (prettier --check .) expects: prettier aligns Markdown tables.
  const file = path.join(__dirname, "RESULTS.md");
  const markdown = await prettier.format(renderMarkdown(report), {
    ...(await prettier.resolveConfig(file)),
    filepath: file,
  });
  fs.writeFileSync(file, markdown);
  process.stdout.write(markdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

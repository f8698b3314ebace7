/**
 * Goals 4 and 5, from the same runs: for N sessions (10, 50, 100), `pulumi up`, `pulumi refresh`
 * and `pulumi destroy` of a fresh stack against a fresh local cloud.
 * - 4: API calls one refresh makes (the local cloud's request log), goal <= N/10.
 * - 5: how the time grows with N: linear or better (log-log slope <= 1.05), with the engine's
 *   parallelism (default 8) seen in the provider (peak concurrent Creates). For attribution, the
 *   same steps on N no-op dynamic resources (the engine's own growth), and both again with the
 *   engine's per-step checkpoint turned off (`PULUMI_SKIP_CHECKPOINTS`): the file backend
 *   rewrites the whole state after every step, which is quadratic in N for any resource.
 * Sessions are spread over regions of at most 50 (the cloud allows 100 active per region).
 */
import { AdminClient } from "../../emulator/admin/client";
import { logLogSlope, summarize, type Summary } from "../lib/stats";
import { benchStack, peakInFlight, readProbe, timed, type Variant } from "../lib/stacks";
import type { Figure, SuiteResult } from "../lib/types";

export interface ScalingOptions {
  /** Session counts, ascending. */
  sizes: number[];
  /** Runs per size (median taken). */
  runs: number;
  /** Runs per size with the engine's checkpoints off (attribution; 0 skips). */
  attributionRuns: number;
}

/** How the engine runs: as users run it, or with its per-step checkpoint off (attribution). */
interface EngineArm {
  /** Added to the progress lines. */
  label: string;
  env: Record<string, string>;
}
const DEFAULT_ENGINE: EngineArm = { label: "", env: {} };
const NO_CHECKPOINTS: EngineArm = { label: " (checkpoints off)", env: { PULUMI_SKIP_CHECKPOINTS: "true" } };

interface SizeResult {
  n: number;
  regions: number;
  up: Summary;
  refresh: Summary;
  destroy: Summary;
  total: Summary;
  /** API calls per refresh, by action (median run). */
  refreshCalls: Summary;
  refreshCallsByAction: Record<string, number>;
  /** Highest number of concurrent Create RPCs the provider served. */
  peakConcurrentCreates: number;
}

/** What one run of one variant at one size measured. */
interface RunSample {
  up: number;
  refresh: number;
  destroy: number;
  calls: number;
  byAction: Record<string, number>;
  regions: number;
  peak: number;
}

async function runOnce(variant: Variant, n: number, arm: EngineArm): Promise<RunSample> {
  const bench = await benchStack(variant, n, { probe: true, env: arm.env });
  try {
    const admin = bench.cloud ? new AdminClient(bench.cloud) : undefined;
    const regions = new Set(bench.cloud?.config.ecs.instances.map((i) => i.regionId)).size;
    const [, up] = await timed(() => bench.stack.up());
    const peak = Math.max(0, ...readProbe(bench.probeFile).map((events) => peakInFlight(events, "create")));
    await admin?.clearRequests();
    const [, refresh] = await timed(() => bench.stack.refresh());
    const rows = (await admin?.requests()) ?? [];
    const byAction: Record<string, number> = {};
    for (const r of rows) byAction[r.action ?? "unknown"] = (byAction[r.action ?? "unknown"] ?? 0) + 1;
    const [, destroy] = await timed(() => bench.stack.destroy());
    process.stderr.write(
      `bench: ${variant}${arm.label} N=${n}: up ${Math.round(up)} ms, refresh ${Math.round(refresh)} ms (${rows.length} calls), destroy ${Math.round(destroy)} ms\n`,
    );
    return { up, refresh, destroy, calls: rows.length, byAction, regions, peak };
  } finally {
    await bench.dispose();
  }
}

function sizeResult(n: number, samples: RunSample[]): SizeResult {
  return {
    n,
    regions: samples[0].regions,
    up: summarize(samples.map((r) => r.up)),
    refresh: summarize(samples.map((r) => r.refresh)),
    destroy: summarize(samples.map((r) => r.destroy)),
    total: summarize(samples.map((r) => r.up + r.refresh + r.destroy)),
    refreshCalls: summarize(samples.map((r) => r.calls)),
    refreshCallsByAction: samples[samples.length - 1].byAction,
    peakConcurrentCreates: Math.max(...samples.map((r) => r.peak)),
  };
}

/**
 * Sessions and no-op resources at one size, `runs` times each, interleaved (the order flips
 * from run to run) so both see the same machine.
 */
async function measurePair(
  n: number,
  runs: number,
  arm: EngineArm,
): Promise<{ sessions: SizeResult; noop: SizeResult }> {
  const samples: Record<Variant, RunSample[]> = { sessions: [], noop: [] };
  for (let run = 0; run < runs; run++) {
    const order: Variant[] = run % 2 === 0 ? ["sessions", "noop"] : ["noop", "sessions"];
    for (const variant of order) samples[variant].push(await runOnce(variant, n, arm));
  }
  return { sessions: sizeResult(n, samples.sessions), noop: sizeResult(n, samples.noop) };
}

/** Marginal time per added resource between consecutive sizes (medians of up+refresh+destroy). */
function marginalsOf(rs: SizeResult[]): number[] {
  return rs.slice(1).map((r, i) => (r.total.median - rs[i].total.median) / (r.n - rs[i].n));
}

const ms = (values: number[]) => values.map((m) => `${Math.round(m)}`).join(" -> ");

export async function scalingSuite(options: ScalingOptions): Promise<SuiteResult> {
  const started = Date.now();
  const results: SizeResult[] = [];
  const baseline: SizeResult[] = [];
  const offResults: SizeResult[] = [];
  const offBaseline: SizeResult[] = [];
  for (const n of options.sizes) {
    const pair = await measurePair(n, options.runs, DEFAULT_ENGINE);
    results.push(pair.sessions);
    baseline.push(pair.noop);
    if (options.attributionRuns > 0) {
      const off = await measurePair(n, options.attributionRuns, NO_CHECKPOINTS);
      offResults.push(off.sessions);
      offBaseline.push(off.noop);
    }
  }

  const callsOk = results.every((r) => r.refreshCalls.max <= r.n / 10);
  const calls = results.map((r) => `N=${r.n}: ${r.refreshCalls.median}`).join(", ");

  const marginals = marginalsOf(results);
  const baselineMarginals = marginalsOf(baseline);
  const slope = logLogSlope(
    results.map((r) => r.n),
    results.map((r) => r.total.median),
  );
  const times = results.map((r) => `N=${r.n}: ${(r.total.median / 1000).toFixed(1)} s`).join(", ");
  const peak = Math.max(...results.map((r) => r.peakConcurrentCreates));

  const figures: Figure[] = [
    {
      id: "4",
      what: "API calls per `pulumi refresh` of N sessions (every run)",
      goal: "<= N/10",
      measured: calls,
      pass: callsOk,
      details: {
        perSize: results.map((r) => ({
          n: r.n,
          regions: r.regions,
          calls: r.refreshCalls,
          byAction: r.refreshCallsByAction,
        })),
      },
    },
    {
      id: "5",
      what: "up + refresh + destroy time as N grows",
      goal: "linear or better",
      measured:
        `${times}: log-log slope ${slope.toFixed(2)}; up to ${peak} creates in flight. ` +
        `Marginal ms per resource, sessions ${ms(marginals)}, no-op ${ms(baselineMarginals)}` +
        (offResults.length > 0
          ? `; with the engine's checkpoints off, sessions ${ms(marginalsOf(offResults))}, ` +
            `no-op ${ms(marginalsOf(offBaseline))}`
          : ""),
      pass: slope <= 1.05,
      details: {
        perSize: results,
        marginalMsPerSession: marginals,
        logLogSlope: slope,
        peakConcurrentCreates: peak,
        noopBaseline: { perSize: baseline, marginalMsPerResource: baselineMarginals },
        checkpointsOff: {
          sessions: { perSize: offResults, marginalMsPerSession: marginalsOf(offResults) },
          noop: { perSize: offBaseline, marginalMsPerResource: marginalsOf(offBaseline) },
        },
      },
    },
  ];
  return {
    suite: "scaling",
    method:
      "Per N and run: a fresh local cloud whose inventory has ceil(N/50) regions of 5 instances, sessions spread " +
      "round-robin; `pulumi up`, then the request log is cleared and `pulumi refresh --yes --skip-preview` runs, " +
      "then `pulumi destroy`; each timed as CLI wall time, at the engine's default parallelism (8). Calls = rows of " +
      "the local cloud's request log during the refresh; the goal must hold in every run. Growth: linear or better " +
      "means a log-log slope of time (medians of up+refresh+destroy) over N of at most 1.05. Peak creates in " +
      "flight comes from the provider probe. The marginal time per added resource (10->50, 50->100) is shown for " +
      "the sessions and for N no-op dynamic resources run interleaved with them (the engine's own growth), and " +
      "again for both with PULUMI_SKIP_CHECKPOINTS=true: the file backend rewrites the whole checkpoint after " +
      "every step, a cost quadratic in N for any resource and proportional to the state per resource; what grows " +
      "with checkpoints off is the rest of the engine and the package.",
    figures,
    durationMs: Date.now() - started,
  };
}

/**
 * Goals 4 and 5, from the same runs: for N sessions (10, 50, 100), `pulumi up`, `pulumi refresh`
 * and `pulumi destroy` of a fresh stack against a fresh local cloud.
 * - 4: API calls one refresh makes (the local cloud's request log), goal <= N/10.
 * - 5: how the time grows with N (marginal cost per session must not grow: linear or better),
 *   with the engine's parallelism (default 8) seen in the provider (peak concurrent Creates).
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
}

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

async function measureSize(variant: Variant, n: number, runs: number): Promise<SizeResult> {
  const up: number[] = [];
  const refresh: number[] = [];
  const destroy: number[] = [];
  const calls: number[] = [];
  let byAction: Record<string, number> = {};
  let regions = 0;
  let peak = 0;
  for (let run = 0; run < runs; run++) {
    const bench = await benchStack(variant, n, { probe: true });
    try {
      const admin = bench.cloud ? new AdminClient(bench.cloud.url) : undefined;
      regions = new Set(bench.cloud?.config.ecs.instances.map((i) => i.regionId)).size;
      const [, tUp] = await timed(() => bench.stack.up());
      peak = Math.max(peak, ...readProbe(bench.probeFile).map((events) => peakInFlight(events, "create")));
      await admin?.clearRequests();
      const [, tRefresh] = await timed(() => bench.stack.refresh());
      const rows = (await admin?.requests()) ?? [];
      calls.push(rows.length);
      byAction = {};
      for (const r of rows) byAction[r.action ?? "unknown"] = (byAction[r.action ?? "unknown"] ?? 0) + 1;
      const [, tDestroy] = await timed(() => bench.stack.destroy());
      up.push(tUp);
      refresh.push(tRefresh);
      destroy.push(tDestroy);
      process.stderr.write(
        `bench: ${variant} N=${n} run ${run + 1}/${runs}: up ${Math.round(tUp)} ms, refresh ${Math.round(tRefresh)} ms (${rows.length} calls), destroy ${Math.round(tDestroy)} ms\n`,
      );
    } finally {
      await bench.dispose();
    }
  }
  return {
    n,
    regions,
    up: summarize(up),
    refresh: summarize(refresh),
    destroy: summarize(destroy),
    total: summarize(up.map((u, i) => u + refresh[i] + destroy[i])),
    refreshCalls: summarize(calls),
    refreshCallsByAction: byAction,
    peakConcurrentCreates: peak,
  };
}

export async function scalingSuite(options: ScalingOptions): Promise<SuiteResult> {
  const started = Date.now();
  const results: SizeResult[] = [];
  const baseline: SizeResult[] = [];
  for (const n of options.sizes) {
    results.push(await measureSize("sessions", n, options.runs));
    // The engine's own growth, for attribution: the same steps on no-op resources.
    baseline.push(await measureSize("noop", n, options.runs));
  }

  const callsOk = results.every((r) => r.refreshCalls.max <= r.n / 10);
  const calls = results.map((r) => `N=${r.n}: ${r.refreshCalls.median}`).join(", ");

  // Marginal time per added session between consecutive sizes; growth means worse than linear.
  const marginalsOf = (rs: SizeResult[]) =>
    rs.slice(1).map((r, i) => (r.total.median - rs[i].total.median) / (r.n - rs[i].n));
  const marginals = marginalsOf(results);
  const baselineMarginals = marginalsOf(baseline);
  const growthOk = marginals.every((m, i) => i === 0 || m <= marginals[i - 1] * 1.25);
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
        `${times}; marginal ${marginals.map((m) => `${Math.round(m)} ms`).join(" then ")} per session; ` +
        `log-log slope ${slope.toFixed(2)}; up to ${peak} creates in flight. No-op baseline: ` +
        `${baseline.map((r) => `${(r.total.median / 1000).toFixed(1)} s`).join(", ")}, marginal ` +
        `${baselineMarginals.map((m) => `${Math.round(m)} ms`).join(" then ")}`,
      pass: growthOk && slope <= 1.05,
      details: {
        perSize: results,
        marginalMsPerSession: marginals,
        logLogSlope: slope,
        peakConcurrentCreates: peak,
        noopBaseline: { perSize: baseline, marginalMsPerResource: baselineMarginals },
      },
    },
  ];
  return {
    suite: "scaling",
    method:
      "Per N and run: a fresh local cloud whose inventory has ceil(N/50) regions of 5 instances, sessions spread " +
      "round-robin; `pulumi up`, then the request log is cleared and `pulumi refresh --yes --skip-preview` runs, " +
      "then `pulumi destroy`; each timed as CLI wall time, at the engine's default parallelism (8). Calls = rows of " +
      "the local cloud's request log during the refresh; the goal must hold in every run. Growth: the marginal time " +
      "per added session (10->50, 50->100, on medians of up+refresh+destroy) must not grow by more than 25%, and " +
      "the log-log slope of time over N must be <= 1.05. Peak creates in flight comes from the provider probe. " +
      "The same steps on N no-op dynamic resources give the engine's own growth as a baseline.",
    figures,
    durationMs: Date.now() - started,
  };
}

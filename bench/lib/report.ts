/** Renders results as bench/RESULTS.md. */
import type { MachineInfo } from "./machine";
import type { SuiteResult } from "./types";

export interface BenchReport {
  /** ISO date-time the bench started. */
  date: string;
  machine: MachineInfo;
  /** Run counts and sizes used. */
  settings: Record<string, unknown>;
  suites: SuiteResult[];
  durationMs: number;
}

const escape = (text: string) => text.replace(/\|/g, "\\|");

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const rows = report.suites.flatMap((s) =>
    s.figures.map(
      (f) =>
        `| ${f.id} | ${escape(f.what)} | ${escape(f.goal)} | ${escape(f.measured)} | ${f.pass ? "pass" : "**miss**"} |`,
    ),
  );
  const methods = report.suites.map(
    (s) => `### ${s.suite} (${Math.round(s.durationMs / 1000)} s)\n\n${s.method}\n`,
  );
  return [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); the raw numbers are in `bench/results.json`.",
    "Every figure is a median over runs, judged against a baseline measured in the same run on the same machine.",
    "",
    "| # | figure | goal | measured | result |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `Date: ${report.date}. Total bench time: ${Math.round(report.durationMs / 1000)} s.`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node.js ${m.node}; Pulumi ${m.pulumi} ` +
      `(engine parallelism: default, 8 on this machine). Load average (1 min) at start ${m.loadAverage.start}, ` +
      `at end ${m.loadAverage.end ?? "?"}: other work on the machine adds noise to the timings, not to the call counts and sizes.`,
    "",
    `Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(", ")}.`,
    "",
    "## Method",
    "",
    "All runs use the real engine (`scripts/engine.sh`), the package as installed by `scripts/install-local.sh`, the " +
      "e2e harness (`test/e2e/harness.ts`: private `PULUMI_HOME`, `file://` backend) and programs in `bench/programs/` " +
      "against an in-process local cloud on loopback. KB means 1000 bytes (the stricter reading).",
    "",
    ...methods,
  ].join("\n");
}

/** What every benchmark suite returns: figures against goals, and how they were measured. */

/** One measured figure, judged against its goal. */
export interface Figure {
  /** Short id (`1`, `2`, `3a`, ...), as the issue numbers the goals. */
  id: string;
  /** What is measured, in words. */
  what: string;
  /** The goal, in words (`<= 1.15x`). */
  goal: string;
  /** The measured figure, in words (`1.08x`). */
  measured: string;
  /** Whether the goal is met. */
  pass: boolean;
  /** Raw numbers behind the figure (samples, baselines), for results.json. */
  details: Record<string, unknown>;
}

/** A suite's result. */
export interface SuiteResult {
  /** The suite's name (`upDestroy`, `coldStart`, `scaling`). */
  suite: string;
  /** How it measures, for RESULTS.md. */
  method: string;
  figures: Figure[];
  /** Wall time of the suite, ms. */
  durationMs: number;
}

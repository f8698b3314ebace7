/**
 * Goal 16: the two doors to the same lifecycle code. (a) `pulumi up` then `pulumi destroy` of 50
 * TerminalSessions of a YAML program through the provider plugin `pulumi-resource-sessions` vs
 * the same 50 through the dynamic resources of a TypeScript program (ratio of medians, goal
 * <= 1.15x against the program with its type-check off; the type-checked program, as users run
 * it by default, is reported beside it). (b) The plugin's cold start, process start to its first
 * create answered, vs the dynamic provider's, measured by the same probe (difference of medians).
 */
import { installPlugin, pluginStack, type PluginInstall } from "../lib/pluginStack";
import { benchStack, measureUpDestroy, type BenchStack } from "../lib/stacks";
import type { SuiteResult } from "../lib/types";
import { breakdown, milestones, type Milestones } from "./coldStart";

const COUNT = 50;

export interface PluginOptions {
  /** Up+destroy runs per arm (median taken). */
  runs: number;
  /** Cold-start runs per door (median taken). */
  coldRuns: number;
}

type Door = "plugin" | "dynamic";

function coldStack(install: PluginInstall, door: Door): Promise<BenchStack> {
  return door === "plugin"
    ? pluginStack(install, 1, { probe: true })
    : benchStack("sessions", 1, { probe: true });
}

async function coldStarts(install: PluginInstall, runs: number): Promise<Record<Door, Milestones[]>> {
  const out: Record<Door, Milestones[]> = { plugin: [], dynamic: [] };
  for (let run = 0; run < runs; run++) {
    const doors: Door[] = run % 2 === 0 ? ["plugin", "dynamic"] : ["dynamic", "plugin"];
    for (const door of doors) {
      const bench = await coldStack(install, door);
      try {
        await bench.stack.up();
        const m = milestones(bench.probeFile);
        out[door].push(m);
        process.stderr.write(
          `bench: plugin cold start ${door} run ${run + 1}/${runs}: first create answered at ${Math.round(m.createEnd)} ms\n`,
        );
      } finally {
        await bench.dispose();
      }
    }
  }
  return out;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function pluginSuite(options: PluginOptions): Promise<SuiteResult> {
  const started = Date.now();
  const install = installPlugin();
  try {
    const times = await measureUpDestroy(
      [
        { name: "plugin", stack: () => pluginStack(install, COUNT) },
        { name: "dynamic", stack: () => benchStack("sessions", COUNT, { transpileOnly: true }) },
        { name: "dynamicTypeChecked", stack: () => benchStack("sessions", COUNT) },
      ],
      options.runs,
    );
    const plugin = times.plugin.total.median;
    const ratio = plugin / times.dynamic.total.median;
    const checkedRatio = plugin / times.dynamicTypeChecked.total.median;
    const cold = await coldStarts(install, options.coldRuns);
    const pluginCold = breakdown(cold.plugin);
    const dynamicCold = breakdown(cold.dynamic);
    const delta = pluginCold.toFirstCreate.median - dynamicCold.toFirstCreate.median;
    return {
      suite: "plugin",
      method:
        "Three arms of 50 TerminalSessions, each run a fresh stack and a fresh local cloud, timed as in upDestroy " +
        "(CLI wall time of `pulumi up` and `pulumi destroy`, the arms' order rotating): a YAML program " +
        "(`bench/lib/pluginStack.ts` writes one resource entry per session) run by the YAML language host " +
        "(`scripts/yaml-host.sh`) with the plugin `pulumi-resource-sessions` on PATH (the installed package " +
        "laid out as `npm install` lays out a bin, automatic plugin acquisition off, provider keys in `sessions:*`), " +
        "and `bench/programs/sessions` with its type-check off and on. Ratio = median(plugin) / median(dynamic, " +
        "type-check off): that arm differs from the plugin's by the program's runtime (Node.js and " +
        "@pulumi/pulumi vs the YAML host) and the door (the plugin's own process, schema and configuration vs the " +
        "engine's dynamic provider host running the same lifecycle code). Cold start: a fresh stack of one " +
        "session per run, doors alternating; the provider probe, loaded into both provider processes, times " +
        "process start -> first Create answered (for the plugin, the process that served the Create: the engine " +
        "may start another one for the YAML host's schema request). Figure = median(plugin) - median(dynamic).",
      figures: [
        {
          id: "16a",
          what:
            `up + destroy of ${COUNT} TerminalSessions, YAML program through the provider plugin vs TypeScript ` +
            "program through the dynamic resources (type-check off; type-checked beside it)",
          goal: "<= 1.15x",
          measured:
            `${ratio.toFixed(2)}x (${seconds(plugin)} vs ${seconds(times.dynamic.total.median)}); ` +
            `vs the type-checked program ${checkedRatio.toFixed(2)}x (${seconds(times.dynamicTypeChecked.total.median)})`,
          pass: ratio <= 1.15,
          details: { ratio, checkedRatio, ...times },
        },
        {
          id: "16b",
          what: "provider process start to its first create answered, plugin vs dynamic provider (TerminalSession)",
          goal: "<= +0 ms (no slower than the dynamic provider)",
          measured: `${delta >= 0 ? "+" : ""}${Math.round(delta)} ms (${Math.round(pluginCold.toFirstCreate.median)} vs ${Math.round(dynamicCold.toFirstCreate.median)} ms)`,
          pass: delta <= 0,
          details: { deltaMs: Math.round(delta), plugin: pluginCold, dynamic: dynamicCold },
        },
      ],
      durationMs: Date.now() - started,
    };
  } finally {
    install.dispose();
  }
}

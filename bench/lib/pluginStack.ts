/**
 * The provider plugin's side of the bench: N TerminalSessions of a YAML program served by
 * `pulumi-resource-sessions`, against a fresh in-process local cloud, as `benchStack` builds the
 * TypeScript program's. The plugin is laid out as `npm install` lays out a bin (the installed
 * package copied, its entry point executable, linked from `node_modules/.bin`), and the engine
 * finds it on PATH with automatic plugin acquisition off, beside the YAML language host.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { engineBin, TestStack, uniqueSuffix } from "../../test/support/harness";
import { programRoot } from "../../test/support/paths";
import { scriptOutput } from "../../test/e2e/pluginSupport";
import { LOCAL_KEY, startCloudFor, targetsFor, type Target } from "../../test/support/localCloudStack";
import { envFor, scratchRoot, type BenchStack, type BenchStackOptions } from "./stacks";

/** The plugin's type token of TerminalSession. */
export const PLUGIN_TERMINAL_SESSION_TYPE = "sessions:alicloud:TerminalSession";

/** The plugin and the YAML host, ready for stacks; `dispose` removes the plugin's copy. */
export interface PluginInstall {
  /** PATH for the CLI: the engine, the YAML host, the plugin's bin folder, then the rest. */
  searchPath: string;
  dispose(): void;
}

/** Lays out the plugin and builds (or finds) the YAML language host. */
export function installPlugin(): PluginInstall {
  const yamlBin = scriptOutput("yaml-host.sh");
  fs.mkdirSync(scratchRoot, { recursive: true });
  const root = fs.mkdtempSync(path.join(scratchRoot, "plugin-"));
  const pkg = path.join(root, "node_modules", "pulumi-sessions");
  // A copy: other runs reinstall the shared folder (swapping it) while this suite runs.
  fs.cpSync(path.join(programRoot(), "node_modules", "pulumi-sessions"), pkg, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  const entry = path.join(pkg, manifest.bin["pulumi-resource-sessions"]);
  const dotBin = path.join(root, "node_modules", ".bin");
  fs.mkdirSync(dotBin);
  fs.symlinkSync(path.relative(dotBin, entry), path.join(dotBin, "pulumi-resource-sessions"));
  return {
    searchPath: [engineBin(), yamlBin, dotBin, process.env.PATH ?? ""].join(path.delimiter),
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** A YAML program of one TerminalSession per target (YAML has no loops: one entry each). */
export function yamlProgram(targets: readonly Target[]): string {
  const resources = targets.map(
    (t, i) =>
      `  s${i}:\n    type: ${PLUGIN_TERMINAL_SESSION_TYPE}\n    properties:\n` +
      `      region: ${t.region}\n      instanceIds:\n        - ${t.instanceId}\n`,
  );
  return [
    "name: bench-plugin",
    "runtime: yaml",
    "description: N TerminalSessions through the pulumi-resource-sessions plugin (benchmarks).",
    "resources:",
    ...resources,
  ].join("\n");
}

/** A stack of `count` TerminalSessions of the YAML program, configured as the plugin's docs say. */
export async function pluginStack(
  install: PluginInstall,
  count: number,
  options: Pick<BenchStackOptions, "probe"> = {},
): Promise<BenchStack> {
  fs.mkdirSync(scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(scratchRoot, "plugin-stack-"));
  const probeFile = path.join(scratch, "probe.jsonl");
  const program = path.join(scratch, "program");
  const all = targetsFor(count);
  // The sessions go round-robin over the instances, as the TypeScript program spreads them.
  fs.mkdirSync(program);
  fs.writeFileSync(
    path.join(program, "Pulumi.yaml"),
    yamlProgram(Array.from({ length: count }, (_, i) => all[i % all.length])),
  );
  const cloud = await startCloudFor(all);
  const stack = await TestStack.create({
    program,
    config: {
      "sessions:localCloud": cloud.url,
      "sessions:alicloudRegion": all[0].region,
      "sessions:alicloudAccessKey": LOCAL_KEY.accessKeyId,
    },
    secrets: { "sessions:alicloudSecretKey": LOCAL_KEY.accessKeySecret },
    env: { ...envFor(options, probeFile), PATH: install.searchPath },
    stackName: `p${uniqueSuffix()}`,
  });
  return {
    stack,
    cloud,
    probeFile,
    dispose: async () => {
      stack.cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
      await cloud.stop();
    },
  };
}

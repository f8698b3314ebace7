/** Runs the command line's .ts entry points in a child node, as the installed bins would run. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** Lets node run the .ts entry points directly (no build step in unit tests). */
const TS_HOOK = `
const ts = require(${JSON.stringify(require.resolve("typescript"))});
const fs = require("fs");
require.extensions[".ts"] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  m._compile(out.outputText, file);
};`;

let hookDir: string | undefined;
function hook(): string {
  if (!hookDir) {
    hookDir = mkdtempSync(join(tmpdir(), "pulumi-sessions-cli-"));
    writeFileSync(join(hookDir, "hook.js"), TS_HOOK);
    process.once("exit", () => rmSync(hookDir!, { recursive: true, force: true }));
  }
  return join(hookDir, "hook.js");
}

export interface SpawnedBin {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
  /** The first line of stdout, parsed as JSON (the start line of local-cloud and forward). */
  firstLine(): Promise<Record<string, unknown>>;
}

/**
 * Spawns `cli/<entry>` (`bin.ts` is `pulumi-sessions`) with `args` and extra environment; `stdin`,
 * when given, is written to its standard input, which then ends.
 */
export function spawnBin(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
): SpawnedBin {
  const child = spawn(process.execPath, ["-r", hook(), join(__dirname, "..", entry), ...args], {
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const firstLine = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", (line) =>
        resolve(JSON.parse(line) as Record<string, unknown>),
      );
      child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${out.stderr}`)));
    });
  return { child, out, exited, firstLine };
}

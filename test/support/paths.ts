import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");
/** Test programs (each a folder with Pulumi.yaml and its own package.json). */
export const programsDir = path.join(repoRoot, "test", "e2e", "programs");

/**
 * Where test programs find their node_modules: the repo itself, or (when globalSetup was asked
 * for another @pulumi/pulumi) a folder outside it with the packed package installed beside it.
 */
export function programRoot(): string {
  return process.env.PULUMI_SESSIONS_PROGRAM_ROOT ?? repoRoot;
}

/**
 * Scratch space for engine runs, under programRoot() so programs resolve its node_modules.
 * Created here because a clean clone has none and callers make temp folders in it directly.
 */
export function workRoot(): string {
  const dir = path.join(programRoot(), ".work", "e2e");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

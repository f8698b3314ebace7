import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "./paths";

/**
 * Once per e2e run: make the engine available and install the built package under
 * node_modules, so the dynamic providers are serialized as in users' stacks.
 */
export default function globalSetup(): void {
  const script = (name: string) => path.join(repoRoot, "scripts", name);
  const engineOut = execFileSync("bash", [script("engine.sh")], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.env.PULUMI_SESSIONS_ENGINE_BIN = engineOut.trim().split("\n").pop();
  execFileSync("bash", [script("install-local.sh")], { cwd: repoRoot, stdio: "inherit" });
}

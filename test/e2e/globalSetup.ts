import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installProgram, lockedVersion, packPackage } from "../support/installedPackage";
import { repoRoot } from "../support/paths";

/**
 * Once per e2e run: make the engine available and install the built package under
 * node_modules, so the dynamic providers are serialized as in users' stacks.
 *
 * With PULUMI_SESSIONS_PROGRAM_PULUMI=<version> (the CI matrix's oldest-supported leg), programs
 * run instead from a folder outside the repo where the packed package is installed beside that
 * @pulumi/pulumi, as a user on that release has it.
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

  const pulumiVersion = process.env.PULUMI_SESSIONS_PROGRAM_PULUMI;
  // Both engine projects run this setup in one jest process: install once.
  if (!pulumiVersion || process.env.PULUMI_SESSIONS_PROGRAM_ROOT) return;
  const root = path.join(os.tmpdir(), "pulumi-sessions-programs", `pulumi-${pulumiVersion}`);
  fs.rmSync(root, { recursive: true, force: true });
  const tarball = packPackage(path.join(root, "tarball"));
  process.stderr.write(
    `e2e: programs use @pulumi/pulumi ${pulumiVersion} and the packed package, in ${root}\n`,
  );
  installProgram(root, tarball, {
    "@pulumi/pulumi": pulumiVersion,
    // What the test programs and examples import besides the package.
    "@pulumi/alicloud": lockedVersion("@pulumi/alicloud"),
    mysql2: lockedVersion("mysql2"),
  });
  process.env.PULUMI_SESSIONS_PROGRAM_ROOT = root;
}

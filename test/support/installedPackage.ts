/**
 * The package as a user gets it: `npm pack` of the built tree, installed from the tarball into a
 * folder outside the repository (so none of the repo's node_modules, dev dependencies included,
 * can be reached), beside the @pulumi/pulumi a program chose.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./paths";

const npmOptions = {
  encoding: "utf8" as const,
  stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
};

/** Packs the built package (dist/ must be current: scripts/install-local.sh) into `dest`. */
export function packPackage(dest: string): string {
  fs.mkdirSync(dest, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dest], {
    ...npmOptions,
    cwd: repoRoot,
  });
  const [{ filename }] = JSON.parse(out) as { filename: string }[];
  return path.join(dest, filename);
}

/** The version of a dependency in the repo's lockfile (what the repo itself is tested with). */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
  };
  return lock.packages[`node_modules/${name}`].version;
}

/**
 * A program folder with `package.json` depending on the tarball and `dependencies`
 * (name -> version), installed with npm as a user would (from npm's cache when it can).
 * Returns npm's output, which callers may inspect for warnings.
 */
export function installProgram(dir: string, tarball: string, dependencies: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: path.basename(dir), private: true, dependencies: { "pulumi-sessions": `file:${tarball}`, ...dependencies } }, null, 2)}\n`,
  );
  return execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
    ...npmOptions,
    cwd: dir,
  });
}

/**
 * A new folder under `under` holding `pulumi-resource-sessions` as npm links it into
 * node_modules/.bin, pointing at the package installed in `programRoot`: what a copied program's
 * Pulumi.yaml names as its plugin path (docs/tunnels.md). Remove it when done.
 */
export function pluginFolder(under: string, programRoot: string): string {
  fs.mkdirSync(under, { recursive: true });
  const dir = fs.mkdtempSync(path.join(under, "plugin-"));
  // By path, not require.resolve: from the repo root the name resolves to the repo itself.
  const pkg = path.join(programRoot, "node_modules", "pulumi-sessions");
  const { bin } = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  fs.symlinkSync(path.join(pkg, bin["pulumi-resource-sessions"]), path.join(dir, "pulumi-resource-sessions"));
  return dir;
}

/**
 * The generated SDKs in sdks/: current with schema.json, the Go SDK builds, the Python SDK
 * byte-compiles. Needs Go (the generator and the build) and python3.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..");
const run = (cmd: string, args: string[], cwd = repoRoot, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });

test("sdks/ is what scripts/gen-sdks.sh generates from schema.json (run it after `npm run schema`)", () => {
  expect(() => run("bash", ["scripts/gen-sdks.sh", "--check"])).not.toThrow();
});

test("the Go SDK builds", () => {
  expect(() =>
    run("go", ["build", "./..."], path.join(repoRoot, "sdks", "go", "sessions"), {
      GOTOOLCHAIN: "local",
      GOFLAGS: "-mod=readonly",
    }),
  ).not.toThrow();
});

test("the Python SDK byte-compiles", () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "sessions-pycache-"));
  try {
    // compileall exits non-zero on any syntax error; the cache prefix keeps sdks/ clean.
    run("python3", ["-m", "compileall", "-q", path.join("sdks", "python", "pulumi_sessions")], repoRoot, {
      PYTHONPYCACHEPREFIX: cache,
    });
    const compiled = fs.readdirSync(cache, { recursive: true }).filter((f) => String(f).endsWith(".pyc"));
    expect(compiled.length).toBeGreaterThanOrEqual(10);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

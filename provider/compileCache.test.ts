/**
 * What a provider process loads, and what it leaves on disk when the engine kills it, checked in
 * a child Node.js process (the test runner's module registry is not Node's): a TerminalSession's
 * delete and read load no schema (zod), its check does, and the compile cache is on, written
 * where Node keeps it by default.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..");

/** Runs `body` (JavaScript, `provider` bound to a TerminalSession provider) in a child; its last stdout line, parsed. */
function inProviderProcess(body: string, env: Record<string, string> = {}): Record<string, unknown> {
  const source = `
    const { createTerminalSessionProvider } = require(${JSON.stringify(path.join(repo, "provider/resources/terminalSession.ts"))});
    const zodLoaded = () => Object.keys(require.cache).some((file) => file.includes("/node_modules/zod/"));
    // A cloud that knows no session: Describe lists nothing, End answers.
    const client = {
      product: "ecs", region: "cn-hangzhou", endpoint: "http://127.0.0.1:1",
      call: async () => ({ body: {} }),
    };
    const provider = createTerminalSessionProvider({ client: () => client, env: {} });
    (async () => { ${body} })().catch((err) => { console.error(err); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ["-r", path.join(repo, "bench/register.js"), "-e", source], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true", ...env },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

test("delete and read load no schema; check loads them", () => {
  const seen = inProviderProcess(`
    await provider.delete("s-1", { region: "cn-hangzhou" });
    await provider.read("s-1", { region: "cn-hangzhou" });
    const afterDeleteAndRead = zodLoaded();
    const { failures } = await provider.check({}, { instanceIds: ["i-1"], region: "cn-hangzhou" });
    console.log(JSON.stringify({ afterDeleteAndRead, afterCheck: zodLoaded(), failures }));`);
  expect(seen).toEqual({ afterDeleteAndRead: false, afterCheck: true, failures: [] });
}, 60_000);

test("the provider process keeps a compile cache in the OS temp dir, as the modules load", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-compile-cache-"));
  try {
    const seen = inProviderProcess(
      `const dir = require("node:module").getCompileCacheDir();
       await provider.check({}, { instanceIds: ["i-1"], region: "cn-hangzhou" });
       console.log(JSON.stringify({ dir }));`,
      { TMPDIR: tmp },
    );
    expect(seen.dir).toEqual(expect.stringContaining(path.join(tmp, "node-compile-cache")));
    const files = fs.readdirSync(tmp, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(20);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 60_000);

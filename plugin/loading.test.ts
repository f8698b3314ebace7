/**
 * What a plugin process loads, and when, checked in a child Node.js process (the test runner's
 * module registry is not Node's): its start loads no schema (zod), no resource's lifecycle, no
 * tunnel code and no cloud SDK; a tunnel's CheckConfig loads the schemas only, its Configure
 * its own cloud's tunnel code, not the other cloud's, and its cloud's SDK only after answering.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..");
const at = (file: string) => JSON.stringify(path.join(repo, file));

/** What the child has loaded after each of `steps` (JavaScript statements, run in order). */
function loadedAfter(steps: Record<string, string>, env: Record<string, string>) {
  const source = `
    const seen = {};
    const loaded = (pattern) => Object.keys(require.cache).some((file) => pattern.test(file));
    const probe = () => ({
      zod: loaded(/\\/node_modules\\/zod\\//),
      lifecycles: loaded(/\\/provider\\/resources\\/[^/]+\\/lifecycle\\.ts$/),
      tunnel: loaded(/\\/provider\\/tunnel\\/tunnel\\.ts$/),
      ssmTunnel: loaded(/\\/provider\\/tunnel\\/ssmTunnel\\.ts$/),
      ecsTunnel: loaded(/\\/provider\\/tunnel\\/ecsTunnel\\.ts$/),
      sdks: loaded(/\\/node_modules\\/@(aws-sdk|alicloud)\\//),
    });
    (async () => {
      ${Object.entries(steps)
        .map(([name, step]) => `${step}; seen[${JSON.stringify(name)}] = probe();`)
        .join("\n")}
      console.log(JSON.stringify(seen));
      process.exit(0); // the tunnel's port keeps the process up
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ["-r", path.join(repo, "bench/register.js"), "-e", source], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, Record<string, boolean>>;
}

test("the start loads none of what a tunnel needs; its check loads the schemas, its configure its own cloud's code", () => {
  const journal = fs.mkdtempSync(path.join(os.tmpdir(), "plugin-loading-"));
  try {
    const seen = loadedAfter(
      {
        start: `require(${at("plugin/main.ts")})`,
        checked: `
          const { createSessionsPlugin } = require(${at("plugin/provider.ts")});
          const plugin = createSessionsPlugin({ schema: "{}", version: "0.0.0", env: {} });
          const { inputs, failures } = await plugin.checkConfig({}, { awsTunnel: { target: "i-0abc", remotePort: 5432 } });
          if (failures.length > 0) throw new Error(JSON.stringify(failures))`,
        // Nothing listens at the endpoint: the session's start fails, after Configure.
        configured: `await plugin.configure({ ...inputs, localCloud: "http://127.0.0.1:9", awsRegion: "us-east-1" })`,
        // The first session starts once Configure has answered: the SDK loads then, not before.
        started: "await new Promise((resolve) => setTimeout(resolve, 1000))",
      },
      { PULUMI_SESSIONS_TUNNEL_JOURNAL: journal },
    );
    const nothing = {
      zod: false,
      lifecycles: false,
      tunnel: false,
      ssmTunnel: false,
      ecsTunnel: false,
      sdks: false,
    };
    expect(seen.start).toEqual(nothing);
    expect(seen.checked).toEqual({ ...nothing, zod: true });
    expect(seen.configured).toMatchObject({
      lifecycles: true,
      tunnel: true,
      ssmTunnel: true,
      ecsTunnel: false,
      sdks: false,
    });
    expect(seen.started).toMatchObject({ ecsTunnel: false, sdks: true });
  } finally {
    fs.rmSync(journal, { recursive: true, force: true });
  }
});

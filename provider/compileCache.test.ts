/**
 * What a provider process loads, and what it leaves on disk when the engine kills it, checked in
 * a child Node.js process (the test runner's module registry is not Node's): every resource's
 * delete and read load no schema (zod), a check does, and the compile cache is on, written
 * where Node keeps it by default.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RESOURCE_ROWS } from "../sdk/contract/resources";

const repo = path.resolve(__dirname, "..");

/**
 * Runs `body` (JavaScript) in a child with `providers`: each resource's dynamic provider, loaded
 * from its row's module path (what `__provider` in state loads), clouds faked where delete and
 * read would call one (nothing is found, ending succeeds). Its last stdout line, parsed.
 */
function inProviderProcess(body: string, env: Record<string, string> = {}): Record<string, unknown> {
  const modules = Object.fromEntries(
    RESOURCE_ROWS.map((r) => [r.token, path.join(repo, r.provider.modulePath)]),
  );
  const source = `
    const load = (token) => require(${JSON.stringify(modules)}[token]);
    const zodLoaded = () => Object.keys(require.cache).some((file) => file.includes("/node_modules/zod/"));
    const ecs = { product: "ecs", region: "cn-hangzhou", endpoint: "http://127.0.0.1:1", call: async () => ({ body: {} }) };
    const ssm = { region: "us-east-1", send: async () => ({}) };
    const das = {
      product: "das", region: "cn-shanghai", endpoint: "http://127.0.0.1:1",
      call: async () => { throw Object.assign(new Error("no such task"), { name: "AlicloudApiError", code: "InvalidTaskId.NotFound" }); },
    };
    const providers = {
      "sessions:alicloud:TerminalSession": load("sessions:alicloud:TerminalSession").createTerminalSessionProvider({ client: () => ecs, env: {} }),
      "sessions:alicloud:KillInstanceSessionTask": load("sessions:alicloud:KillInstanceSessionTask").createKillInstanceSessionTaskProvider({ client: () => das, env: {}, notice: () => {} }),
      "sessions:alicloud:TerminalSessionRevocation": load("sessions:alicloud:TerminalSessionRevocation").terminalSessionRevocationProvider,
      "sessions:aws:SsmSession": load("sessions:aws:SsmSession").createSsmSessionProvider({ client: () => ssm, env: {} }),
      "sessions:aws:SsmSessionRevocation": load("sessions:aws:SsmSessionRevocation").ssmSessionRevocationProvider,
      // A Command with no \`delete\` script calls no cloud on delete, and read keeps the record.
      "sessions:alicloud:Command": load("sessions:alicloud:Command").alicloudCommandProvider,
      "sessions:aws:Command": load("sessions:aws:Command").awsCommandProvider,
    };
    (async () => { ${body} })().catch((err) => { console.error(err); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ["-r", path.join(repo, "bench/register.js"), "-e", source], {
    cwd: repo,
    encoding: "utf8",
    env: {
      ...process.env,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

test("no resource's delete or read loads a schema; a check does", () => {
  const seen = inProviderProcess(`
    const state = { region: "cn-hangzhou", instanceId: "rm-1", taskIds: ["t-1"] };
    const zodAfter = {};
    for (const [token, provider] of Object.entries(providers)) {
      await provider.delete("id-1", state);
      await provider.read("id-1", state);
      zodAfter[token] = zodLoaded();
    }
    const { failures } = await providers["sessions:alicloud:TerminalSession"].check({}, { instanceIds: ["i-1"], region: "cn-hangzhou" });
    console.log(JSON.stringify({ zodAfter, afterCheck: zodLoaded(), failures }));`);
  expect(seen).toEqual({
    zodAfter: Object.fromEntries(RESOURCE_ROWS.map((r) => [r.token, false])),
    afterCheck: true,
    failures: [],
  });
}, 60_000);

test("the provider process keeps a compile cache in the OS temp dir, as the modules load", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-compile-cache-"));
  try {
    const seen = inProviderProcess(
      `const dir = require("node:module").getCompileCacheDir();
       await providers["sessions:alicloud:TerminalSession"].check({}, { instanceIds: ["i-1"], region: "cn-hangzhou" });
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

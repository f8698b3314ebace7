/** The `pulumi-sessions-local` CLI: JSON line on stdout, serves the official client, stops on SIGTERM/SIGINT. */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { callRpc, openApiClient } from "./testing/alibaba";

/** Lets node run the .ts entry point directly (no build step in unit tests). */
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

describe("pulumi-sessions-local", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "local-cloud-bin-"));
    writeFileSync(join(dir, "hook.js"), TS_HOOK);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[]): { child: ChildProcess; firstLine: Promise<Record<string, unknown>> } {
    const child = spawn(process.execPath, ["-r", join(dir, "hook.js"), join(__dirname, "bin.ts"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true" },
    });
    const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      rl.once("line", (line) => resolve(JSON.parse(line) as Record<string, unknown>));
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    return { child, firstLine };
  }

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((r) => child.once("exit", (code) => r(code)));

  test.each(["SIGTERM", "SIGINT"] as const)(
    "serves from --config, prints the endpoint, stops on %s",
    async (signal) => {
      const configFile = join(dir, "cloud.json");
      writeFileSync(
        configFile,
        JSON.stringify({
          credentials: [{ accessKeyId: "LTAIbin", accessKeySecret: "bin-secret" }],
          ecs: { instances: [{ instanceId: "i-bin", regionId: "cn-hangzhou" }] },
        }),
      );
      const { child, firstLine } = run(["--config", configFile, "--port", "0"]);
      const info = await firstLine;
      expect(info.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(info.url).toBe(`http://${info.endpoint}`);
      const client = openApiClient(
        { endpoint: info.endpoint as string },
        { accessKeyId: "LTAIbin", accessKeySecret: "bin-secret" },
      );
      const r = await callRpc(client, "StartTerminalSession", {
        RegionId: "cn-hangzhou",
        InstanceId: ["i-bin"],
      });
      expect(r.statusCode).toBe(200);
      const done = exited(child);
      child.kill(signal);
      expect(await done).toBe(0);
    },
  );

  test("bad arguments exit non-zero with a message on stderr", async () => {
    const child = spawn(
      process.execPath,
      ["-r", join(dir, "hook.js"), join(__dirname, "bin.ts"), "--bogus"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain("unknown argument --bogus");
  });
});

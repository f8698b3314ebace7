/** `pulumi-sessions local-cloud` (and its alias): JSON line on stdout, serves the official client, stops on SIGTERM/SIGINT. */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { callRpc, openApiClient } from "../emulator/testing/alibaba";

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

describe("pulumi-sessions local-cloud", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "local-cloud-bin-"));
    writeFileSync(join(dir, "hook.js"), TS_HOOK);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a bin entry point (`bin.ts` is `pulumi-sessions`) and collects its output. */
  function spawnBin(entry: string, args: string[]) {
    const child = spawn(process.execPath, ["-r", join(dir, "hook.js"), join(__dirname, entry), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true" },
    });
    const out = { stdout: "", stderr: "" };
    child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    return { child, out, exited };
  }

  function firstLine(child: ChildProcess): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", (line) =>
        resolve(JSON.parse(line) as Record<string, unknown>),
      );
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
  }

  test.each([
    ["pulumi-sessions local-cloud", "bin.ts", ["local-cloud"], "SIGTERM"],
    ["pulumi-sessions local-cloud", "bin.ts", ["local-cloud"], "SIGINT"],
    ["the pulumi-sessions-local alias", "localCloudAlias.ts", [], "SIGTERM"],
  ] as const)(
    "%s serves from --config, prints the endpoint, stops on %s",
    async (_, entry, prefix, signal) => {
      const configFile = join(dir, "cloud.json");
      writeFileSync(
        configFile,
        JSON.stringify({
          credentials: [{ accessKeyId: "LTAIbin", accessKeySecret: "bin-secret" }],
          ecs: { instances: [{ instanceId: "i-bin", regionId: "cn-hangzhou" }] },
        }),
      );
      const { child, exited } = spawnBin(entry, [...prefix, "--config", configFile, "--port", "0"]);
      const info = await firstLine(child);
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
      child.kill(signal);
      expect(await exited).toBe(0);
    },
  );

  test.each([
    [["local-cloud", "--bogus"], "pulumi-sessions local-cloud: Unknown option '--bogus'"],
    [["local-cloud", "--port", "http"], "pulumi-sessions local-cloud: --port must be a number 0..65535"],
    [["local-cloud", "--port"], "pulumi-sessions local-cloud: Option '--port <value>' argument missing"],
    [["connect-to-everything"], 'pulumi-sessions: unknown command "connect-to-everything"'],
  ])("%j is a usage error: exit 2, one line naming the problem, a pointer to --help", async (args, line) => {
    const { out, exited } = spawnBin("bin.ts", args);
    expect(await exited).toBe(2);
    expect(out.stderr.split("\n")[0]).toBe(line);
    expect(out.stderr).toContain("--help` for usage");
  });

  test("--help describes every option and starts nothing", async () => {
    const { child, exited } = spawnBin("bin.ts", ["local-cloud", "--help"]);
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^usage: pulumi-sessions local-cloud/);
    for (const option of ["--config", "--port", "--help"]) expect(stdout).toContain(option);
  });

  test("the overview lists the commands", async () => {
    const { child, exited } = spawnBin("bin.ts", ["--help"]);
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^usage: pulumi-sessions <command>/);
    expect(stdout).toMatch(/\n {2}local-cloud {2}run the local cloud/);
  });
});

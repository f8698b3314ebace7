/** `pulumi-sessions local-cloud` (and its alias): JSON line on stdout, serves the official client, stops on SIGTERM/SIGINT. */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminClient } from "../emulator/admin/client";
import { callRpc, openApiClient } from "../emulator/testing/alibaba";
import { DEFAULT_PORT } from "./localCloud";
import { spawnBin } from "./testing/spawnBin";

describe("pulumi-sessions local-cloud", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "local-cloud-bin-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
      const { child, exited, firstLine } = spawnBin(entry, [
        ...prefix,
        "--config",
        configFile,
        "--port",
        "0",
      ]);
      const info = await firstLine();
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

  test("--state-dir and --allowed-host: the start line has the admin token and the generated key's file", async () => {
    const stateDir = join(dir, "state");
    const { child, exited, firstLine } = spawnBin("bin.ts", [
      "local-cloud",
      "--port",
      "0",
      "--state-dir",
      stateDir,
      "--allowed-host",
      "devbox.test",
    ]);
    const info = (await firstLine()) as { url: string; adminToken: string; credentialsFile: string };
    expect(info.adminToken).toBe(readFileSync(join(stateDir, "admin-token"), "utf8"));
    expect(info.credentialsFile).toBe(join(stateDir, "credentials.json"));
    const key = JSON.parse(readFileSync(info.credentialsFile, "utf8")) as {
      accessKeyId: string;
      accessKeySecret: string;
    };
    const r = await callRpc(
      openApiClient({ endpoint: new URL(info.url).host }, key),
      "DescribeTerminalSessions",
      {
        RegionId: "cn-hangzhou",
      },
    );
    expect(r.statusCode).toBe(200);
    expect(await new AdminClient(info).faults()).toEqual([]);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL("/_admin/health", info.url);
        const headers = { host, authorization: `Bearer ${info.adminToken}` };
        request(url, { headers }, (res) => resolve(res.statusCode ?? 0))
          .on("error", reject)
          .end();
      });
    expect(await status(`devbox.test:${new URL(info.url).port}`)).toBe(200);
    expect(await status(`elsewhere.test:${new URL(info.url).port}`)).toBe(403);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  test("a port in use: exit 1 and one line saying what to do", async () => {
    const busy = createNetServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const { out, exited } = spawnBin("bin.ts", ["local-cloud", "--port", String(port)]);
      expect(await exited).toBe(1);
      expect(out.stderr).toBe(
        `pulumi-sessions local-cloud: port ${port} is in use (another local cloud?): stop it, or pass --port N (0: any free port)\n`,
      );
    } finally {
      busy.close();
    }
  });

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
    const { out, exited } = spawnBin("bin.ts", ["local-cloud", "--help"]);
    expect(await exited).toBe(0);
    const { stdout } = out;
    expect(stdout).toMatch(/^usage: pulumi-sessions local-cloud/);
    expect(stdout).toContain(`(default ${DEFAULT_PORT}; 0: any free port)`);
    for (const option of ["--config", "--port", "--state-dir", "--allowed-host", "--help"])
      expect(stdout).toContain(option);
  });

  test("the overview lists the commands", async () => {
    const { out, exited } = spawnBin("bin.ts", ["--help"]);
    expect(await exited).toBe(0);
    const { stdout } = out;
    expect(stdout).toMatch(/^usage: pulumi-sessions <command>/);
    expect(stdout).toMatch(/\n {2}local-cloud {2}run the local cloud/);
    expect(stdout).toMatch(/\n {2}connect {6}open a session's shell/);
    expect(stdout).toMatch(/\n {2}forward {6}forward a local port/);
  });
});

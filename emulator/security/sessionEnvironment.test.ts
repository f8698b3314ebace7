/**
 * A session's command runs in a scratch folder with an environment of its own: nothing of the
 * local cloud's environment (where the user's real cloud keys live) reaches it. Observed through
 * what the command itself writes, so it holds whatever the data plane's framing is.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { startLocalCloud, type LocalCloud } from "../server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../testing/alibaba";

const REGION = "cn-hangzhou";
/** Values planted in the local cloud's own environment; none may show up in a session. */
const PLANTED = {
  AWS_SECRET_ACCESS_KEY: "planted-aws-secret-0001",
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: "planted-alibaba-secret-0001",
  PULUMI_CONFIG_PASSPHRASE: "planted-passphrase-0001",
};

describe("what a session's command sees", () => {
  let cloud: LocalCloud;
  let out: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const [name, value] of Object.entries(PLANTED)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    out = mkdtempSync(join(tmpdir(), "session-env-"));
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] },
    });
  });
  afterAll(async () => {
    await cloud.stop();
    rmSync(out, { recursive: true, force: true });
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** Starts a session running `command`, connects (which runs it) and waits for the far end to close. */
  async function run(command: string): Promise<void> {
    const s = await callRpc(openApiClient(cloud), "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-1"],
      CommandLine: command,
    });
    const ws = new WebSocket(String(s.body.WebSocketUrl));
    await new Promise<void>((resolve, reject) => {
      ws.once("close", () => resolve());
      ws.once("error", reject);
    });
  }

  test("no variable of the local cloud's environment, and a scratch folder as cwd and HOME", async () => {
    await run(`env > '${out}/env.txt'; pwd > '${out}/pwd.txt'; echo "$HOME" > '${out}/home.txt'`);
    expect(existsSync(join(out, "env.txt"))).toBe(true);
    const env = readFileSync(join(out, "env.txt"), "utf8");
    // The command did run with an environment (the test can see one), just not ours.
    expect(env).toMatch(/^PATH=/m);
    for (const [name, value] of Object.entries(PLANTED)) {
      expect(env).not.toContain(value);
      expect(env).not.toMatch(new RegExp(`^${name}=`, "m"));
    }
    // Beyond the names a session gets by design (whose values may match ours by chance), not one
    // of our variables came through.
    const byDesign = new Set(["PATH", "HOME", "LANG", "TERM", "SHELL", "PWD", "OLDPWD", "SHLVL", "_"]);
    const lines = new Set(env.split("\n"));
    const leaked = Object.entries(process.env)
      .filter(([name, value]) => !byDesign.has(name) && lines.has(`${name}=${value}`))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
    const cwd = readFileSync(join(out, "pwd.txt"), "utf8").trim();
    expect(cwd).not.toBe(process.cwd());
    expect(cwd.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(join(out, "home.txt"), "utf8").trim()).toBe(cwd);
  });
});

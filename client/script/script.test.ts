/**
 * Scripts over real sessions of the in-process local cloud, both clouds: bytes arrive exactly,
 * the environment travels only in the session's input, exit codes and timeouts come back.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { DescribeSessionsCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { AdminClient } from "../../emulator/admin/client";
import { startSsmTestCloud, type SsmTestCloud } from "../../emulator/dataplane/ssm/testing/cloud";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../../emulator/testing/alibaba";
import {
  ScriptError,
  ecsCommandLine,
  runEcsScript,
  runSsmScript,
  ssmCommandSession,
  type ScriptRun,
} from ".";
import type { ScriptResult } from "./run";

const REGION = "cn-hangzhou";

let ecsCloud: LocalCloud;
let ssmCloud: SsmTestCloud;
let api: ReturnType<typeof openApiClient>;

beforeAll(async () => {
  ecsCloud = await startLocalCloud({
    credentials: [TEST_CREDENTIAL],
    ecs: { instances: [{ instanceId: "i-script", regionId: REGION }] },
  });
  api = openApiClient(ecsCloud);
  ssmCloud = await startSsmTestCloud();
});

afterAll(async () => {
  await ecsCloud.stop();
  await ssmCloud.stop();
});

interface Cloud {
  name: string;
  run(run: ScriptRun): Promise<ScriptResult>;
  /** What the cloud logged of its API calls, as JSON. */
  requestLog(): Promise<string>;
  /** Sessions still connected. */
  live(): Promise<number>;
}

const ecs: Cloud = {
  name: "ECS",
  async run(run) {
    const started = await callRpc(api, "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-script"],
      CommandLine: ecsCommandLine(),
    });
    const body = started.body as { SessionId: string; WebSocketUrl: string };
    try {
      return await runEcsScript(body.WebSocketUrl, run);
    } finally {
      await callRpc(api, "EndTerminalSession", { RegionId: REGION, SessionId: body.SessionId });
    }
  },
  requestLog: async () => JSON.stringify(await new AdminClient(ecsCloud).requests()),
  async live() {
    const r = await callRpc(api, "DescribeTerminalSessions", { RegionId: REGION, InstanceId: "i-script" });
    const sessions = (
      r.body.Sessions as { Session: Array<{ Connections: { Connection: Array<{ Status: string }> } }> }
    ).Session;
    return sessions.flatMap((s) => s.Connections.Connection).filter((c) => c.Status === "Connected").length;
  },
};

const ssm: Cloud = {
  name: "SSM",
  async run(run) {
    const { documentName, parameters } = ssmCommandSession();
    const s = await ssmCloud.start({ DocumentName: documentName, Parameters: parameters });
    try {
      return await runSsmScript({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue }, run);
    } finally {
      await ssmCloud.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
    }
  },
  requestLog: async () => JSON.stringify(await new AdminClient(ssmCloud.cloud).requests()),
  async live() {
    const out = await ssmCloud.ssm.send(new DescribeSessionsCommand({ State: "Active" }));
    return (out.Sessions ?? []).filter((s) => s.Status === "Connected").length;
  },
};

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe.each([ecs, ssm])("scripts over $name sessions", (cloud) => {
  test("a 64 KB script and binary stdin (all 256 byte values) arrive byte for byte", async () => {
    // A script of 64 KB: a comment of random base64 text, then the checks.
    const filler = `# ${randomBytes(48 * 1024).toString("base64")}\n`;
    const script = `${filler}wc -c < /dev/fd/3 | tr -d ' '\nsha256sum /dev/fd/3 | cut -c1-64\ncat\n`;
    expect(script.length).toBeGreaterThan(64 * 1024);
    const stdin = Buffer.concat([ALL_BYTES, Buffer.from("\x03\x04\x1a\r\n\r\x04"), ALL_BYTES]);
    const result = await cloud.run({ script, stdin, timeoutMs: 20_000 });
    const digest = createHash("sha256").update(script).digest("hex");
    const expected = Buffer.concat([Buffer.from(`${script.length}\n${digest}\n`), stdin]);
    expect(result.stdout.equals(expected)).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  test("environment values arrive, and are neither in the request log nor in any process's argv", async () => {
    const secret = `s3cr3t-${randomBytes(8).toString("hex")}'"$ \\ end`;
    let argvHit = "";
    const result = await cloud.run({
      script: 'printf "%s" "$TOKEN"; printf "|%s" "$PLAIN"; sleep 0.3\n',
      environment: { TOKEN: secret, PLAIN: "two words" },
      timeoutMs: 10_000,
      onOutput: () => {
        argvHit ||= processesWith(secret.slice(0, 22));
      },
    });
    expect(result.stdout.toString()).toBe(`${secret}|two words`);
    expect(argvHit).toBe("");
    expect(await cloud.requestLog()).not.toContain(secret.slice(0, 22));
  });

  test("a non-zero exit is a result, with the output", async () => {
    const result = await cloud.run({ script: "echo out; echo err >&2; exit 7\n", timeoutMs: 10_000 });
    expect(result.exitCode).toBe(7);
    if (result.merged) expect(result.stdout.toString()).toBe("out\nerr\n");
    else {
      expect(result.stdout.toString()).toBe("out\n");
      expect(result.stderr.toString()).toBe("err\n");
    }
  });

  test("a timeout rejects with ScriptError Timeout and the output tail; the cloud serves the next run", async () => {
    const err = (await cloud
      .run({ script: "echo started; sleep 30\n", timeoutMs: 1500 })
      .catch((e: unknown) => e)) as ScriptError;
    expect(err).toBeInstanceOf(ScriptError);
    expect(err.code).toBe("Timeout");
    expect(err.outputTail).toContain("started");
    expect(await cloud.live()).toBe(0);
    const next = await cloud.run({ script: "echo again\n", timeoutMs: 10_000 });
    expect(next.stdout.toString()).toBe("again\n");
  });

  test("an abort rejects with ScriptError Aborted", async () => {
    const controller = new AbortController();
    const running = cloud.run({
      script: "echo go; sleep 30\n",
      timeoutMs: 10_000,
      signal: controller.signal,
      onOutput: () => controller.abort(),
    });
    await expect(running).rejects.toMatchObject({ name: "ScriptError", code: "Aborted" });
  });
});

test("SSM keeps stderr apart; ECS merges it (one terminal stream)", async () => {
  const script = "echo one; echo two >&2; echo three\n";
  const onSsm = await ssm.run({ script, timeoutMs: 10_000 });
  expect(onSsm).toMatchObject({ merged: false, exitCode: 0 });
  expect(onSsm.stdout.toString()).toBe("one\nthree\n");
  expect(onSsm.stderr.toString()).toBe("two\n");
  const onEcs = await ecs.run({ script, timeoutMs: 10_000 });
  expect(onEcs).toMatchObject({ merged: true, exitCode: 0 });
  expect(onEcs.stdout.toString()).toBe("one\ntwo\nthree\n");
});

test("the command line is fixed and short", () => {
  expect(ecsCommandLine().length).toBeLessThanOrEqual(512);
  expect(ecsCommandLine()).toBe(ecsCommandLine());
  expect(ecsCommandLine({ shell: "/bin/bash" })).toContain("/bin/bash /dev/fd/3");
  expect(() => ecsCommandLine({ shell: "bash'; rm -rf /" })).toThrow(ScriptError);
});

/** Command lines of this machine's processes that hold `text`. */
function processesWith(text: string): string {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (argv.includes(text)) return argv;
    } catch {
      // Gone meanwhile.
    }
  }
  return "";
}

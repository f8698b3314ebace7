/**
 * The admin API's SSM data-plane faults against the official session-manager-plugin: frames lost
 * or delayed either way are resent by the peers (the plugin on its side, the local agent on its
 * own) and a forward's bytes arrive intact; a drop makes the plugin call ResumeSession and carry on.
 */
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { AdminClient } from "../../admin/client";
import { roundTrip, startSsmTestCloud, type SsmTestCloud } from "./testing/cloud";
import { officialPlugin, startPluginSession, type PluginRun } from "./testing/plugin";

let plugin: string;
let t: SsmTestCloud;
let admin: AdminClient;
const runs: PluginRun[] = [];

beforeAll(async () => {
  plugin = officialPlugin();
  t = await startSsmTestCloud();
  admin = new AdminClient(t.cloud);
});

afterEach(() => admin.clearDataPlaneFaults());

afterAll(async () => {
  for (const r of runs) r.child.kill("SIGKILL");
  await t.stop();
});

/** A port forward through the official plugin; resolves with its local port. */
async function pluginForward(): Promise<{ run: PluginRun; sessionId: string; port: number }> {
  const request = {
    DocumentName: "AWS-StartPortForwardingSession",
    Parameters: { portNumber: [String(t.echoPort)], localPortNumber: ["0"] },
  };
  const { run, sessionId } = await startPluginSession(t, plugin, request);
  runs.push(run);
  const [, port] = await run.waitFor(/Port (\d+) opened for sessionId/);
  return { run, sessionId, port: Number(port) };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function end(f: { run: PluginRun; sessionId: string }): Promise<void> {
  await t.ssm.send(new TerminateSessionCommand({ SessionId: f.sessionId }));
  expect(await f.run.exited).toBe(0);
  expect(await t.status(f.sessionId)).toBe("Terminated");
}

describe("SSM frame faults with the official plugin", () => {
  it("every 7th stream data message lost either way: both peers resend, 5 forwarded connections intact", async () => {
    const f = await pluginForward();
    const rule = await admin.addDataPlaneFault({
      plane: "ssm",
      sessionId: f.sessionId,
      kind: "dropFrames",
      everyNth: 7,
    });
    await Promise.all(Array.from({ length: 5 }, (_, i) => roundTrip(f.port, 30_000 + i * 1013)));
    const [after] = await admin.dataPlaneFaults();
    expect(after.id).toBe(rule.id);
    expect(after.applied).toBeGreaterThan(10);
    await end(f);
  });

  it("frames delayed (some, so they arrive out of order) either way: bytes intact and in order", async () => {
    const f = await pluginForward();
    await admin.addDataPlaneFault({ plane: "ssm", kind: "delayFrames", delayMs: 40, probability: 0.3 });
    await roundTrip(f.port, 100_000);
    expect((await admin.dataPlaneFaults())[0].applied).toBeGreaterThan(0);
    await end(f);
  });

  it("a count retires a frame rule: only toAgent frames, 3 of them, are lost", async () => {
    const f = await pluginForward();
    await admin.addDataPlaneFault({ plane: "ssm", kind: "dropFrames", direction: "toAgent", count: 3 });
    await roundTrip(f.port, 20_000);
    expect(await admin.dataPlaneFaults()).toEqual([]);
    await end(f);
  });

  it("a drop: the plugin sees the socket go, calls ResumeSession, and the forward carries on", async () => {
    const f = await pluginForward();
    await roundTrip(f.port, 10_000);
    const resumes = () =>
      t.cloud.requestLog.list().filter((e) => e.action === "ResumeSession" && e.status === 200).length;
    const before = resumes();
    const rule = await admin.addDataPlaneFault({
      plane: "ssm",
      sessionId: f.sessionId,
      kind: "drop",
      at: "now",
    });
    expect(rule.applied).toBe(1);
    await until(
      async () => resumes() > before && (await t.status(f.sessionId)) === "Connected",
      "the resume",
    );
    await roundTrip(f.port, 10_000);
    await end(f);
  });
});

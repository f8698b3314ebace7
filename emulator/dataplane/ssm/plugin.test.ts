/**
 * The official AWS session-manager-plugin against the local cloud's SSM data plane, run as the
 * AWS CLI runs it. Needs Go to build the plugin once (scripts/ssm-plugin.sh).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { roundTrip, startSsmTestCloud, type SsmTestCloud } from "./testing/cloud";
import { officialPlugin, startPluginSession, type PluginRun } from "./testing/plugin";

let plugin: string;
let t: SsmTestCloud;
const runs: PluginRun[] = [];

beforeAll(async () => {
  plugin = officialPlugin();
  t = await startSsmTestCloud();
});

afterAll(async () => {
  for (const r of runs) r.child.kill("SIGKILL");
  await t.stop();
});

async function pluginSession(
  request: Record<string, unknown>,
  streamUrl?: (url: string) => string,
  env?: Record<string, string>,
): Promise<{ run: PluginRun; sessionId: string }> {
  const session = await startPluginSession(t, plugin, request, { streamUrl, env });
  runs.push(session.run);
  return session;
}

/**
 * A TCP relay in front of the local cloud whose connections a test can cut, like a network
 * drop. It rewrites the upgrade's Host header to the local cloud's own (the cloud refuses
 * foreign Host headers), so the plugin must not sign the upgrade through it.
 */
async function cuttableRelay(): Promise<{ server: Server; port: number; cut(): void }> {
  const live = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port: t.cloud.port });
    live.add(client).add(upstream);
    let first = true;
    client.on("data", (d: Buffer) => {
      const text = first
        ? d.toString("latin1").replace(/^Host: .*$/im, `Host: ${t.cloud.endpoint}`)
        : undefined;
      first = false;
      upstream.write(text === undefined ? d : Buffer.from(text, "latin1"));
    });
    upstream.pipe(client);
    for (const s of [client, upstream]) {
      s.on("error", () => undefined);
      s.on("close", () => {
        live.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    cut: () => live.forEach((s) => s.destroy()),
  };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("the official session-manager-plugin against the local cloud", () => {
  it("runs a shell: a marker comes back and the session ends with exit 0", async () => {
    const { run, sessionId } = await pluginSession({});
    // Computed by the shell, so the echoed keystrokes cannot match by themselves.
    run.child.stdin.write("echo MARK$((40+2))\nexit 0\n");
    await run.waitFor(/MARK42/);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain(`Exiting session with sessionId: ${sessionId}`);
    expect(await t.status(sessionId)).toBe("Terminated");
  });

  it("runs a command and reports its non-zero exit status", async () => {
    const { run, sessionId } = await pluginSession({
      DocumentName: "AWS-StartInteractiveCommand",
      Parameters: { command: ["echo from-command; exit 3"] },
    });
    await run.waitFor(/EXIT_CODE: 3/);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain("from-command");
    expect(await t.status(sessionId)).toBe("Terminated");
  });

  it("forwards a port: 20 concurrent TCP connections over one session, bytes intact; TerminateSession ends the plugin", async () => {
    const { run, sessionId } = await pluginSession({
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(t.echoPort)], localPortNumber: ["0"] },
    });
    const [, port] = await run.waitFor(/Port (\d+) opened for sessionId/);
    await Promise.all(Array.from({ length: 20 }, (_, i) => roundTrip(Number(port), 20_000 + i * 997)));
    expect(await t.status(sessionId)).toBe("Connected");
    await t.ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain(`Exiting session with sessionId: ${sessionId}`);
    expect(await t.status(sessionId)).toBe("Terminated");
  });

  it("reconnects after a network drop: the plugin calls ResumeSession and the session carries on", async () => {
    const relay = await cuttableRelay();
    try {
      const { run, sessionId } = await pluginSession(
        {
          DocumentName: "AWS-StartPortForwardingSession",
          Parameters: { portNumber: [String(t.echoPort)], localPortNumber: ["0"] },
        },
        (url) => url.replace(`:${t.cloud.port}/`, `:${relay.port}/`),
        { SSM_PLUGIN_SKIP_CLIENT_CONFIGURE: "true" },
      );
      const [, port] = await run.waitFor(/Port (\d+) opened for sessionId/);
      await roundTrip(Number(port), 10_000);
      const resumesBefore = t.cloud.requestLog.list().filter((e) => e.action === "ResumeSession").length;
      relay.cut();
      // The plugin notices, calls ResumeSession and reconnects to the same StreamUrl with the new
      // token. (A connection opened during the outage would break the plugin's own forwarding
      // loop, so the test waits for the session to be Connected again.)
      const resumed = () =>
        t.cloud.requestLog.list().filter((e) => e.action === "ResumeSession" && e.status === 200).length;
      await until(async () => resumed() > resumesBefore && (await t.status(sessionId)) === "Connected");
      await roundTrip(Number(port), 10_000);
      await t.ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
      expect(await run.exited).toBe(0);
    } finally {
      relay.server.close();
    }
  });
});

/**
 * Tunnels in the plugin process against the local cloud: a dropped connection is resumed, a
 * session that ends is logged and replaced, and the last line counts both.
 */
import { settingsFromEnv } from "../provider/config";
import { tunnelReason } from "../provider/tunnel/sessions";
import {
  eventually,
  roundTrip,
  startLocalTunnels,
  type LocalTunnels,
} from "../provider/tunnel/testing/localTunnels";
import { freePort } from "../provider/tunnel/inputs";
import { connect } from "node:net";
import { TunnelHost } from "./tunnels";

const aws = { target: "i-0abc", remotePort: 3306 };

test("a dry run configures the tunnel's port without starting anything", async () => {
  const host = new TunnelHost(() => {});
  await host.configure(
    { awsTunnel: { ...aws, localPort: 40002 }, __tunnelDryRun: true },
    settingsFromEnv({}),
    "urn:pulumi:dev::p::pulumi:providers:sessions::db",
  );
  expect(host.endpoint()).toEqual({ host: "127.0.0.1", port: 40002 });
  await host.closeAll();
});

test("an endpoint without a tunnel provider says what it needs", async () => {
  expect(() => new TunnelHost().endpoint()).toThrow(
    "sessions:index:TunnelEndpoint needs a sessions provider with awsTunnel or alicloudTunnel as its provider",
  );
});

describe("against the local cloud", () => {
  let local: LocalTunnels;
  beforeAll(async () => {
    local = await startLocalTunnels();
    process.env.PULUMI_SESSIONS_TUNNEL_JOURNAL = local.journalDir();
  });
  afterAll(async () => {
    delete process.env.PULUMI_SESSIONS_TUNNEL_JOURNAL;
    await local.stop();
  });

  test("SSM: the endpoint answers once the port listens, before any session; each start that fails is a warning with the cloud's reason", async () => {
    const logs: string[] = [];
    const host = new TunnelHost((m) => logs.push(m));
    const urn = "urn:pulumi:dev::shop::pulumi:providers:sessions::nowhere";
    const port = await freePort();
    const inputs = { ...local.spec("aws", port).inputs, target: "i-0doesnotexist0001" };
    await host.configure({ awsTunnel: inputs }, local.settings, urn);
    try {
      // Answered in the turn Configure ended: the first session has not even started.
      expect(host.endpoint()).toEqual({ host: "127.0.0.1", port });
      const failed =
        /^tunnel nowhere: could not start a session \(the connections waiting for it were closed; the next one tries again\): StartSession failed with TargetNotConnected .*i-0doesnotexist0001/;
      await eventually(
        async () => logs,
        (l) => l.length === 1,
      );
      expect(logs[0]).toMatch(failed);
      // A later connection starts again; its failure is a line too.
      expect(await roundTrip(port, "nobody answers").catch(() => "")).toBe("");
      await eventually(
        async () => logs,
        (l) => l.length === 2,
      );
      expect(logs[1]).toMatch(failed);
    } finally {
      await host.closeAll();
    }
  });

  test("SSM: a dropped WebSocket is resumed under an open connection; a session ended from the cloud's side is replaced, and a connection made meanwhile waits for it", async () => {
    const logs: string[] = [];
    const severities: Array<string | undefined> = [];
    const urns = new Set<string | undefined>();
    const host = new TunnelHost((m, severity, u) => {
      logs.push(m);
      severities.push(severity);
      urns.add(u);
    });
    const urn = "urn:pulumi:dev::shop::pulumi:providers:sessions::ssmdb";
    const port = await freePort();
    await host.configure({ awsTunnel: local.spec("aws", port).inputs }, local.settings, urn);
    const liveIds = async () =>
      (await local.live()).ssm.filter((s) => s.reason?.startsWith(tunnelReason(urn))).map((s) => s.sessionId);
    try {
      // Configured once the port listens; the session comes up beside.
      const [first] = await eventually(liveIds, (ids) => ids.length === 1);
      // One connection open across the drop: its bytes before and after come back in order.
      const socket = connect({ host: "127.0.0.1", port });
      let echoed = "";
      socket.on("data", (d: Buffer) => (echoed += d.toString()));
      await new Promise((r) => socket.once("connect", r));
      socket.write("before the drop|");
      await eventually(
        async () => echoed,
        (e) => e === "before the drop|",
      );
      const drop = await local.admin.addDataPlaneFault({ plane: "ssm", kind: "drop", at: "now" });
      expect(drop.applied).toBeGreaterThan(0);
      socket.write("after the drop");
      expect(
        await eventually(
          async () => echoed,
          (e) => e.length >= 30,
        ),
      ).toBe("before the drop|after the drop");
      await eventually(
        async () => logs,
        (l) => l.length > 0,
      );
      expect(logs).toEqual([
        expect.stringMatching(
          new RegExp(
            `^tunnel ssmdb: session ${first} resumed.*; its connection had dropped: .*` +
              `\\(so far: 1 resume, 0 replacements, 0 renewals\\)$`,
          ),
        ),
      ]);
      socket.destroy();

      // Ended for good: the next connection, made at once, waits for a fresh session.
      // A connection made once the client knows, while the fresh session starts, waits for it. (One
      // made before channel_closed arrives rides the ending session and is reset, as with any client.)
      await local.endFromCloud("aws", first);
      await eventually(
        async () => logs,
        (l) => l.length > 1,
      );
      expect(await roundTrip(port, "ssm after the end")).toBe("ssm after the end");
      expect(logs[1]).toMatch(
        new RegExp(
          `^tunnel ssmdb: session ${first} was ended by the service.*; starting a fresh session for new connections ` +
            `\\(so far: 1 resume, 1 replacement, 0 renewals\\)$`,
        ),
      );
      expect(await liveIds()).toEqual([expect.not.stringMatching(first)]);
    } finally {
      await host.closeAll();
    }
    expect(logs.at(-1)).toMatch(
      /^tunnel ssmdb: closed after \d+ s: 2 sessions, 1 resume, 1 replacement, 0 renewals$/,
    );
    // One line each, and no session token or URL query in any; the lost session is a warning.
    for (const line of logs) expect(line).not.toMatch(/\n|token=|\?/);
    expect(severities.slice(0, 3)).toEqual([undefined, "warning", undefined]);
    expect([...urns]).toEqual([urn]);
    expect(await liveIds()).toEqual([]);
  }, 30_000);

  test("SSM: a first session that cannot start fails no configure: a connection is closed, a warning says why, and nothing is left", async () => {
    const logs: Array<[string, string | undefined]> = [];
    const host = new TunnelHost((m, severity) => logs.push([m, severity]));
    const port = await freePort();
    const inputs = { ...local.spec("aws", port).inputs, target: "i-0notregistered01" };
    const urn = "urn:pulumi:dev::shop::pulumi:providers:sessions::gone";
    await host.configure({ awsTunnel: inputs }, local.settings, urn);
    try {
      // Closed (reset, as its bytes were unread) without a byte back.
      expect(await roundTrip(port, "nobody answers").catch(() => "")).toBe("");
      expect(logs[0]).toEqual([
        expect.stringMatching(/^tunnel gone: could not start a session \(.*\): .*i-0notregistered01/),
        "warning",
      ]);
    } finally {
      await host.closeAll();
    }
    expect((await local.live()).ssm.filter((s) => s.reason?.startsWith(tunnelReason(urn)))).toEqual([]);
    // The process goes on: a tunnel to a registered target serves.
    const next = new TunnelHost(() => {});
    const nextPort = await freePort();
    await next.configure(
      { awsTunnel: local.spec("aws", nextPort).inputs },
      local.settings,
      "urn:pulumi:dev::shop::pulumi:providers:sessions::back",
    );
    try {
      expect(await roundTrip(nextPort, "served")).toBe("served");
    } finally {
      await next.closeAll();
    }
  }, 30_000);

  test("ECS: a session ended from the cloud's side is replaced for the connection that found out and the next ones", async () => {
    const logs: string[] = [];
    const host = new TunnelHost((m) => logs.push(m));
    const port = await freePort();
    await host.configure(
      { alicloudTunnel: local.spec("alicloud", port).inputs },
      local.settings,
      "urn:pulumi:dev::shop::pulumi:providers:sessions::ecsdb",
    );
    try {
      expect(await roundTrip(port, "ecs first")).toBe("ecs first");
      const [first] = (await local.live()).ecs;
      await local.endFromCloud("alicloud", first);
      expect(await roundTrip(port, "ecs after the end")).toBe("ecs after the end");
      expect(logs).toEqual([
        expect.stringMatching(
          new RegExp(
            `^tunnel ecsdb: session ${first} is gone \\(.*SessionEnded.*\\); session \\S+ serves new connections ` +
              `\\(so far: 0 resumes, 1 replacement, 0 renewals\\)$`,
          ),
        ),
      ]);
      expect((await local.live()).ecs).toEqual([expect.not.stringMatching(first)]);
    } finally {
      await host.closeAll();
    }
    expect(logs.at(-1)).toMatch(
      /^tunnel ecsdb: closed after \d+ s: 2 sessions, 0 resumes, 1 replacement, 0 renewals$/,
    );
    expect((await local.live()).ecs).toEqual([]);
  }, 30_000);
});

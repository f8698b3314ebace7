/** Tunnels in the plugin process against the local cloud: a failed session is logged and replaced. */
import { settingsFromEnv } from "../provider/config";
import { tunnelReason } from "../provider/tunnel/sessions";
import {
  eventually,
  roundTrip,
  startLocalTunnels,
  type LocalTunnels,
} from "../provider/tunnel/testing/localTunnels";
import { freePort } from "../provider/tunnel/inputs";
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

test("an endpoint without a tunnel provider says what it needs", () => {
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

  /** A connection that gets its bytes back, once the tunnel has what it needs. */
  const serves = (port: number, text: string) =>
    eventually(
      () => roundTrip(port, text),
      (got) => got === text,
    );

  test("a session ended from the cloud's side is logged and replaced; the other tunnel keeps going", async () => {
    const logs: string[] = [];
    const hosts = { aws: new TunnelHost((m) => logs.push(m)), alicloud: new TunnelHost((m) => logs.push(m)) };
    const urns = {
      aws: "urn:pulumi:dev::shop::pulumi:providers:sessions::ssmdb",
      alicloud: "urn:pulumi:dev::shop::pulumi:providers:sessions::ecsdb",
    };
    const ports = { aws: await freePort(), alicloud: await freePort() };
    for (const cloud of ["aws", "alicloud"] as const) {
      const { inputs } = local.spec(cloud, ports[cloud]);
      await hosts[cloud].configure({ [`${cloud}Tunnel`]: inputs }, local.settings, urns[cloud]);
    }
    const liveIds = async () => {
      const live = await local.live();
      const ssm = live.ssm.filter((s) => s.reason?.startsWith(tunnelReason(urns.aws)));
      return { aws: ssm.map((s) => s.sessionId), alicloud: live.ecs };
    };
    try {
      expect(await roundTrip(ports.aws, "ssm first")).toBe("ssm first");
      expect(await roundTrip(ports.alicloud, "ecs first")).toBe("ecs first");
      const first = await liveIds();
      expect(first.aws).toHaveLength(1);
      expect(first.alicloud).toHaveLength(1);

      // SSM: the session ends for every connection; the tunnel sees it and starts a fresh one.
      await local.endFromCloud("aws", first.aws[0]);
      expect(await serves(ports.aws, "ssm after the end")).toBe("ssm after the end");
      expect(logs).toEqual([
        expect.stringMatching(
          new RegExp(
            `^session ${first.aws[0]} was ended by the service.*; opening a fresh session for new connections$`,
          ),
        ),
      ]);
      expect(await roundTrip(ports.alicloud, "ecs meanwhile")).toBe("ecs meanwhile");

      // ECS: the refused connection tells the tunnel, and is itself retried on a fresh session.
      await local.endFromCloud("alicloud", first.alicloud[0]);
      expect(await roundTrip(ports.alicloud, "ecs after the end")).toBe("ecs after the end");
      expect(logs[1]).toMatch(
        new RegExp(
          `^a connection through session ${first.alicloud[0]} failed: .*SessionEnded.*; new connections get a fresh session$`,
        ),
      );
      expect(await roundTrip(ports.aws, "ssm meanwhile")).toBe("ssm meanwhile");

      const second = await liveIds();
      expect(second.aws).toEqual([expect.not.stringMatching(first.aws[0])]);
      expect(second.alicloud).toEqual([expect.not.stringMatching(first.alicloud[0])]);
      // One line each, and no session token or URL query in any.
      for (const line of logs) expect(line).not.toMatch(/\n|token=|\?/);
    } finally {
      await hosts.aws.closeAll();
      await hosts.alicloud.closeAll();
    }
    expect(await liveIds()).toEqual({ aws: [], alicloud: [] });
  }, 30_000);
});

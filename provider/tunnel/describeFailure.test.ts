/**
 * A tunnel's create that fails after the cloud started its session (the Describe step answers 5xx
 * until the retries give up, on each cloud) ends that session before the error goes on, and
 * leaves no journal record. The retries' backoff makes this the slow one: it has a file of its own.
 */
import * as fs from "node:fs";
import { freePort } from "./inputs";
import { TunnelJournal } from "./journal";
import { startLocalTunnels, type LocalTunnels } from "./testing/localTunnels";
import { openTunnel } from "./tunnel";

const URN = "urn:pulumi:dev::shop::pulumi:providers:sessions::db";

let local: LocalTunnels;

beforeAll(async () => {
  local = await startLocalTunnels();
});
afterAll(async () => {
  await local.admin.clearFaults();
  await local.stop();
});

test("a create whose Describe step fails after the start ends the session it started, on both clouds", async () => {
  await local.admin.addFault({ service: "ssm", action: "DescribeSessions", kind: "serverError" });
  await local.admin.addFault({ service: "ecs", action: "DescribeTerminalSessions", kind: "serverError" });
  const dirs = { aws: local.journalDir(), alicloud: local.journalDir() };
  const before = await local.live();
  const failures = await Promise.all(
    (["aws", "alicloud"] as const).map(async (cloud) => {
      const opened = openTunnel(local.spec(cloud, await freePort()), local.settings, {
        urn: URN,
        journal: new TunnelJournal(dirs[cloud]),
      });
      return (await opened.then(
        () => new Error("opened"),
        (e: unknown) => e,
      )) as Error;
    }),
  );
  const sessionIds = failures.map(
    (err) => /^session (\S+) was started but could not be read back: /.exec(err.message)?.[1],
  );
  for (const err of failures) {
    expect(err.message).toMatch(/failed with ServiceUnavailable .*; the tunnel ended that session\.$/);
    // Not the lifecycle's partial-create error: that one's properties hold the session's token.
    expect(err).not.toHaveProperty("properties");
  }
  // The sessions did start (the errors name them), and none is live any more.
  expect(sessionIds).toEqual([expect.stringMatching(/-0[0-9a-f]{16}$/), expect.stringMatching(/^s-/)]);
  const after = await local.live();
  expect(after.ssm.map((s) => s.sessionId)).toEqual(before.ssm.map((s) => s.sessionId));
  expect(after.ecs).toEqual(before.ecs);
  expect(fs.readdirSync(dirs.aws)).toEqual([]);
  expect(fs.readdirSync(dirs.alicloud)).toEqual([]);

  // Once Describe answers again, the same process serves both tunnels.
  await local.admin.clearFaults();
  expect(await local.roundTripThrough("aws", URN, new TunnelJournal(dirs.aws))).toBe("aws through a tunnel");
  expect(await local.roundTripThrough("alicloud", URN, new TunnelJournal(dirs.alicloud))).toBe(
    "alicloud through a tunnel",
  );
}, 60_000);

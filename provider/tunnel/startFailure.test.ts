/**
 * A tunnel whose session started but whose next step failed (here: its local port is taken) ends
 * that session before the error goes on, leaves no journal record, and the same process opens the
 * tunnel once the port is free.
 */
import * as fs from "node:fs";
import { createServer } from "node:net";
import { freePort } from "./inputs";
import { TunnelJournal } from "./journal";
import { roundTrip, startLocalTunnels, type LocalTunnels } from "./testing/localTunnels";
import { openTunnel } from "./tunnel";

const URN = "urn:pulumi:dev::shop::pulumi:providers:sessions::db";

let local: LocalTunnels;

beforeAll(async () => {
  local = await startLocalTunnels();
});
afterAll(() => local.stop());

test.each(["aws", "alicloud"] as const)(
  "%s: the port taken after the start: the session is ended, then the tunnel opens once it is free",
  async (cloud) => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, "127.0.0.1", r));
    const dir = local.journalDir();
    const before = await local.live();
    const err = (await openTunnel(local.spec(cloud, port), local.settings, {
      urn: URN,
      journal: new TunnelJournal(dir),
    }).then(
      () => new Error("opened"),
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(err.code).toBe("EADDRINUSE");
    const after = await local.live();
    expect(after.ssm.map((s) => s.sessionId)).toEqual(before.ssm.map((s) => s.sessionId));
    expect(after.ecs).toEqual(before.ecs);
    expect(fs.readdirSync(dir)).toEqual([]);

    await new Promise((r) => squatter.close(r));
    const tunnel = await openTunnel(local.spec(cloud, port), local.settings, {
      urn: URN,
      journal: new TunnelJournal(dir),
    });
    try {
      expect(await roundTrip(port, "after the port was freed")).toBe("after the port was freed");
    } finally {
      await tunnel.close();
    }
  },
);

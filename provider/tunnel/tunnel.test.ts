/**
 * Tunnels against the local cloud, in process: bytes through each cloud's tunnel, the sessions'
 * reason, a renewed Alibaba Cloud session when the URL ages, every session ended on close, and a
 * crashed run's journaled session ended by the next open.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./inputs";
import { TunnelJournal } from "./journal";
import { tunnelReason } from "./sessions";
import { roundTrip, startLocalTunnels, type LocalTunnels } from "./testing/localTunnels";
import { openTunnel } from "./tunnel";

const URN = "urn:pulumi:dev::shop::pulumi:providers:sessions::db";

let local: LocalTunnels;
let journalDir: string;

beforeAll(async () => {
  local = await startLocalTunnels();
});
beforeEach(() => {
  journalDir = local.journalDir();
});
afterAll(() => local.stop());

test("an SSM tunnel forwards bytes, carries a recognisable reason, and is ended on close", async () => {
  const localPort = await freePort();
  const tunnel = await openTunnel(local.spec("aws", localPort), local.settings, {
    urn: URN,
    journal: new TunnelJournal(journalDir),
  });
  expect(await roundTrip(localPort, "through ssm")).toBe("through ssm");
  const [session] = tunnel.sessions;
  const live = (await local.live()).ssm.find((s) => s.sessionId === session.sessionId);
  // The stack's name for it, and the start's marker a later run finds it by.
  expect(live?.reason).toMatch(/^pulumi-sessions tunnel shop\/dev\/db #[0-9a-f]{12}$/);
  expect(tunnelReason(URN)).toBe("pulumi-sessions tunnel shop/dev/db");
  expect(tunnelReason(URN.replace("::db", `::${"n".repeat(300)}`), "0123456789ab")).toHaveLength(256);
  expect(fs.readdirSync(journalDir)).toEqual([`${session.sessionId}.json`]);

  await tunnel.close();
  // The admin view lists live sessions only.
  expect((await local.live()).ssm.find((s) => s.sessionId === session.sessionId)).toBeUndefined();
  expect(fs.readdirSync(journalDir)).toEqual([]);
  await expect(roundTrip(localPort, "x")).rejects.toThrow(/ECONNREFUSED/);
});

test("an SSM tunnel closed before its first session started starts none, and warns of nothing", async () => {
  const lines: string[] = [];
  const tunnel = await openTunnel(local.spec("aws", await freePort()), local.settings, {
    urn: URN,
    journal: new TunnelJournal(journalDir),
    waitForSession: false,
    log: (message, severity) => lines.push(`${severity ?? "info"}: ${message}`),
  });
  await tunnel.close();
  expect(tunnel.sessions).toEqual([]);
  expect(lines.filter((l) => l.startsWith("warning"))).toEqual([]);
  expect(fs.readdirSync(journalDir)).toEqual([]);
});

test("an Alibaba Cloud tunnel renews its session as the URL ages and ends both on close", async () => {
  let clock = Date.now();
  const localPort = await freePort();
  const tunnel = await openTunnel(local.spec("alicloud", localPort), local.settings, {
    urn: URN,
    journal: new TunnelJournal(journalDir),
    now: () => clock,
  });
  expect(await roundTrip(localPort, "first")).toBe("first");
  clock += 9 * 60_000;
  expect(await roundTrip(localPort, "second")).toBe("second");
  const ids = tunnel.sessions.map((s) => s.sessionId);
  expect(new Set(ids).size).toBe(2);
  expect(fs.readdirSync(journalDir).sort()).toEqual(ids.map((id) => `${id}.json`).sort());

  await tunnel.close();
  expect((await local.live()).ecs.filter((id) => ids.includes(id))).toEqual([]);
  expect(fs.readdirSync(journalDir)).toEqual([]);
}, 30_000);

test("a session journaled by a process that is gone is ended by the next open of that tunnel", async () => {
  const journal = new TunnelJournal(journalDir);
  const crashed = await openTunnel(local.spec("aws", await freePort()), local.settings, {
    urn: URN,
    journal,
  });
  const [left] = crashed.sessions;
  // As if its plugin had been killed: the record names a process that no longer runs.
  const record = path.join(journalDir, `${left.sessionId}.json`);
  fs.writeFileSync(
    record,
    JSON.stringify({ ...JSON.parse(fs.readFileSync(record, "utf8")), pid: 2 ** 22 + 1 }),
  );
  expect(journal.orphans("urn:pulumi:dev::shop::pulumi:providers:sessions::other")).toEqual([]);

  const logs: string[] = [];
  const next = await openTunnel(local.spec("aws", await freePort()), local.settings, {
    urn: URN,
    journal,
    log: (m) => logs.push(m),
  });
  expect(logs).toEqual([`ended session ${left.sessionId}, left open by an earlier run that did not finish`]);
  logs.length = 0;
  expect((await local.live()).ssm.find((s) => s.sessionId === left.sessionId)).toBeUndefined();
  expect(journal.orphans(URN)).toEqual([]);
  await next.close();
  expect(logs).toEqual([expect.stringMatching(/^closed after/)]);
  await crashed.close();
  expect(fs.readdirSync(journalDir)).toEqual([]);
});

describe("without the journal (a crashed run on another machine)", () => {
  const OTHER_STACK = "urn:pulumi:prod::shop::pulumi:providers:sessions::db";

  test("SSM: unattended sessions whose reason names this tunnel are ended; another stack's, or one in use, are not", async () => {
    // The same tunnel open elsewhere right now: its session is Connected.
    const elsewhere = await openTunnel(local.spec("aws", await freePort()), local.settings, {
      urn: URN,
      journal: new TunnelJournal(local.journalDir()),
    });
    const left = await local.startDirectly("aws", tunnelReason(URN, "0123456789ab"));
    const other = await local.startDirectly("aws", tunnelReason(OTHER_STACK, "0123456789ab"));
    const unmarked = await local.startDirectly("aws", tunnelReason(URN));
    const logs: string[] = [];
    const tunnel = await openTunnel(local.spec("aws", await freePort()), local.settings, {
      urn: URN,
      journal: new TunnelJournal(journalDir),
      log: (m) => logs.push(m),
    });
    await tunnel.close();
    const live = (await local.live()).ssm.map((s) => s.sessionId);
    expect(live).not.toContain(left);
    expect(live).toEqual(expect.arrayContaining([other, unmarked, elsewhere.sessions[0].sessionId]));
    await elsewhere.close();
    expect(logs).toEqual([
      `ended session ${left}, left open by an earlier run of this tunnel (found by its reason)`,
      expect.stringMatching(/^closed after \d+ s: 1 session, 0 resumes, 0 replacements, 0 renewals$/),
    ]);
    for (const id of [other, unmarked]) await local.endFromCloud("aws", id);
  });

  test("ECS: an unused session to the same port by the same principal is ended; one to another port is not", async () => {
    const left = await local.startDirectly("alicloud");
    const otherPort = await local.startDirectly("alicloud", local.echoPort + 1);
    // Creation times have whole seconds: the leftover must be older than this run's session.
    await new Promise((r) => setTimeout(r, 1_100));
    const logs: string[] = [];
    const tunnel = await openTunnel(local.spec("alicloud", await freePort()), local.settings, {
      urn: URN,
      journal: new TunnelJournal(journalDir),
      log: (m) => logs.push(m),
    });
    await tunnel.close();
    const live = (await local.live()).ecs;
    expect(live).not.toContain(left);
    expect(live).toContain(otherPort);
    expect(logs[0]).toBe(
      `ended session ${left}: same instance, port, target server and principal, started before this run ` +
        "and unused (likely left by an earlier run of this tunnel)",
    );
    expect(logs).toHaveLength(2);
    await local.endFromCloud("alicloud", otherPort);
  });
});

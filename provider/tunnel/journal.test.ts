/**
 * Tunnels never lose track of a session: a start is journaled before its call, so a create that
 * fails after the session exists (its Describe step, a lost answer) ends it, and a run killed
 * between the start and its answer leaves a record the next run ends the session by.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./inputs";
import { alicloudClientFor, startTerminalSession } from "../clients/alicloud";
import { ssmClientFor, startSession } from "../clients/aws";
import { TunnelJournal, type JournalRecord } from "./journal";
import { tunnelReason } from "./sessions";
import {
  ALI_INSTANCE,
  roundTrip,
  SSM_TARGET,
  startLocalTunnels,
  type LocalTunnels,
} from "./testing/localTunnels";
import { openTunnel } from "./tunnel";

const URN = "urn:pulumi:dev::shop::pulumi:providers:sessions::db";
/** A pid no process has (above Linux's pid_max). */
const GONE = 2 ** 22 + 1;

let local: LocalTunnels;

beforeAll(async () => {
  local = await startLocalTunnels();
});
afterEach(() => local.admin.clearFaults());
afterAll(() => local.stop());

/** What a journal folder holds, parsed. */
const records = (dir: string): JournalRecord[] =>
  fs.readdirSync(dir).map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), "utf8")) as JournalRecord);

test("a StartSession whose answer is lost: the session is found by its marker and ended", async () => {
  // The cloud starts the session, then drops the connection; StartSession is not retried.
  await local.admin.addFault({ service: "ssm", action: "StartSession", kind: "dropResponse", count: 1 });
  const dir = local.journalDir();
  const before = (await local.live()).ssm.length;
  const err = await openTunnel(local.spec("aws", await freePort()), local.settings, {
    urn: URN,
    journal: new TunnelJournal(dir),
  }).catch((e: unknown) => e as Error);
  expect(err).toMatchObject({ name: "AwsApiError", code: "RequestTimeout", transport: true });
  expect((await local.live()).ssm).toHaveLength(before);
  expect(fs.readdirSync(dir)).toEqual([]);
  // The process still serves a tunnel: the failure was that start's alone.
  expect(await local.roundTripThrough("aws", URN, new TunnelJournal(dir))).toBe("aws through a tunnel");
});

test("a start the cloud refuses made no session: its record goes, with nothing to look for", async () => {
  const dir = local.journalDir();
  const spec = local.spec("aws", await freePort());
  await local.admin.clearRequests();
  const err = await openTunnel(
    { ...spec, inputs: { ...spec.inputs, target: "i-0nosuchtarget001" } } as typeof spec,
    local.settings,
    { urn: URN, journal: new TunnelJournal(dir) },
  ).catch((e: unknown) => e as Error);
  expect(err).toMatchObject({ name: "AwsApiError", code: "TargetNotConnected", httpStatus: 400 });
  expect(fs.readdirSync(dir)).toEqual([]);
  // No search for a session that cannot exist, and nothing to end.
  expect((await local.admin.requests()).map((r) => r.action)).toEqual(["StartSession"]);
});

test("a run killed between the start and its answer leaves an intent the next run ends the session by", async () => {
  const dir = local.journalDir();
  const journal = new TunnelJournal(dir);
  // What a run has done at the moment it dies: the intent journaled, the start sent, no id
  // recorded. The record names a process that no longer runs.
  const dead = (record: JournalRecord) =>
    fs.writeFileSync(
      path.join(dir, `intent-${record.marker}.json`),
      JSON.stringify({ ...record, pid: GONE }),
    );

  const marker = randomBytes(6).toString("hex");
  const reason = tunnelReason(URN, marker);
  const awsIntent = { target: SSM_TARGET, documentName: "AWS-StartPortForwardingSession", reason };
  dead(journal.begin(URN, { cloud: "aws", region: "us-west-2", marker, intent: awsIntent }));
  const ssm = await startSession(ssmClientFor(local.settings.aws, "us-west-2"), {
    ...awsIntent,
    parameters: { portNumber: [String(local.echoPort)], localPortNumber: ["0"] },
  });

  const clientToken = randomUUID();
  const aliIntent = { instanceIds: [ALI_INSTANCE], portNumber: local.echoPort, clientToken };
  dead(
    journal.begin(URN, { cloud: "alicloud", region: "cn-hangzhou", marker: clientToken, intent: aliIntent }),
  );
  const ecs = await startTerminalSession(alicloudClientFor(local.settings, "ecs", "cn-hangzhou"), {
    regionId: "cn-hangzhou",
    ...aliIntent,
  });
  // A start that died before its request left: nothing to end, the record goes all the same.
  dead(journal.begin(URN, { cloud: "aws", region: "us-west-2", marker: "00000000dead", intent: awsIntent }));
  expect(records(dir).map((r) => r.sessionId)).toEqual([undefined, undefined, undefined]);
  expect((await local.live()).ssm.map((s) => s.sessionId)).toContain(ssm.sessionId);
  expect((await local.live()).ecs).toContain(ecs.sessionId);

  // The next run of the same tunnel, on either cloud, ends what the journal holds for it.
  const logs: string[] = [];
  const port = await freePort();
  const next = await openTunnel(local.spec("aws", port), local.settings, {
    urn: URN,
    journal,
    log: (m) => logs.push(m),
  });
  expect(logs.sort()).toEqual(
    [
      `ended session ${ssm.sessionId}, started by an earlier run that stopped before it knew the id`,
      `ended session ${ecs.sessionId}, started by an earlier run that stopped before it knew the id`,
      "an earlier run stopped in the middle of a start that made no session: nothing to end",
    ].sort(),
  );
  const live = await local.live();
  expect(live.ssm.map((s) => s.sessionId)).not.toContain(ssm.sessionId);
  expect(live.ecs).not.toContain(ecs.sessionId);
  // Only the new run's own session is journaled, complete.
  expect(records(dir)).toEqual([
    expect.objectContaining({ sessionId: next.sessions[0].sessionId, pid: process.pid }),
  ]);
  expect(await roundTrip(port, "after the crash")).toBe("after the crash");
  await next.close();
  expect(fs.readdirSync(dir)).toEqual([]);
});

/**
 * Tunnels against the local cloud, in process: bytes through each cloud's tunnel, the sessions'
 * reason, a renewed Alibaba Cloud session when the URL ages, every session ended on close, and a
 * crashed run's journaled session ended by the next open.
 */
import * as fs from "node:fs";
import { createServer, connect, type Server } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import type { ConfigSource } from "../config";
import { freePort } from "../../plugin/tunnels";
import { TunnelJournal } from "./journal";
import { tunnelReason } from "./sessions";
import { openTunnel } from "./tunnel";

const ALI = { accessKeyId: "LTAItunnelunit0001", accessKeySecret: "tunnel-unit-ali" };
const AWS = { accessKeyId: "AKIATUNNELUNIT0001", accessKeySecret: "tunnel-unit-aws" };
const URN = "urn:pulumi:dev::shop::pulumi:providers:sessions::db";

let cloud: LocalCloud;
let admin: AdminClient;
let echo: Server;
let echoPort: number;
/** Connections the local cloud's data plane made to the echo server (closed at the end). */
const echoSockets = new Set<import("node:net").Socket>();
let journalDir: string;

beforeAll(async () => {
  process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  cloud = await startLocalCloud({
    credentials: [ALI, AWS],
    ecs: { instances: [{ instanceId: "i-tunnelunit00001", regionId: "cn-hangzhou" }] },
    ssm: { targets: [{ target: "i-0tunnelunit0001", region: "us-west-2" }] },
  });
  admin = new AdminClient(cloud);
  echo = createServer((s) => {
    echoSockets.add(s);
    s.once("close", () => echoSockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as { port: number }).port;
});
beforeEach(() => {
  journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "tunnel-journal-"));
});
afterAll(async () => {
  for (const s of echoSockets) s.destroy();
  echo.close();
  await cloud.stop();
});

const config = (values: Record<string, string>): ConfigSource => ({
  get: (key) => ({ "sessions:localCloud": cloud.url, ...values })[key],
});
const aliConfig = config({
  "alicloud:region": "cn-hangzhou",
  "alicloud:accessKey": ALI.accessKeyId,
  "alicloud:secretKey": ALI.accessKeySecret,
});
const awsConfig = config({
  "aws:region": "us-west-2",
  "aws:accessKey": AWS.accessKeyId,
  "aws:secretKey": AWS.accessKeySecret,
});

/** Sends `text` through the port and returns what comes back once the far end closes. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(text));
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) socket.destroy();
    });
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
  });
}

async function sessionState() {
  return (await admin.sessions()) as {
    ecs: Array<{ sessionId: string; active: boolean }>;
    ssm: Array<{ sessionId: string; status: string; reason?: string }>;
  };
}

test("an SSM tunnel forwards bytes, carries a recognisable reason, and is ended on close", async () => {
  const localPort = await freePort();
  const tunnel = await openTunnel(
    { cloud: "aws", inputs: { target: "i-0tunnelunit0001", remotePort: echoPort, localPort } },
    awsConfig,
    { urn: URN, journal: new TunnelJournal(journalDir) },
  );
  expect(await roundTrip(localPort, "through ssm")).toBe("through ssm");
  const [session] = tunnel.sessions;
  const live = (await sessionState()).ssm.find((s) => s.sessionId === session.sessionId);
  expect(live?.reason).toBe("pulumi-sessions tunnel shop/dev/db");
  expect(tunnelReason(URN)).toBe("pulumi-sessions tunnel shop/dev/db");
  expect(fs.readdirSync(journalDir)).toHaveLength(1);

  await tunnel.close();
  // The admin view lists live sessions only.
  expect((await sessionState()).ssm.find((s) => s.sessionId === session.sessionId)).toBeUndefined();
  expect(fs.readdirSync(journalDir)).toEqual([]);
  await expect(roundTrip(localPort, "x")).rejects.toThrow(/ECONNREFUSED/);
});

test("an Alibaba Cloud tunnel renews its session as the URL ages and ends both on close", async () => {
  let clock = Date.now();
  const localPort = await freePort();
  const tunnel = await openTunnel(
    { cloud: "alicloud", inputs: { instanceId: "i-tunnelunit00001", portNumber: echoPort, localPort } },
    aliConfig,
    { urn: URN, journal: new TunnelJournal(journalDir), now: () => clock },
  );
  expect(await roundTrip(localPort, "first")).toBe("first");
  clock += 9 * 60_000;
  expect(await roundTrip(localPort, "second")).toBe("second");
  const ids = tunnel.sessions.map((s) => s.sessionId);
  expect(new Set(ids).size).toBe(2);
  expect(fs.readdirSync(journalDir)).toHaveLength(2);

  await tunnel.close();
  const ecs = (await sessionState()).ecs.filter((s) => ids.includes(s.sessionId) && s.active);
  expect(ecs).toEqual([]);
  expect(fs.readdirSync(journalDir)).toEqual([]);
}, 30_000);

test("a session journaled by a process that is gone is ended by the next open of that tunnel", async () => {
  const journal = new TunnelJournal(journalDir);
  const spec = async () => ({
    cloud: "aws" as const,
    inputs: { target: "i-0tunnelunit0001", remotePort: echoPort, localPort: await freePort() },
  });
  const crashed = await openTunnel(await spec(), awsConfig, { urn: URN, journal });
  const [left] = crashed.sessions;
  // As if its plugin had been killed: the record names a process that no longer runs.
  const record = path.join(journalDir, `${left.sessionId}.json`);
  fs.writeFileSync(
    record,
    JSON.stringify({ ...JSON.parse(fs.readFileSync(record, "utf8")), pid: 2 ** 22 + 1 }),
  );
  expect(journal.orphans("urn:pulumi:dev::shop::pulumi:providers:sessions::other")).toEqual([]);

  const logs: string[] = [];
  const next = await openTunnel(await spec(), awsConfig, { urn: URN, journal, log: (m) => logs.push(m) });
  expect(logs).toEqual([`ended session ${left.sessionId}, left open by an earlier run that did not finish`]);
  expect((await sessionState()).ssm.find((s) => s.sessionId === left.sessionId)).toBeUndefined();
  expect(journal.orphans(URN)).toEqual([]);
  await next.close();
  await crashed.close();
  expect(fs.readdirSync(journalDir)).toEqual([]);
});

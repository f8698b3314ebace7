/**
 * Every resource type of the `pulumi-resource-sessions` plugin, and a tunnel, from one YAML
 * program (test/e2e/programs/yaml-every-type) under the real engine, the plugin from the packed
 * package on PATH: explicit `sessions` providers (keys as inputs) and the default one (stack
 * config), SsmSession, both revocations, a KillInstanceSessionTask against a real MariaDB, and
 * an aws tunnel whose port carries bytes while `up` runs. Preview rejects a bad tunnel input
 * with no API call; up, refresh after an out-of-band end, and destroy leave nothing live.
 */
import { SSMClient, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import * as fs from "node:fs";
import * as net from "node:net";
import type { Server } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import {
  closeAll,
  createAccounts,
  isAlive,
  openSession,
  startTestMariadb,
  testAccount,
  type ClientSession,
  type TestMariadb,
} from "../../emulator/services/das/testing/mariadb";
import { callRpc, openApiClient } from "../../emulator/testing/alibaba";
import { freePort } from "../../provider/tunnel/inputs";
import { liveSessions } from "../support/liveSessions";
import { listening } from "../support/ports";
import { engineBin, TestStack, uniqueSuffix } from "../support/harness";
import { workRoot } from "../support/paths";
import { installPluginPackage, scriptOutput, startEcho } from "./pluginSupport";

jest.setTimeout(600_000);

const ALI_REGION = "cn-hangzhou";
const AWS_REGION = "us-west-2";
const ALI = { accessKeyId: "LTAIyamltypes00001", accessKeySecret: "yaml-types-ali-secret-01" };
const AWS = { accessKeyId: "AKIAYAMLTYPES00001", accessKeySecret: "yaml-types-aws-secret-01" };
const INSTANCE = "i-yamltypes0001";
const TARGET = "i-0yamltypes000001";
const sfx = uniqueSuffix();
const DB_INSTANCE = `rm-yamltypes${sfx}`;
const account = (name: string, grants?: string) => testAccount(name, sfx, grants);
const OPS = account("ops", "PROCESS, CONNECTION ADMIN");
const APP = account("app");
const KEEPER = account("keeper");
/** How long the local DAS holds the drain's create (under the client's read timeout), so the test can use the tunnel meanwhile. */
const DRAIN_HOLD_MS = 3_000;

let db: TestMariadb;
let cloud: LocalCloud;
let admin: AdminClient;
let ssm: SSMClient;
let echo: Server;
let installDir: string;
let stack: TestStack;
let tunnelPort: number;
const opened: ClientSession[] = [];

beforeAll(async () => {
  const yamlBin = scriptOutput("yaml-host.sh");
  installDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-yaml-types-"));
  const dotBin = installPluginPackage(installDir);
  db = await startTestMariadb("yaml-types-e2e");
  await createAccounts(db, [OPS, APP, KEEPER]);
  cloud = await startLocalCloud({
    credentials: [ALI, AWS],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: ALI_REGION }] },
    ssm: { targets: [{ target: TARGET, region: AWS_REGION }] },
    das: { instances: [{ instanceId: DB_INSTANCE, engine: "MySQL", host: db.host, port: db.port }] },
  });
  admin = new AdminClient(cloud);
  ssm = new SSMClient({
    region: AWS_REGION,
    endpoint: cloud.url,
    credentials: { accessKeyId: AWS.accessKeyId, secretAccessKey: AWS.accessKeySecret },
  });
  let echoPort: number;
  ({ server: echo, port: echoPort } = await startEcho());
  tunnelPort = await freePort();
  stack = await TestStack.create({
    program: "yaml-every-type",
    config: {
      "sessions:localCloud": cloud.url,
      "sessions:alicloudRegion": ALI_REGION,
      "sessions:alicloudAccessKey": ALI.accessKeyId,
      "yaml-every-type:localCloud": cloud.url,
      "yaml-every-type:awsAccessKey": AWS.accessKeyId,
      "yaml-every-type:ssmTarget": TARGET,
      "yaml-every-type:ecsInstance": INSTANCE,
      "yaml-every-type:dbInstance": DB_INSTANCE,
      "yaml-every-type:dbUser": OPS.user,
      "yaml-every-type:keepUser": KEEPER.user,
      "yaml-every-type:release": "v1",
      "yaml-every-type:echoPort": String(echoPort),
      "yaml-every-type:tunnelPort": String(tunnelPort),
    },
    secrets: {
      "sessions:alicloudSecretKey": ALI.accessKeySecret,
      "yaml-every-type:awsSecretKey": AWS.accessKeySecret,
      "yaml-every-type:dbPassword": OPS.password,
    },
    env: {
      // Only the engine, the YAML host and the installed package's bins: nothing of the repo.
      PATH: [engineBin(), yamlBin, dotBin, process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_SESSIONS_TUNNEL_JOURNAL: fs.mkdtempSync(path.join(workRoot(), "yaml-types-journal-")),
    },
    stackName: `y${sfx}`,
  });
});

afterAll(async () => {
  await stack?.destroy({ allowFailure: true });
  stack?.cleanup();
  await closeAll(opened);
  await cloud?.stop();
  await db?.stop();
  await new Promise((resolve) => echo?.close(resolve));
  if (installDir) fs.rmSync(installDir, { recursive: true, force: true });
});

/** The SSM sessions the tunnel started during the last command (they carry its reason). */
async function tunnelStarts(): Promise<number> {
  const starts = (await admin.requests()).filter((r) => r.service === "ssm" && r.action === "StartSession");
  const reason = new RegExp(
    `^pulumi-sessions tunnel yaml-every-type/${stack.stackName}/tunnel #[0-9a-f]{12}$`,
  );
  return starts.filter((r) => typeof r.params?.Reason === "string" && reason.test(r.params.Reason)).length;
}

/** Sends a line through the tunnel and reads it back; false while nothing answers. */
function echoes(port: number, line: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let got = "";
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on("connect", () => socket.write(line));
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      if (got === line) socket.end();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(got === line));
  });
}

test("preview rejects a bad tunnel port naming the field and the rule, starting or ending nothing", async () => {
  await stack.setConfig("yaml-every-type:tunnelPort", "70000");
  try {
    await admin.clearRequests();
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    expect(`${preview.stdout}\n${preview.stderr}`).toContain(
      "awsTunnel.localPort: localPort must be at most 65535 (rule 1..65535)",
    );
    // The revocations' previews list what they would end (Describe*); nothing else is called.
    const actions = (await admin.requests()).map((r) => r.action ?? "");
    expect(actions.filter((a) => !a.startsWith("Describe"))).toEqual([]);
  } finally {
    await stack.setConfig("yaml-every-type:tunnelPort", String(tunnelPort));
  }
});

test("up: revocations end the strays, the drain kills the app's connections, the tunnel carries bytes while up runs", async () => {
  const strayEcs = (
    await callRpc(openApiClient(cloud, ALI), "StartTerminalSession", {
      RegionId: ALI_REGION,
      "InstanceId.1": INSTANCE,
    })
  ).body.SessionId as string;
  const straySsm = (await ssm.send(new StartSessionCommand({ Target: TARGET }))).SessionId!;
  const app = await openSession(db, APP.user, APP.password);
  const keeper = await openSession(db, KEEPER.user, KEEPER.password);
  opened.push(app, keeper);
  await admin.clearRequests();
  await admin.addFault({
    service: "das",
    action: "CreateKillInstanceSessionTask",
    kind: "latency",
    latencyMs: DRAIN_HOLD_MS,
    count: 1,
  });

  let done = false;
  const up = stack.up().finally(() => (done = true));
  let echoedDuringUp = false;
  while (!done && !echoedDuringUp) {
    echoedDuringUp = await echoes(tunnelPort, `through the tunnel ${sfx}\n`);
    if (!echoedDuringUp) await new Promise((r) => setTimeout(r, 200));
  }
  await up;
  expect(echoedDuringUp).toBe(true);

  const outputs = await stack.outputs();
  expect(outputs.ecsRevoked).toEqual([strayEcs]);
  expect(outputs.ssmRevoked).toEqual([straySsm]);
  expect(outputs.killed).toEqual([app.id]);
  expect(outputs.drainState).toBe("SUCCESS");
  expect(outputs).toMatchObject({ tunnelHost: "127.0.0.1", tunnelPort });
  expect([await isAlive(app), await isAlive(keeper)]).toEqual([false, true]);
  expect(await tunnelStarts()).toBe(1);
  // Our own SSM session stays; the tunnel's ended with the run and its port is closed.
  expect(await liveSessions(admin)).toEqual([`ssm ${outputs.ssmSessionId as string}`]);
  expect(await listening(tunnelPort)).toBe(false);

  const raw = stack.rawState();
  for (const secret of [
    ALI.accessKeySecret,
    AWS.accessKeySecret,
    OPS.password,
    outputs.ssmStreamUrl as string,
  ]) {
    expect(raw).not.toContain(secret);
  }
});

test("refresh opens the tunnel again and drops the SSM session ended outside Pulumi; up starts one, revoking nothing", async () => {
  const before = (await stack.outputs()).ssmSessionId as string;
  await ssm.send(new TerminateSessionCommand({ SessionId: before }));
  await admin.clearRequests();
  await stack.refresh();
  expect(await tunnelStarts()).toBe(1);
  expect((await stack.resourcesOfType("sessions:aws:SsmSession")).map((r) => r.id)).toEqual([]);
  expect(await liveSessions(admin)).toEqual([]);

  await admin.clearRequests();
  await stack.up();
  const after = (await stack.outputs()).ssmSessionId as string;
  expect(after).not.toBe(before);
  // The only session ended is the tunnel's own, at the end of the run.
  const actions = (await admin.requests()).map((r) => r.action);
  expect(actions.filter((a) => a === "TerminateSession")).toHaveLength(await tunnelStarts());
  expect(actions).not.toContain("EndTerminalSession");
  expect(actions).not.toContain("CreateKillInstanceSessionTask");
  expect(await liveSessions(admin)).toEqual([`ssm ${after}`]);
});

test("destroy ends the SSM session through the explicit provider, with the tunnel open for the run", async () => {
  const sessionId = (await stack.outputs()).ssmSessionId as string;
  await admin.clearRequests();
  await stack.destroy();
  const terminated = (await admin.requests()).filter((r) => r.action === "TerminateSession");
  expect(terminated.map((r) => r.params?.SessionId)).toContain(sessionId);
  expect(await tunnelStarts()).toBe(1);
  expect(await liveSessions(admin)).toEqual([]);
  expect(await listening(tunnelPort)).toBe(false);
  expect(await stack.resources()).toEqual([]);
});

/**
 * The examples (examples/<name>) under the real engine, against one local cloud: each folder is
 * copied as it is and configured through stack config only, as its README tells a user to.
 *
 *   break-glass-ssh               preview, up, destroy with `existingInstanceId` (the switch that
 *                                 leaves @pulumi/alicloud out); without it, preview only shows the
 *                                 program asking for the alicloud provider plugin, which is not
 *                                 available offline, so the VPC/vswitch/instance path cannot run
 *                                 here (it is type-checked by `tsc`, like every example)
 *   rds-port-forward              preview, up (a real MySQL query through the tunnel), destroy
 *   drain-rds-before-maintenance  preview, up against a real MariaDB (DAS mapped to it), destroy
 *   ssm-port-forward              preview, up (bytes through the forwarded port), destroy
 *   private-database-tunnel       preview (no session), up (a database and user made through the
 *                                 tunnel, in the real MariaDB), destroy (dropped through it)
 *   revoke-before-deploy          preview, up, same release again, new release, destroy
 *   bootstrap-over-session        its own local-cloud stack (Pulumi.local.yaml, local-cloud.json):
 *                                 preview, up (setup script and health check through two
 *                                 sessions), destroy (the delete script removes what setup made)
 *
 * After every destroy the local cloud must have no live session left (`/_admin/sessions`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { SSMClient, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { officialPlugin } from "../../emulator/dataplane/ssm/testing/plugin";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import {
  closeAll,
  connectAs,
  createAccounts,
  isAlive,
  MARIADB_ADMIN,
  openSession,
  startTestMariadb,
  testAccount,
  type ClientSession,
  type TestMariadb,
} from "../../emulator/services/das/testing/mariadb";
import { callRpc, openApiClient } from "../../emulator/testing/alibaba";
import { TestStack, uniqueSuffix, type PreviewResult } from "../support/harness";
import { programRoot, repoRoot, workRoot } from "../support/paths";
import { pluginFolder } from "../support/installedPackage";
import { liveSessions as liveSessionsOf } from "../support/liveSessions";

// Engine runs take seconds each; the e2e project's testTimeout is not applied per project.
jest.setTimeout(600_000);

const ALI_REGION = "cn-hangzhou";
const AWS_REGION = "us-west-2";
/** The keys the stacks sign with. */
const ALI = { accessKeyId: "LTAIexamplese2e001", accessKeySecret: "examples-e2e-ali-secret" };
const AWS = { accessKeyId: "AKIAEXAMPLESE2E001", accessKeySecret: "examples-e2e-aws-secret" };
/** People whose own sessions the revocation example ends (alice) or spares (the break-glass account). */
const ALICE = { accessKeyId: "LTAIexamplesalice1", accessKeySecret: "examples-alice-secret" };
const BREAKGLASS = { accessKeyId: "LTAIexamplesbreak1", accessKeySecret: "examples-breakglass-secret" };
const AWS_ALICE = { accessKeyId: "AKIAEXAMPLESALICE1", accessKeySecret: "examples-aws-alice-secret" };
const AWS_BREAKGLASS = { accessKeyId: "AKIAEXAMPLESBREAK1", accessKeySecret: "examples-aws-break-secret" };

// Each example gets its own instances, so one example's sessions never meet another's.
const BREAK_GLASS_INSTANCE = "i-exbreakglass0001";
const BASTION_INSTANCE = "i-exbastion0000001";
const REVOKE_INSTANCES = ["i-exrevoke00000001", "i-exrevoke00000002"];
const SSM_TARGET = "i-0exssmforward0001";
const REVOKE_TARGET = "i-0exrevoke00000001";
const DB_TUNNEL_TARGET = "i-0exdbtunnel00001";

/** The example's own local-cloud inventory: its Pulumi.local.yaml names this key and instance. */
const BOOTSTRAP_CLOUD = JSON.parse(
  fs.readFileSync(path.join(repoRoot, "examples", "bootstrap-over-session", "local-cloud.json"), "utf8"),
) as {
  credentials: Array<{ accessKeyId: string; accessKeySecret: string }>;
  ecs: { instances: Array<{ instanceId: string; regionId: string }> };
};

const sfx = uniqueSuffix();
const RDS_INSTANCE = `rm-examples${sfx}`;
const account = (name: string, grants?: string) => testAccount(name, sfx, grants);
const OPS = account("ops", "PROCESS, CONNECTION ADMIN");
const APP = account("app");
const REPLICATOR = account("replicator");

let db: TestMariadb;
let cloud: LocalCloud;
let admin: AdminClient;

beforeAll(async () => {
  // A server private to this file: the drain kills every session on it.
  db = await startTestMariadb("examples-e2e");
  await createAccounts(db, [OPS, APP, REPLICATOR]);
  cloud = await startLocalCloud({
    credentials: [ALI, AWS, ALICE, BREAKGLASS, AWS_ALICE, AWS_BREAKGLASS, ...BOOTSTRAP_CLOUD.credentials],
    ecs: {
      instances: [
        ...[BREAK_GLASS_INSTANCE, BASTION_INSTANCE, ...REVOKE_INSTANCES].map((instanceId) => ({
          instanceId,
          regionId: ALI_REGION,
        })),
        ...BOOTSTRAP_CLOUD.ecs.instances,
      ],
    },
    ssm: {
      targets: [SSM_TARGET, REVOKE_TARGET, DB_TUNNEL_TARGET].map((target) => ({
        target,
        region: AWS_REGION,
      })),
    },
    das: { instances: [{ instanceId: RDS_INSTANCE, engine: "MySQL", host: db.host, port: db.port }] },
  });
  admin = new AdminClient(cloud);
});

afterAll(async () => {
  await cloud?.stop();
  await db?.stop();
});

/** Stack config a user sets to point an example at the local cloud (README: "local cloud"). */
const aliConfig = () => ({
  "sessions:localCloud": cloud.url,
  "alicloud:region": ALI_REGION,
  "alicloud:accessKey": ALI.accessKeyId,
});
const aliSecrets = { "alicloud:secretKey": ALI.accessKeySecret };
const awsConfig = () => ({ "sessions:localCloud": cloud.url, "aws:region": AWS_REGION });
const awsSecrets = { "aws:accessKey": AWS.accessKeyId, "aws:secretKey": AWS.accessKeySecret };

function exampleStack(
  name: string,
  config: Record<string, string>,
  secrets: Record<string, string>,
  env?: Record<string, string>,
): Promise<TestStack> {
  return TestStack.create({
    program: path.join(repoRoot, "examples", name),
    config,
    secrets,
    env,
    stackName: `ex${uniqueSuffix()}`,
  });
}

/** The resource types a preview would create, stack excluded. */
const createdTypes = (preview: PreviewResult) =>
  preview.steps
    .filter((s) => s.op === "create" && s.newState?.type !== "pulumi:pulumi:Stack")
    .map((s) => s.newState?.type);

/** Every session (or running kill task) the local cloud still considers live. */
const liveSessions = () => liveSessionsOf(admin);

/** `pulumi stack output --json` without --show-secrets: what a shared terminal would show. */
async function maskedOutputs(stack: TestStack): Promise<Record<string, unknown>> {
  return JSON.parse((await stack.pulumi(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
}

describe("break-glass-ssh", () => {
  describe("with existingInstanceId (no @pulumi/alicloud resource)", () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await exampleStack(
        "break-glass-ssh",
        { ...aliConfig(), existingInstanceId: BREAK_GLASS_INSTANCE },
        aliSecrets,
      );
    });
    afterAll(async () => {
      await stack.destroy({ allowFailure: true });
      stack.cleanup();
    });

    test("preview plans only the session, forwarding port 22 of the given instance", async () => {
      const preview = await stack.preview();
      expect(createdTypes(preview)).toEqual(["pulumi-nodejs:dynamic/alicloud:TerminalSession"]);
      const session = preview.steps.find((s) => s.newState?.type.endsWith(":TerminalSession"));
      expect(session?.newState?.inputs).toMatchObject({
        instanceIds: [BREAK_GLASS_INSTANCE],
        portNumber: 22,
      });
    });

    test("up starts the session; the URL and token are secrets; the hint says how to connect", async () => {
      await stack.up();
      const outputs = await stack.outputs();
      const live = await liveSessions();
      expect(live).toEqual([`ecs ${outputs.sessionId as string}`]);
      expect(outputs.instanceId).toBe(BREAK_GLASS_INSTANCE);
      expect(outputs.webSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/session\?sessionId=s-[^&]+&token=/);
      expect(outputs.howToConnect).toMatch(/ssh -p 2222 root@127\.0\.0\.1$/);
      expect(Date.parse(outputs.expiresAt as string)).toBeGreaterThan(Date.now());

      const masked = await maskedOutputs(stack);
      expect(masked.webSocketUrl).toBe("[secret]");
      expect(masked.securityToken).toBe("[secret]");
      expect(stack.rawState()).not.toContain(outputs.securityToken as string);
    });

    test("destroy ends the session: nothing is left live", async () => {
      await stack.destroy();
      expect(await liveSessions()).toEqual([]);
    });
  });

  // Without the switch the program registers the VPC, vswitch, security group and instance of
  // @pulumi/alicloud. Their provider plugin is not installed here and cannot be downloaded (no
  // traffic may leave loopback), so this path cannot be previewed or deployed offline; this only
  // shows that the switch decides it, and that nothing reaches the cloud before the plugin does.
  test("without existingInstanceId, the program needs the alicloud provider plugin (not available offline)", async () => {
    const stack = await exampleStack("break-glass-ssh", aliConfig(), aliSecrets, {
      // Should the engine ever try to fetch the plugin, it would hit a closed loopback port.
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      NO_PROXY: "127.0.0.1,localhost",
    });
    try {
      await admin.clearRequests();
      const preview = await stack.preview({ allowFailure: true });
      expect(preview.code).not.toBe(0);
      expect(`${preview.stdout}\n${preview.stderr}`).toContain(
        "no resource plugin 'pulumi-resource-alicloud' found",
      );
      expect(await admin.requests()).toEqual([]);
    } finally {
      stack.cleanup();
    }
  });
});

describe("rds-port-forward", () => {
  let stack: TestStack;
  const RDS_HOST = "rm-examples.mysql.rds.aliyuncs.com";
  beforeAll(async () => {
    // The local cloud records targetServer and forwards to 127.0.0.1:<portNumber>: the MariaDB
    // stands in for the RDS endpoint the bastion would dial inside the VPC.
    stack = await exampleStack(
      "rds-port-forward",
      { ...aliConfig(), bastionInstanceId: BASTION_INSTANCE, rdsHost: RDS_HOST, rdsPort: String(db.port) },
      aliSecrets,
    );
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview plans a session to the RDS endpoint through the bastion", async () => {
    const preview = await stack.preview();
    expect(createdTypes(preview)).toEqual(["pulumi-nodejs:dynamic/alicloud:TerminalSession"]);
    const session = preview.steps.find((s) => s.newState?.type.endsWith(":TerminalSession"));
    expect(session?.newState?.inputs).toMatchObject({
      instanceIds: [BASTION_INSTANCE],
      targetServer: RDS_HOST,
      portNumber: db.port,
    });
  });

  test("up opens the tunnel: a MySQL client reaches the database through its URL", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.target).toBe(`${RDS_HOST}:${db.port}`);
    expect(outputs.howToConnect).toMatch(/mysql -h 127\.0\.0\.1 -P 13306 /);
    expect((await maskedOutputs(stack)).webSocketUrl).toBe("[secret]");

    // As the README says: `pulumi-sessions forward` reads the URL from the stack itself.
    const forward = spawn(
      process.execPath,
      [
        path.join(programRoot(), "node_modules/pulumi-sessions/dist/cli/bin.js"),
        ...["forward", "--output", "webSocketUrl", "--stack", stack.stackName],
      ],
      { cwd: stack.programDir, env: stack.cliEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    forward.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      const { port } = await new Promise<{ port: number }>((resolve, reject) => {
        createInterface({ input: forward.stdout! }).once("line", (line) =>
          resolve(JSON.parse(line) as { port: number }),
        );
        forward.once("exit", (code) =>
          reject(new Error(`pulumi-sessions forward exited with ${code}: ${stderr}`)),
        );
      });
      const conn = await connectAs({ host: "127.0.0.1", port }, APP.user, APP.password);
      try {
        const [rows] = await conn.query("SELECT CURRENT_USER() AS user");
        expect((rows as Array<{ user: string }>)[0].user).toBe(`${APP.user}@127.0.0.1`);
      } finally {
        await conn.end();
      }
    } finally {
      forward.kill("SIGTERM");
    }
    expect(stderr).not.toContain(outputs.webSocketUrl as string);
  });

  test("destroy ends the session: nothing is left live", async () => {
    await stack.destroy();
    expect(await liveSessions()).toEqual([]);
  });
});

describe("drain-rds-before-maintenance", () => {
  let stack: TestStack;
  let apps: ClientSession[];
  let replicator: ClientSession;
  beforeAll(async () => {
    stack = await exampleStack(
      "drain-rds-before-maintenance",
      {
        ...aliConfig(),
        instanceId: RDS_INSTANCE,
        dbUser: OPS.user,
        release: "v2.14.0",
        ignoredUsers: JSON.stringify([REPLICATOR.user]),
      },
      { ...aliSecrets, dbPassword: OPS.password },
    );
    apps = [await openSession(db, APP.user, APP.password), await openSession(db, APP.user, APP.password)];
    replicator = await openSession(db, REPLICATOR.user, REPLICATOR.password);
  });
  afterAll(async () => {
    await closeAll([...apps, replicator]);
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview plans the kill without running it; the password stays hidden", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    expect(createdTypes(preview)).toEqual(["pulumi-nodejs:dynamic/alicloud:KillInstanceSessionTask"]);
    expect(`${preview.stdout}\n${preview.stderr}`).not.toContain(OPS.password);
    expect((await admin.requests()).filter((r) => r.service === "das")).toEqual([]);
    expect(await Promise.all(apps.map(isAlive))).toEqual([true, true]);
  });

  test("up kills the application's sessions and spares the ignored account", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs).toMatchObject({ drainedFor: "v2.14.0", state: "SUCCESS", notKilled: 0 });
    expect(outputs.killedSessionIds).toEqual(expect.arrayContaining(apps.map((s) => s.id)));
    expect(outputs.killedSessionIds).not.toContain(replicator.id);
    expect(outputs.spared as number).toBeGreaterThanOrEqual(1);
    expect(await Promise.all(apps.map(isAlive))).toEqual([false, false]);
    expect(await isAlive(replicator)).toBe(true);
    expect(stack.rawState()).not.toContain(OPS.password);
  });

  test("destroy only forgets the drain: killed sessions stay killed, nothing is left live", async () => {
    await stack.destroy();
    expect(await stack.resourcesOfType("pulumi-nodejs:dynamic/alicloud:KillInstanceSessionTask")).toEqual([]);
    expect(await Promise.all(apps.map(isAlive))).toEqual([false, false]);
    expect(await liveSessions()).toEqual([]);
  });
});

describe("ssm-port-forward", () => {
  let stack: TestStack;
  let plugin: ChildProcess | undefined;
  let pluginExit: Promise<number | null> | undefined;
  let echo: net.Server;
  let echoPort: number;
  beforeAll(async () => {
    // The service on the target; the local cloud forwards portNumber to 127.0.0.1.
    echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    echoPort = (echo.address() as net.AddressInfo).port;
    stack = await exampleStack(
      "ssm-port-forward",
      { ...awsConfig(), target: SSM_TARGET, remotePort: String(echoPort), reason: "examples e2e" },
      awsSecrets,
    );
  });
  afterAll(async () => {
    plugin?.kill("SIGTERM");
    echo.close();
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview plans an AWS-StartPortForwardingSession with both ports", async () => {
    const preview = await stack.preview();
    expect(createdTypes(preview)).toEqual(["pulumi-nodejs:dynamic/aws:SsmSession"]);
    const session = preview.steps.find((s) => s.newState?.type.endsWith(":SsmSession"));
    expect(session?.newState?.inputs).toMatchObject({
      target: SSM_TARGET,
      documentName: "AWS-StartPortForwardingSession",
      parameters: { portNumber: [String(echoPort)], localPortNumber: ["15432"] },
    });
  });

  test("up starts the session; the plugin's input is a secret; bytes go through the port", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    const response = JSON.parse(outputs.startSessionResponse as string) as Record<string, string>;
    expect(response.SessionId).toBe(outputs.sessionId);
    expect(await liveSessions()).toEqual([`ssm ${response.SessionId}`]);
    expect(outputs.owner).toBe(`arn:aws:iam::000000000000:user/${AWS.accessKeyId}`);
    expect(outputs.howToConnect).toContain(
      `session-manager-plugin "$(pulumi stack output --show-secrets startSessionResponse)" ${AWS_REGION} StartSession`,
    );
    // The plugin's own SSM calls go where the stack's SSM calls go: here, the local cloud.
    expect(outputs.howToConnect).toContain(` ${cloud.url}  # then connect to 127.0.0.1:15432`);
    expect((await maskedOutputs(stack)).startSessionResponse).toBe("[secret]");
    expect(stack.rawState()).not.toContain(response.TokenValue);

    // The line as printed, in a shell in the project folder, with the official plugin on PATH
    // and the user's AWS keys in the environment, as the AWS CLI would run it.
    plugin = spawn("bash", ["-c", outputs.howToConnect as string], {
      cwd: stack.programDir,
      env: {
        ...stack.cliEnv(),
        PATH: `${path.dirname(officialPlugin())}${path.delimiter}${stack.cliEnv().PATH}`,
        AWS_ACCESS_KEY_ID: AWS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: AWS.accessKeySecret,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let printed = "";
    plugin.stdout!.on("data", (d: Buffer) => (printed += d.toString()));
    plugin.stderr!.on("data", (d: Buffer) => (printed += d.toString()));
    const exited = new Promise<number | null>((resolve) => plugin!.once("exit", resolve));
    pluginExit = exited;
    for (let i = 0; !/Port 15432 opened for sessionId/.test(printed); i++) {
      if (i > 300) throw new Error(`the plugin did not start listening: ${printed}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const payload = `through the forwarded port ${sfx}`;
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(15432, "127.0.0.1", () => socket.write(payload));
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk.toString();
        if (received.length >= payload.length) {
          socket.end();
          resolve(received);
        }
      });
      socket.on("error", reject);
    });
    expect(echoed).toBe(payload);
    expect(printed).not.toContain(response.TokenValue);
  });

  test("destroy terminates the session: the plugin exits, nothing is left live", async () => {
    await stack.destroy();
    expect(await liveSessions()).toEqual([]);
    expect(await pluginExit).toBe(0);
  });
});

describe("private-database-tunnel", () => {
  const DB_HOST = "app.examples.us-west-2.rds.amazonaws.com";
  // Names of their own: the file's other accounts (APP...) live on the same server.
  const DATABASE = `tunnel_db_${sfx}`.replace(/[^a-z0-9_]/gi, "_");
  const USER = `tunnel_app_${sfx}`.replace(/[^a-z0-9_]/gi, "_");
  const APP_PASSWORD = `pw-tunnel-app-${sfx}`;
  let stack: TestStack;
  let pluginDir: string;

  async function adminQuery(sql: string, values: unknown[]): Promise<unknown[]> {
    const conn = await db.admin();
    try {
      return (await conn.query(sql, values))[0] as unknown[];
    } finally {
      await conn.end();
    }
  }
  const databaseExists = async () =>
    (await adminQuery("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [DATABASE]))
      .length === 1;
  const userExists = async () =>
    (await adminQuery("SELECT 1 FROM mysql.user WHERE User = ?", [USER])).length === 1;

  beforeAll(async () => {
    // The plugin as npm links it into node_modules/.bin, in a folder of its own: the copy's
    // Pulumi.yaml names that folder instead of the user's `node_modules/.bin`.
    pluginDir = pluginFolder(workRoot(), programRoot());
    // The local cloud records remoteHost and forwards to 127.0.0.1:<remotePort>: the MariaDB
    // stands in for the RDS endpoint the bastion would dial inside the VPC.
    stack = await exampleStack(
      "private-database-tunnel",
      {
        ...awsConfig(),
        bastionTarget: DB_TUNNEL_TARGET,
        dbHost: DB_HOST,
        dbPort: String(db.port),
        adminUser: MARIADB_ADMIN.user,
        databaseName: DATABASE,
        appUser: USER,
      },
      { ...awsSecrets, adminPassword: MARIADB_ADMIN.password, appPassword: APP_PASSWORD },
    );
    const project = path.join(stack.programDir, "Pulumi.yaml");
    const yaml = fs.readFileSync(project, "utf8");
    expect(yaml).toContain("      path: node_modules/.bin\n");
    fs.writeFileSync(project, yaml.replace("path: node_modules/.bin", `path: ${pluginDir}`));
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
    fs.rmSync(pluginDir, { recursive: true, force: true });
  });

  test("preview plans the tunnel and the database, and starts no session", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    expect(createdTypes(preview).sort()).toEqual([
      "pulumi-nodejs:dynamic:Resource",
      "pulumi:providers:sessions",
      "sessions:index:TunnelEndpoint",
    ]);
    expect((await admin.requests()).filter((r) => r.service === "ssm")).toEqual([]);
    expect(await databaseExists()).toBe(false);
  });

  test("up makes the database and its user through the tunnel; then no session is left", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.database).toBe(DATABASE);
    expect(outputs.tunnelEndpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(outputs.tunnelEndpoint).not.toBe(`127.0.0.1:${db.port}`);
    expect(await databaseExists()).toBe(true);
    // The new user logs in and sees its database: the grant went through too.
    const conn = await connectAs({ host: db.host, port: db.port }, USER, APP_PASSWORD);
    try {
      const [rows] = await conn.query(
        `SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
        [DATABASE],
      );
      expect((rows as Array<{ n: number }>)[0].n).toBe(1);
    } finally {
      await conn.end();
    }
    const ssm = (await admin.requests()).filter((r) => r.service === "ssm");
    expect(ssm.length).toBeGreaterThan(0);
    expect(stack.rawState()).not.toContain(APP_PASSWORD);
    expect(stack.rawState()).not.toContain(MARIADB_ADMIN.password);
    expect(await liveSessions()).toEqual([]);
  });

  test("destroy, without --run-program, drops them through a new tunnel; no session is left", async () => {
    await stack.destroy();
    expect(await databaseExists()).toBe(false);
    expect(await userExists()).toBe(false);
    expect(await liveSessions()).toEqual([]);
  });
});

describe("revoke-before-deploy", () => {
  let stack: TestStack;
  let breakGlassPrincipal: string;
  const aliceEcs: string[] = [];
  const spareEcs: string[] = [];
  const aliceSsm: string[] = [];
  const spareSsm: string[] = [];

  const startEcs = async (key: typeof ALICE, instanceId: string, username?: string) =>
    (
      await callRpc(openApiClient(cloud, key), "StartTerminalSession", {
        RegionId: ALI_REGION,
        "InstanceId.1": instanceId,
        Username: username,
      })
    ).body.SessionId as string;
  const ssmClient = (key: typeof AWS_ALICE) =>
    new SSMClient({
      region: AWS_REGION,
      endpoint: cloud.url,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.accessKeySecret },
    });
  const startSsm = async (key: typeof AWS_ALICE) =>
    (await ssmClient(key).send(new StartSessionCommand({ Target: REVOKE_TARGET }))).SessionId as string;

  beforeAll(async () => {
    // Sessions people opened themselves, outside Pulumi: alice's are revoked; the break-glass
    // account's, and alice's as the break-glass login user, are spared.
    for (const instanceId of REVOKE_INSTANCES) aliceEcs.push(await startEcs(ALICE, instanceId, "root"));
    spareEcs.push(await startEcs(BREAKGLASS, REVOKE_INSTANCES[0], "root"));
    spareEcs.push(await startEcs(ALICE, REVOKE_INSTANCES[1], "breakglass"));
    aliceSsm.push(await startSsm(AWS_ALICE), await startSsm(AWS_ALICE));
    spareSsm.push(await startSsm(AWS_BREAKGLASS));
    // The operator looks up the break-glass principal once (here: from one of its sessions).
    const described = await callRpc(openApiClient(cloud, ALI), "DescribeTerminalSessions", {
      RegionId: ALI_REGION,
      SessionId: spareEcs[0],
    });
    breakGlassPrincipal = String(
      (described.body.Sessions as { Session: Array<{ PrincipalId: string }> }).Session[0].PrincipalId,
    );

    stack = await exampleStack(
      "revoke-before-deploy",
      {
        ...aliConfig(),
        "aws:region": AWS_REGION,
        release: "v1",
        ecsInstanceIds: JSON.stringify(REVOKE_INSTANCES),
        breakGlassPrincipalIds: JSON.stringify([breakGlassPrincipal]),
        ssmTargets: JSON.stringify([REVOKE_TARGET]),
        // The last segment of the owner ARN (the IAM user name; locally, the access key id).
        breakGlassOwners: JSON.stringify([AWS_BREAKGLASS.accessKeyId]),
      },
      { ...aliSecrets, ...awsSecrets },
    );
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  const sorted = (ids: string[]) => [...ids].sort();

  test("preview lists what a run would end, and ends nothing", async () => {
    const preview = await stack.preview();
    expect(createdTypes(preview).sort()).toEqual([
      "pulumi-nodejs:dynamic/alicloud:TerminalSessionRevocation",
      "pulumi-nodejs:dynamic/aws:SsmSessionRevocation",
    ]);
    const text = `${preview.stdout}\n${preview.stderr}`;
    for (const id of [...aliceEcs, ...aliceSsm]) expect(text).toContain(id);
    expect(sorted(await liveSessions())).toEqual(
      sorted(
        [...aliceEcs, ...spareEcs]
          .map((id) => `ecs ${id}`)
          .concat([...aliceSsm, ...spareSsm].map((id) => `ssm ${id}`)),
      ),
    );
  });

  test("up ends everyone's sessions but the break-glass ones", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(sorted(outputs.ecsEndedSessionIds as string[])).toEqual(sorted(aliceEcs));
    expect(sorted(outputs.ecsSparedSessionIds as string[])).toEqual(sorted(spareEcs));
    expect(sorted(outputs.ssmEndedSessionIds as string[])).toEqual(sorted(aliceSsm));
    expect(sorted(outputs.ssmSparedSessionIds as string[])).toEqual(sorted(spareSsm));
    expect(outputs.revokedFor).toBe("v1");
    expect(Date.parse(outputs.revokedAt as string)).not.toBeNaN();
    expect(sorted(await liveSessions())).toEqual(
      sorted([...spareEcs.map((id) => `ecs ${id}`), ...spareSsm.map((id) => `ssm ${id}`)]),
    );
  });

  test("the same release again revokes nothing; a new release revokes again", async () => {
    const late = await startEcs(ALICE, REVOKE_INSTANCES[0], "root");
    await admin.clearRequests();
    await stack.up();
    expect(await admin.requests()).toEqual([]);
    expect(await liveSessions()).toContain(`ecs ${late}`);

    await stack.setConfig("release", "v2");
    await stack.up();
    const outputs = await stack.outputs();
    // Alice's earlier sessions are listed again: nothing ever connected to them, and such a
    // session looks live to DescribeTerminalSessions until its URL expires (docs: Limits).
    const ended = outputs.ecsEndedSessionIds as string[];
    expect(ended).toContain(late);
    for (const id of ended) expect([late, ...aliceEcs]).toContain(id);
    expect(outputs.ssmEndedSessionIds).toEqual([]);
    expect(await liveSessions()).not.toContain(`ecs ${late}`);
  });

  test("destroy ends nothing; once the break-glass users leave, nothing is left live", async () => {
    await stack.destroy();
    // Destroying a revocation only drops its record: the spared sessions live on.
    expect(sorted(await liveSessions())).toEqual(
      sorted([...spareEcs.map((id) => `ecs ${id}`), ...spareSsm.map((id) => `ssm ${id}`)]),
    );
    for (const id of spareEcs)
      await callRpc(openApiClient(cloud, ALI), "EndTerminalSession", { RegionId: ALI_REGION, SessionId: id });
    for (const id of spareSsm)
      await ssmClient(AWS_BREAKGLASS).send(new TerminateSessionCommand({ SessionId: id }));
    expect(await liveSessions()).toEqual([]);
  });
});

describe("bootstrap-over-session", () => {
  const APP_TOKEN = `app-token-${sfx}`;
  // A folder of this run's own (the default /var/tmp/bootstrap-app is shared by everyone's runs).
  const appDir = path.join(os.tmpdir(), `bootstrap-app-${sfx}`);
  const [instance] = BOOTSTRAP_CLOUD.ecs.instances;
  let stack: TestStack;
  beforeAll(async () => {
    // The README's local-cloud commands: the stack named `local` takes Pulumi.local.yaml; only
    // the URL differs (this cloud listens on a port of its own), and where the app goes.
    stack = await TestStack.create({
      program: path.join(repoRoot, "examples", "bootstrap-over-session"),
      config: { "sessions:localCloud": cloud.url, appDir },
      secrets: { "alicloud:secretKey": BOOTSTRAP_CLOUD.credentials[0].accessKeySecret, appToken: APP_TOKEN },
      stackName: "local",
    });
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
    fs.rmSync(appDir, { recursive: true, force: true });
  });

  test("preview plans the two commands on the configured instance and runs nothing", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    expect(createdTypes(preview)).toEqual([
      "pulumi-nodejs:dynamic/alicloud:Command",
      "pulumi-nodejs:dynamic/alicloud:Command",
    ]);
    for (const step of preview.steps.filter((s) => s.newState?.type.endsWith(":Command")))
      expect(step.newState?.inputs).toMatchObject({ instanceId: instance.instanceId });
    expect(`${preview.stdout}\n${preview.stderr}`).not.toContain(APP_TOKEN);
    expect(await admin.requests()).toEqual([]);
    expect(fs.existsSync(appDir)).toBe(false);
  });

  test("up runs the setup script, then the health check; the token stays out of sight", async () => {
    await admin.clearRequests();
    const up = await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.instanceId).toBe(instance.instanceId);
    expect((outputs.setupOutput as string).trim()).toBe(
      `installed into ${appDir} (token: ${APP_TOKEN.length} characters)`,
    );
    expect((outputs.healthOutput as string).trim()).toMatch(
      /^healthy: port=8080, installed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    // What the setup left, on this machine (the local cloud's instance).
    expect(fs.readFileSync(path.join(appDir, "token"), "utf8")).toBe(APP_TOKEN);
    expect(fs.readFileSync(path.join(appDir, "app.conf"), "utf8")).toBe(
      "# bootstrap-over-session app config\nmode=production\nport=8080\n",
    );
    expect(fs.statSync(appDir).mode & 0o777).toBe(0o700);

    const masked = await maskedOutputs(stack);
    expect(masked.setupOutput).toBe("[secret]");
    expect(`${up.stdout}\n${up.stderr}`).not.toContain(APP_TOKEN);
    expect(stack.rawState()).not.toContain(APP_TOKEN);
    const requests = await admin.requests();
    expect(requests.filter((r) => r.service === "ecs").length).toBeGreaterThan(0);
    expect(JSON.stringify(requests)).not.toContain(APP_TOKEN);
    expect(await liveSessions()).toEqual([]);
  });

  test("destroy runs the delete script: the app is gone, nothing is left live", async () => {
    await stack.destroy();
    expect(fs.existsSync(appDir)).toBe(false);
    expect(await liveSessions()).toEqual([]);
  });
});

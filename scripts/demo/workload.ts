/**
 * What the demo needs around its program, outside Pulumi. The run's keys and passwords are read
 * from the file `DEMO_SECRETS_FILE` names (never from the command line, never printed).
 *   secrets <file>  makes the run's keys and passwords (a new file, its owner alone reads it).
 *   cloud-config <file> <mariadbPort>  writes the local cloud's configuration.
 *   stack-config <cloudUrl> <echoPort> <tunnelEchoPort>  prints
 *     `key<TAB>value<TAB>secret` lines.
 *   echo <port> <logFile>  the service behind the demo's tunnel: a TCP echo on 127.0.0.1 that
 *     appends each line it echoes to <logFile>, until SIGTERM.
 *   live <startLineFile>  prints the live sessions per service; exits 1 when there are any. The
 *     file holds the local cloud's start line (its url and admin token; a file, not an argument,
 *     so the token stays out of the process list).
 *   stray <cloudUrl> <idsFile>  starts sessions "by other people" on the instance the revocation
 *     covers (two as `dev`, one as `oncall`); prints them and records their ids.
 *   end-stray <cloudUrl> <idsFile>  ends those still live (the one the revocation spared).
 *   db <host> <port> <reportFile>  creates the demo's database accounts (as the server's admin,
 *     `MARIADB_ADMIN_USER` / `MARIADB_ADMIN_PASSWORD`), opens sessions as `app` (to be killed)
 *     and as `replicator` (ignored), and holds them until SIGTERM, then writes which ones the kill
 *     task ended to <reportFile>.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import mysql from "mysql2/promise";
import { AdminClient } from "../../emulator/admin/client";
import { callRpc, openApiClient } from "../../emulator/testing/alibaba";
import { DEMO_DB_USERS, DEMO_INSTANCES, DEMO_REGION, localCloudConfig, stackConfig } from "./constants";
import { readDemoSecrets, writeDemoSecrets, type DemoSecrets } from "./secrets";

function fromEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const secrets = (): DemoSecrets => readDemoSecrets(fromEnv("DEMO_SECRETS_FILE"));

function strayClient(cloudUrl: string) {
  return openApiClient({ endpoint: new URL(cloudUrl).host }, secrets().alicloud);
}

async function stray(cloudUrl: string, idsFile: string): Promise<void> {
  const client = strayClient(cloudUrl);
  const ids: string[] = [];
  for (const username of ["dev", "dev", "oncall"]) {
    const query = { RegionId: DEMO_REGION.alicloud, InstanceId: [DEMO_INSTANCES.revoke], Username: username };
    const id = String((await callRpc(client, "StartTerminalSession", query)).body.SessionId);
    ids.push(id);
    console.log(`  started ${id} as ${username} (outside Pulumi)`);
  }
  fs.writeFileSync(idsFile, ids.join("\n"));
}

async function endStray(cloudUrl: string, idsFile: string): Promise<void> {
  const client = strayClient(cloudUrl);
  for (const id of fs.readFileSync(idsFile, "utf8").split("\n")) {
    // Ending an ended session succeeds again; an unknown one would be a bug worth seeing.
    await callRpc(client, "EndTerminalSession", { RegionId: DEMO_REGION.alicloud, SessionId: id });
  }
  console.log(`  ended the sessions the demo started outside Pulumi`);
}

async function live(startLineFile: string): Promise<void> {
  const start = JSON.parse(fs.readFileSync(startLineFile, "utf8").split("\n")[0]) as {
    url: string;
    adminToken: string;
  };
  const snapshot = (await new AdminClient(start).sessions()) as {
    ecs: { sessionId: string; active: boolean }[];
    ssm: { SessionId: string }[];
  };
  const ecs = snapshot.ecs.filter((s) => s.active).map((s) => s.sessionId);
  const ssm = snapshot.ssm.map((s) => s.SessionId);
  console.log(`  live sessions: ECS ${ecs.length}, SSM ${ssm.length}`);
  if (ecs.length + ssm.length > 0) throw new Error(`sessions still live: ${[...ecs, ...ssm].join(", ")}`);
}

function echo(port: number, logFile: string): void {
  fs.writeFileSync(logFile, "");
  const server = net.createServer((socket) =>
    socket.on("data", (chunk) => {
      fs.appendFileSync(logFile, chunk);
      socket.write(chunk);
    }),
  );
  server.listen(port, "127.0.0.1", () => console.log(`  echo service listening on 127.0.0.1:${port}`));
  process.on("SIGTERM", () => process.exit(0));
}

async function db(host: string, port: number, report: string) {
  const { db: passwords } = secrets();
  const admin = await mysql.createConnection({
    host,
    port,
    user: fromEnv("MARIADB_ADMIN_USER"),
    password: fromEnv("MARIADB_ADMIN_PASSWORD"),
  });
  for (const [user, password, grants] of [
    [DEMO_DB_USERS.ops, passwords.opsPassword, "PROCESS, CONNECTION ADMIN"],
    [DEMO_DB_USERS.app, passwords.appPassword, "USAGE"],
    [DEMO_DB_USERS.ignored, passwords.ignoredPassword, "USAGE"],
  ]) {
    await admin.query(`CREATE OR REPLACE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT ${grants} ON *.* TO '${user}'@'%'`);
  }
  await admin.end();
  const open = async (user: string, password: string) => {
    const connection = await mysql.createConnection({ host, port, user, password });
    // A killed session reports an error event; it is the expected outcome, read by `alive`.
    connection.on("error", () => undefined);
    return connection;
  };
  const apps = await Promise.all([1, 2, 3].map(() => open(DEMO_DB_USERS.app, passwords.appPassword)));
  const ignored = await open(DEMO_DB_USERS.ignored, passwords.ignoredPassword);
  const alive = async (c: mysql.Connection) =>
    c.query("SELECT 1").then(
      () => true,
      () => false,
    );
  console.log(`  opened 3 sessions as ${DEMO_DB_USERS.app} and 1 as ${DEMO_DB_USERS.ignored}`);
  process.on("SIGTERM", async () => {
    const appAlive = await Promise.all(apps.map(alive));
    const lines = [
      `${appAlive.filter((a) => !a).length} of 3 ${DEMO_DB_USERS.app} sessions were killed`,
      `the ${DEMO_DB_USERS.ignored} session (ignored user) is ${(await alive(ignored)) ? "still alive" : "dead"}`,
    ];
    fs.writeFileSync(report, `${lines.join("\n")}\n`);
    process.exit(0);
  });
  // Held open until the demo has run `pulumi up`.
  setInterval(() => undefined, 1000);
}

async function main([command, ...args]: string[]): Promise<void> {
  switch (command) {
    case "secrets":
      return writeDemoSecrets(args[0]);
    case "cloud-config":
      fs.writeFileSync(args[0], JSON.stringify(localCloudConfig(secrets(), Number(args[1])), null, 2), {
        mode: 0o600,
      });
      return;
    case "stack-config":
      for (const [key, value, secret] of stackConfig(secrets(), args[0], Number(args[1]), Number(args[2]))) {
        console.log(`${key}\t${value}\t${secret}`);
      }
      return;
    case "stray":
      return stray(args[0], args[1]);
    case "end-stray":
      return endStray(args[0], args[1]);
    case "echo":
      return echo(Number(args[0]), args[1]);
    case "live":
      return live(args[0]);
    case "db":
      return db(args[0], Number(args[1]), args[2]);
    default:
      throw new Error("usage: workload secrets|cloud-config|stack-config|echo|stray|end-stray|live|db ...");
  }
}

const run = main(process.argv.slice(2));
run.catch((err: unknown) => {
  console.error(`demo workload: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/**
 * Test helpers around a real MariaDB server started by `scripts/mariadb.sh`: accounts, client
 * sessions as those accounts, a real `Binlog Dump` thread. No test skips when MariaDB is missing:
 * `startTestMariadb` throws with the script's output, which fails the suite.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mysql from "mysql2/promise";

const SCRIPT = resolve(__dirname, "../../../../scripts/mariadb.sh");

/** The admin account the script creates (see scripts/mariadb.sh). */
export const MARIADB_ADMIN = { user: "psadmin", password: "psadmin-local" };

export interface TestMariadb {
  host: string;
  port: number;
  /** The server's own folder (datadir, socket, logs). */
  dir: string;
  /** A connection as the admin account; the caller closes it. */
  admin(): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

function runScript(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile("bash", [SCRIPT, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(
          new Error(
            `scripts/mariadb.sh ${args.join(" ")} failed (${err.message.split("\n")[0]}).\n` +
              `The DAS tests need a real MariaDB server.\n--- stderr ---\n${stderr}`,
          ),
        );
        return;
      }
      resolvePromise(stdout.trim());
    });
  });
}

/**
 * Starts (or reuses) a private server in `$TMPDIR/pulumi-sessions-mariadb-<name>`. Each test file
 * uses its own name: a KillAllSessions in one file must not end another file's sessions.
 */
export async function startTestMariadb(name: string): Promise<TestMariadb> {
  const dir = join(tmpdir(), `pulumi-sessions-mariadb-${name}`);
  // Generous: the first run may install the packages with apt-get.
  const out = await runScript(["start", dir], 15 * 60 * 1000);
  const port = Number(out.split("\n").pop());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`scripts/mariadb.sh printed no port: ${out}`);
  const host = "127.0.0.1";
  return {
    host,
    port,
    dir,
    admin: () => connectAs({ host, port }, MARIADB_ADMIN.user, MARIADB_ADMIN.password),
    stop: async () => {
      await runScript(["stop", dir], 120_000);
    },
  };
}

/** A client session as `user`; errors after a KILL are expected, so they are not left unhandled. */
export async function connectAs(
  server: { host: string; port: number },
  user: string,
  password: string,
): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({ host: server.host, port: server.port, user, password });
  conn.on("error", () => undefined);
  return conn;
}

export interface ClientSession {
  user: string;
  /** The server's thread id for this session (what DAS calls the session id). */
  id: number;
  conn: mysql.Connection;
}

export async function openSession(
  server: { host: string; port: number },
  user: string,
  password: string,
): Promise<ClientSession> {
  const conn = await connectAs(server, user, password);
  const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT CONNECTION_ID() AS id");
  return { user, id: Number(rows[0].id), conn };
}

/** Whether the session still works from the client's side: a killed one fails its next query. */
export async function isAlive(session: ClientSession): Promise<boolean> {
  try {
    // No query timeout: mysql2 leaves its timer running when the connection dies under the query.
    await session.conn.query("SELECT 1");
    return true;
  } catch {
    return false;
  }
}

export async function closeAll(sessions: ClientSession[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.conn.end().catch(() => s.conn.destroy())));
}

export interface AccountSpec {
  user: string;
  password: string;
  /** Global privileges, e.g. `PROCESS, CONNECTION ADMIN`; none for a bare account. */
  grants?: string;
}

/** An account named for one test file (`<name>_<suffix>`), so files sharing a server never meet. */
export function testAccount(name: string, suffix: string, grants?: string): AccountSpec {
  return { user: `${name}_${suffix}`, password: `pw-${name}-${suffix}`, grants };
}

/** (Re)creates the accounts from scratch, reachable over TCP from loopback. */
export async function createAccounts(server: TestMariadb, accounts: AccountSpec[]): Promise<void> {
  const admin = await server.admin();
  try {
    for (const a of accounts) {
      await admin.query("DROP USER IF EXISTS ?@'127.0.0.1'", [a.user]);
      await admin.query("CREATE USER ?@'127.0.0.1' IDENTIFIED BY ?", [a.user, a.password]);
      // Privilege names cannot be placeholders; they come from the test's own constants.
      if (a.grants) await admin.query(`GRANT ${a.grants} ON *.* TO ?@'127.0.0.1'`, [a.user]);
    }
  } finally {
    await admin.end();
  }
}

/** Thread ids of the server's sessions with the given command, seen by the admin account. */
export async function threadsWithCommand(server: TestMariadb, command: string): Promise<number[]> {
  const admin = await server.admin();
  try {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = ? ORDER BY ID",
      [command],
    );
    return rows.map((r) => Number(r.ID));
  } finally {
    await admin.end();
  }
}

export interface BinlogDump {
  child: ChildProcess;
  /** The `Binlog Dump` thread's id on the server. */
  threadId: number;
  stop(): void;
}

/**
 * A real replica-style reader: `mariadb-binlog --read-from-remote-server --stop-never` keeps a
 * `Binlog Dump` thread open on the server until it is stopped.
 */
export async function startBinlogDump(
  server: TestMariadb,
  user: string,
  password: string,
): Promise<BinlogDump> {
  const before = new Set(await threadsWithCommand(server, "Binlog Dump"));
  const admin = await server.admin();
  let firstLog: string;
  try {
    const [logs] = await admin.query<mysql.RowDataPacket[]>("SHOW BINARY LOGS");
    if (logs.length === 0) throw new Error("the server has no binary log (is --log-bin on?)");
    firstLog = String(logs[0].Log_name);
  } finally {
    await admin.end();
  }
  const child = spawn(
    "mariadb-binlog",
    [
      "--no-defaults",
      "--read-from-remote-server",
      "--stop-never",
      `--host=${server.host}`,
      `--port=${server.port}`,
      `--user=${user}`,
      `--password=${password}`,
      firstLog,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const fresh = (await threadsWithCommand(server, "Binlog Dump")).filter((id) => !before.has(id));
    if (fresh.length > 0) return { child, threadId: fresh[0], stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`mariadb-binlog did not open a Binlog Dump thread: ${stderr}`);
}

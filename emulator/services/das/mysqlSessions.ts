/**
 * The database side of a kill task, against a real MySQL-compatible server (MariaDB in tests):
 * connect as the task's `DbUser`, read `information_schema.PROCESSLIST`, run `KILL CONNECTION`.
 * What the server says is what the task reports: a wrong password is the server's
 * access-denied error, a missing privilege is its "not owner of thread" error.
 */
import type mysql from "mysql2/promise";
import type { ProcessRow } from "./model";

/** Where a node's server listens. */
export interface DbEndpoint {
  host: string;
  port: number;
}

export interface DbAccount {
  user: string;
  password: string;
}

export type KillOutcome =
  | { kind: "killed" }
  /** The session ended before the KILL reached it (ER_NO_SUCH_THREAD). */
  | { kind: "gone" }
  /** The account may not kill it (ER_KILL_DENIED_ERROR: no SUPER / CONNECTION ADMIN). */
  | { kind: "denied"; message: string }
  | { kind: "failed"; message: string };

/** Why a connection could not be opened: the account (wrong user or password) or anything else. */
export class DbConnectError extends Error {
  constructor(
    readonly kind: "account" | "other",
    message: string,
  ) {
    super(message);
    this.name = "DbConnectError";
  }
}

/** One open connection as the task's account. */
export interface SessionConnection {
  /** This connection's own thread id: a task never kills the connection it runs on. */
  readonly connectionId: number;
  /** Every session the account can see, except this connection. */
  listSessions(): Promise<ProcessRow[]>;
  /** Whether the account sees other accounts' sessions (the PROCESS privilege). */
  canSeeAllSessions(): Promise<boolean>;
  kill(sessionId: number): Promise<KillOutcome>;
  close(): Promise<void>;
}

/** Opens connections; injectable so the backend can be driven without a server. */
export interface SessionDriver {
  connect(endpoint: DbEndpoint, account: DbAccount): Promise<SessionConnection>;
}

export interface MysqlDriverOptions {
  /** Connect timeout (ms). */
  connectTimeoutMs?: number;
  /** Per-statement timeout (ms). */
  queryTimeoutMs?: number;
}

/** MySQL/MariaDB error numbers the task tells apart. */
const ER_DBACCESS_DENIED = 1044;
const ER_ACCESS_DENIED = 1045;
const ER_NO_SUCH_THREAD = 1094;
const ER_KILL_DENIED = 1095;
const ER_HOST_NOT_PRIVILEGED = 1130;
const ER_PASSWORD_EXPIRED = 1862;
const ER_ACCOUNT_LOCKED_MYSQL = 3118;
const ER_ACCOUNT_LOCKED_MARIADB = 4151;
const ACCOUNT_ERRNOS = new Set([
  ER_DBACCESS_DENIED,
  ER_ACCESS_DENIED,
  ER_HOST_NOT_PRIVILEGED,
  ER_PASSWORD_EXPIRED,
  ER_ACCOUNT_LOCKED_MYSQL,
  ER_ACCOUNT_LOCKED_MARIADB,
]);

interface DbErrorLike {
  errno?: number;
  code?: string;
  sqlMessage?: string;
  message?: string;
}

function dbError(e: unknown): DbErrorLike {
  return typeof e === "object" && e !== null ? (e as DbErrorLike) : { message: String(e) };
}

/** The server's own words when it gave any, else the client's. */
function messageOf(e: unknown): string {
  const err = dbError(e);
  return err.sqlMessage ?? err.message ?? String(e);
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
}

class MysqlSessionConnection implements SessionConnection {
  constructor(
    private readonly conn: mysql.Connection,
    readonly connectionId: number,
    private readonly queryTimeoutMs: number,
  ) {}

  /**
   * A statement with a time limit. Not mysql2's own `timeout` option: its timer outlives a
   * connection that dies mid-statement, and keeps the process alive for that long.
   */
  private async run<T extends mysql.QueryResult>(sql: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.conn.destroy();
        reject(new Error(`The statement did not finish within ${this.queryTimeoutMs} ms: ${sql}`));
      }, this.queryTimeoutMs);
    });
    try {
      const [rows] = await Promise.race([this.conn.query<T>(sql), timeout]);
      return rows;
    } finally {
      clearTimeout(timer);
    }
  }

  async listSessions(): Promise<ProcessRow[]> {
    const rows = await this.run<mysql.RowDataPacket[]>(
      "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST " +
        "WHERE ID <> CONNECTION_ID() ORDER BY ID",
    );
    return rows.map((r) => ({
      id: Number(r.ID),
      user: toText(r.USER) ?? "",
      host: toText(r.HOST) ?? "",
      db: toText(r.DB),
      command: toText(r.COMMAND) ?? "",
      time: Number(r.TIME ?? 0),
      state: toText(r.STATE) || null,
      info: toText(r.INFO),
    }));
  }

  async canSeeAllSessions(): Promise<boolean> {
    // USER_PRIVILEGES lists the current account's global privileges one per row (ALL expanded).
    const rows = await this.run<mysql.RowDataPacket[]>(
      "SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'PROCESS' LIMIT 1",
    );
    return rows.length > 0;
  }

  async kill(sessionId: number): Promise<KillOutcome> {
    if (!Number.isSafeInteger(sessionId) || sessionId <= 0)
      return { kind: "failed", message: `invalid id ${sessionId}` };
    try {
      // The id is a validated integer, so it goes into the statement as is.
      await this.run(`KILL CONNECTION ${sessionId}`);
      return { kind: "killed" };
    } catch (e) {
      const errno = dbError(e).errno;
      if (errno === ER_NO_SUCH_THREAD) return { kind: "gone" };
      if (errno === ER_KILL_DENIED) return { kind: "denied", message: messageOf(e) };
      return { kind: "failed", message: messageOf(e) };
    }
  }

  async close(): Promise<void> {
    try {
      await this.conn.end();
    } catch {
      // Already gone (e.g. a KILL aimed at it by someone else): nothing to release.
      this.conn.destroy();
    }
  }
}

/**
 * mysql2 is an optional peer dependency: only a local cloud whose DAS instances point at a
 * database needs it, so a plain install of the package starts the local cloud without it.
 */
async function loadMysql2(): Promise<typeof mysql> {
  try {
    return (await import("mysql2/promise")).default;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
    throw new Error(
      "the local cloud's DAS service needs the mysql2 package to reach a database: run `npm install mysql2` where pulumi-sessions is installed",
    );
  }
}

/** The real driver: `mysql2/promise` over TCP. */
export function mysqlDriver(options: MysqlDriverOptions = {}): SessionDriver {
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 5000;
  return {
    async connect(endpoint, account) {
      const driver = await loadMysql2();
      let conn: mysql.Connection;
      try {
        conn = await driver.createConnection({
          host: endpoint.host,
          port: endpoint.port,
          user: account.user,
          password: account.password,
          connectTimeout,
          // Only the statements above run here; nothing else should be interpreted.
          multipleStatements: false,
        });
      } catch (e) {
        const err = dbError(e);
        const kind = err.errno !== undefined && ACCOUNT_ERRNOS.has(err.errno) ? "account" : "other";
        throw new DbConnectError(kind, messageOf(e));
      }
      // A connection killed or dropped under us must not become an unhandled 'error' event.
      conn.on("error", () => undefined);
      try {
        const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT CONNECTION_ID() AS id");
        return new MysqlSessionConnection(conn, Number(rows[0].id), queryTimeoutMs);
      } catch (e) {
        conn.destroy();
        throw new DbConnectError("other", messageOf(e));
      }
    },
  };
}

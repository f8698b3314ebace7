/**
 * Which sessions a kill task spares, and why. Pure functions, so the rules are testable without a
 * database.
 */
import type { ProcessRow, SessionReason } from "./model";

/**
 * Accounts that are always the server's own, whatever the configuration says: MariaDB/MySQL show
 * background threads as `system user` and the event scheduler as `event_scheduler`.
 */
export const SERVER_INTERNAL_USERS: readonly string[] = ["system user", "event_scheduler"];

/**
 * Commands of sessions that keep the service running rather than serve the application:
 * replication (DAS names Binlog Dump explicitly) and the server's daemon threads.
 */
export const INTERNAL_COMMANDS: readonly string[] = [
  "Binlog Dump",
  "Binlog Dump GTID",
  "Daemon",
  "Slave_IO",
  "Slave_SQL",
  "Slave_worker",
];

export interface SparingRules {
  /** The task's `IgnoredUsers`. */
  ignoredUsers: readonly string[];
  /** The instance's internal O&M accounts (config `internalUsers`). */
  internalUsers: readonly string[];
}

/** `127.0.0.1:51234` -> `127.0.0.1`; `[::1]:51234` -> `::1`; `localhost` stays. */
export function hostWithoutPort(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1];
  const m = /^([^:]+):\d+$/.exec(host);
  return m ? m[1] : host;
}

/**
 * An internal-account entry matches a session's user, or its `user@host` when the entry names a
 * host (the process list shows the client's address; the port is left out of the comparison).
 */
function isInternalUser(row: ProcessRow, internalUsers: readonly string[]): boolean {
  if (SERVER_INTERNAL_USERS.includes(row.user)) return true;
  const userAtHost = `${row.user}@${hostWithoutPort(row.host)}`;
  return internalUsers.some((entry) => entry === row.user || entry === userAtHost);
}

/**
 * Why a session is spared, or undefined when it is to be killed. Internal accounts and commands
 * come first: an O&M session stays an O&M session even when its account is also in IgnoredUsers.
 * Account names compare exactly, as MySQL compares them.
 */
export function spareReason(row: ProcessRow, rules: SparingRules): SessionReason | undefined {
  if (isInternalUser(row, rules.internalUsers) || INTERNAL_COMMANDS.includes(row.command))
    return "SESSION_INTERNAL_USER_OR_COMMAND";
  if (rules.ignoredUsers.includes(row.user)) return "SESSION_IGNORED_USER";
  return undefined;
}

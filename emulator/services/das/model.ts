/**
 * DAS (2020-01-16) kill-session tasks: the shapes CreateKillInstanceSessionTask and
 * GetKillInstanceSessionTaskResult exchange, with the field names of DAS's API reference and SDK
 * models (`GetKillInstanceSessionTaskResultResponseBodyData` / `...DataResult`).
 */

/** API version DAS is routed by (`x-acs-version`). */
export const DAS_VERSION = "2020-01-16";

/** `TaskState`: RUNNING while sessions are being terminated, then one of the three end states. */
export type TaskState = "RUNNING" | "SUCCESS" | "FAILURE" | "ERROR";

/** `Result[].Reason`, as listed by the API reference. */
export type SessionReason =
  | "SESSION_KILLED"
  | "SESSION_EXPIRED"
  | "SESSION_NO_PERMISSION"
  | "SESSION_ACCOUNT_ERROR"
  | "SESSION_IGNORED_USER"
  | "SESSION_INTERNAL_USER_OR_COMMAND"
  | "SESSION_KILL_TASK_TIMEOUT"
  | "SESSION_OTHER_ERROR";

/** Reasons that count toward `KillFailCount`. */
export const FAILED_REASONS: ReadonlySet<SessionReason> = new Set<SessionReason>([
  "SESSION_NO_PERMISSION",
  "SESSION_ACCOUNT_ERROR",
  "SESSION_KILL_TASK_TIMEOUT",
  "SESSION_OTHER_ERROR",
]);

/** Reasons that count toward `IgnoredUserSessionCount` (ignored accounts, O&M accounts, Binlog Dump). */
export const IGNORED_REASONS: ReadonlySet<SessionReason> = new Set<SessionReason>([
  "SESSION_IGNORED_USER",
  "SESSION_INTERNAL_USER_OR_COMMAND",
]);

/** One row of the server's process list (`information_schema.PROCESSLIST`). */
export interface ProcessRow {
  id: number;
  user: string;
  /** `ip:port` for TCP clients, `localhost` for the socket, empty for background threads. */
  host: string;
  db: string | null;
  command: string;
  /** Seconds in the current state. */
  time: number;
  state: string | null;
  info: string | null;
}

/** One `Result[]` row of GetKillInstanceSessionTaskResult. */
export interface SessionResult {
  /** Session (thread) id; 0 for a task-level row that no single session stands for (see backend.ts). */
  Id: number;
  User: string;
  Host: string;
  Db?: string;
  Command: string;
  Time: number;
  State?: string;
  Info?: string;
  /** Whether the session was running a statement (Command Query or Execute). */
  Active: boolean;
  Reason: SessionReason;
  /** The id of the sub-task that handled this session (`task_<uuid>`). */
  TaskId: string;
}

/** What CreateKillInstanceSessionTask asks for, after parameter parsing. */
export interface KillRequest {
  instanceId: string;
  nodeId?: string;
  dbUser: string;
  dbUserPassword: string;
  ignoredUsers: string[];
  killAllSessions: boolean;
  /** Ignored when `killAllSessions` is true. */
  sessionIds: number[];
}

/** What GetKillInstanceSessionTaskResult asks for. */
export interface TaskQuery {
  instanceId: string;
  nodeId?: string;
  taskId: string;
}

/** The `Data` object of GetKillInstanceSessionTaskResult. */
export interface TaskResultData {
  TaskId: string;
  UserId: string;
  InstanceId: string;
  /** Only for PolarDB clusters. */
  NodeId?: string;
  TaskState: TaskState;
  /** The sessions the task set out to terminate (all sessions of the node when KillAllSessions). */
  Sessions: number[];
  KillSuccessCount: number;
  KillFailCount: number;
  IgnoredUserSessionCount: number;
  Result: SessionResult[];
}

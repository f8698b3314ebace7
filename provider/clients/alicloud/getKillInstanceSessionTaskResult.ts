/**
 * DAS GetKillInstanceSessionTaskResult (2020-01-16): the state of a kill task made by
 * CreateKillInstanceSessionTask, its counts and one row per session it looked at, each with
 * the reason it was (or was not) killed. Read-only, so throttling, 5xx and network failures
 * are retried by the client's default loop.
 *
 * `Data.TaskState`: RUNNING, then SUCCESS, FAILURE or ERROR. For a PolarDB cluster the
 * reference asks for `NodeId`; callers pass the node the task ran on when they know it.
 */
import type { ErrorHints } from "../../errors/alicloud";
import type { AlicloudRpcClient } from "./client";
import { DAS_STATUS_CODES } from "./createKillInstanceSessionTask";

/** Request. */
export interface GetKillInstanceSessionTaskResultRequest {
  /** `InstanceId`. */
  instanceId: string;
  /** `NodeId` (PolarDB). */
  nodeId?: string;
  /** `TaskId`, from CreateKillInstanceSessionTask. */
  taskId: string;
}

/** States after which the task never changes. */
export const KILL_TASK_TERMINAL_STATES: readonly string[] = ["SUCCESS", "FAILURE", "ERROR"];

/** Per-session reasons the reference lists, in plain words for messages. */
export const KILL_SESSION_REASONS: Readonly<Record<string, string>> = {
  SESSION_KILLED: "killed",
  SESSION_EXPIRED: "already ended before the kill",
  SESSION_NO_PERMISSION: "dbUser lacks the privilege to kill it",
  SESSION_ACCOUNT_ERROR: "DAS could not log in: dbUser or dbUserPassword is wrong",
  SESSION_IGNORED_USER: "spared: its account is in ignoredUsers",
  SESSION_INTERNAL_USER_OR_COMMAND: "spared: an internal O&M account or a Binlog Dump thread",
  SESSION_KILL_TASK_TIMEOUT: "the kill timed out",
  SESSION_OTHER_ERROR: "another error",
};

/** Reasons that mean "this session should have died and did not". */
export const KILL_FAILURE_REASONS: readonly string[] = [
  "SESSION_NO_PERMISSION",
  "SESSION_ACCOUNT_ERROR",
  "SESSION_KILL_TASK_TIMEOUT",
  "SESSION_OTHER_ERROR",
];

/** One row of `Data.Result`: a session the task looked at. */
export interface KillSessionRow {
  /** `Id`: the session (connection) id. */
  id: number;
  /** `TaskId`: the subtask that handled it. */
  taskId?: string;
  /** `User`. */
  user?: string;
  /** `Host`: client address and port. */
  host?: string;
  /** `Db`. */
  db?: string;
  /** `Command` (Sleep, Query, Binlog Dump, ...). */
  command?: string;
  /** `Time`: seconds in the current state. */
  time?: number;
  /** `State`. */
  state?: string;
  /** `Info`: the statement it was running. */
  info?: string;
  /** `Active`. */
  active?: boolean;
  /** `Reason`: SESSION_KILLED, SESSION_IGNORED_USER, ... (see {@link KILL_SESSION_REASONS}). */
  reason?: string;
}

/** `Data`, in camelCase. */
export interface KillTaskResult {
  /** `TaskId`. */
  taskId: string;
  /** `UserId`: the Alibaba Cloud account. */
  userId?: string;
  /** `InstanceId`. */
  instanceId?: string;
  /** `NodeId` (PolarDB). */
  nodeId?: string;
  /** `TaskState`: RUNNING, SUCCESS, FAILURE or ERROR (kept as sent when DAS says something else). */
  taskState: string;
  /** `Sessions`: the ids the task set out to kill (with KillAllSessions, every session it saw). */
  sessions: number[];
  /** `KillSuccessCount`. */
  killSuccessCount: number;
  /** `KillFailCount`. */
  killFailCount: number;
  /** `IgnoredUserSessionCount`: spared sessions (IgnoredUsers, internal accounts, Binlog Dump). */
  ignoredUserSessionCount: number;
  /** `Result`: one row per session. */
  result: KillSessionRow[];
}

/** Codes worth a hint for this operation. */
export const GET_KILL_INSTANCE_SESSION_TASK_RESULT_ERRORS: ErrorHints = {
  InvalidParams: "DAS rejected the parameters: check the instance, node and task ids.",
  NoPermission:
    "The caller lacks the RAM permission hdm:GetKillInstanceSessionTaskResult: grant it to the user or role.",
};

function str(v: unknown): string | undefined {
  if (typeof v === "number") return String(v);
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A number from a number or a numeric string (DAS sends Longs; some gateways send text). */
function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

function objects(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === "object")
    : [];
}

/** Converts one `Data.Result[]` row; undefined when it carries no session id. */
export function toKillSessionRow(raw: Record<string, unknown>): KillSessionRow | undefined {
  const id = num(raw.Id);
  if (id === undefined) return undefined;
  return {
    id,
    taskId: str(raw.TaskId),
    user: str(raw.User),
    host: str(raw.Host),
    db: str(raw.Db),
    command: str(raw.Command),
    time: num(raw.Time),
    state: str(raw.State),
    info: str(raw.Info),
    active: bool(raw.Active),
    reason: str(raw.Reason),
  };
}

/** Converts `Data`. Missing counts are derived from the rows, so they never contradict them. */
export function toKillTaskResult(data: Record<string, unknown>, taskId: string): KillTaskResult {
  const result = objects(data.Result)
    .map(toKillSessionRow)
    .filter((r): r is KillSessionRow => r !== undefined);
  const countOf = (...reasons: string[]) =>
    result.filter((r) => r.reason && reasons.includes(r.reason)).length;
  return {
    taskId: str(data.TaskId) ?? taskId,
    userId: str(data.UserId),
    instanceId: str(data.InstanceId),
    nodeId: str(data.NodeId),
    taskState: str(data.TaskState)?.toUpperCase() ?? "RUNNING",
    sessions: (Array.isArray(data.Sessions) ? data.Sessions : [])
      .map(num)
      .filter((n): n is number => n !== undefined),
    killSuccessCount: num(data.KillSuccessCount) ?? countOf("SESSION_KILLED"),
    killFailCount: num(data.KillFailCount) ?? countOf(...KILL_FAILURE_REASONS),
    ignoredUserSessionCount:
      num(data.IgnoredUserSessionCount) ??
      countOf("SESSION_IGNORED_USER", "SESSION_INTERNAL_USER_OR_COMMAND"),
    result,
  };
}

/** Calls GetKillInstanceSessionTaskResult (retrying throttling, 5xx and network errors). */
export async function getKillInstanceSessionTaskResult(
  client: AlicloudRpcClient,
  req: GetKillInstanceSessionTaskResultRequest,
): Promise<KillTaskResult> {
  const { body } = await client.call(
    "GetKillInstanceSessionTaskResult",
    { InstanceId: req.instanceId, NodeId: req.nodeId, TaskId: req.taskId },
    { hints: GET_KILL_INSTANCE_SESSION_TASK_RESULT_ERRORS, statusCodes: DAS_STATUS_CODES },
  );
  const data = body.Data;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new Error(
      `GetKillInstanceSessionTaskResult returned no Data for task ${req.taskId} ` +
        `(request id ${typeof body.RequestId === "string" ? body.RequestId : "unknown"})`,
    );
  }
  return toKillTaskResult(data as Record<string, unknown>, req.taskId);
}

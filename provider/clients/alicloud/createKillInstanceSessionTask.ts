/**
 * DAS CreateKillInstanceSessionTask (2020-01-16): asks DAS to log in to an RDS MySQL instance
 * or a PolarDB MySQL cluster as `DbUser` and kill sessions, either the listed ones or all of
 * them (sparing `IgnoredUsers`, Alibaba Cloud's internal O&M accounts and Binlog Dump threads).
 *
 * DAS is central: callers sign for cn-shanghai whatever the database's region. Failures come
 * back either as HTTP 400/403 or inside HTTP 200 as `{Success: false, Code, Message}`
 * (emulator/services/das/backend.ts has the evidence); the client turns both into the same error. `Data` is one task id, or, for a PolarDB cluster without `NodeId`, a
 * JSON array of task ids (one per node) encoded as a string.
 *
 * Not idempotent (there is no client token): only throttling, which the gateway refuses
 * before anything runs, is retried. A 5xx or a lost connection may come after DAS started
 * killing; a second task would then report the first one's victims as gone, so those errors
 * go to the user instead.
 */
import { classify, withRetry, type RetryOptions } from "../../retry";
import type { ErrorHints, StatusCodes } from "../../errors/alicloud";
import type { AlicloudRpcClient } from "./client";

/** Request, in camelCase; sent as PascalCase query parameters. */
export interface CreateKillInstanceSessionTaskRequest {
  /** `InstanceId`: `rm-...` (RDS MySQL) or `pc-...` (PolarDB MySQL cluster). */
  instanceId: string;
  /** `NodeId`: a PolarDB node (`pi-...`). */
  nodeId?: string;
  /** `DbUser`: the account DAS logs in with; it needs the privilege to kill sessions. */
  dbUser: string;
  /** `DbUserPassword`. */
  dbUserPassword: string;
  /** `IgnoredUsers`, sent as a JSON-array string. */
  ignoredUsers?: readonly string[];
  /** `KillAllSessions`. */
  killAllSessions: boolean;
  /** `SessionIds`, sent as a JSON-array string; ignored by DAS with `killAllSessions`. */
  sessionIds?: readonly number[];
}

/** Response. */
export interface CreateKillInstanceSessionTaskResponse {
  /** `RequestId`. */
  requestId?: string;
  /** The task ids from `Data`: one, or one per node of a PolarDB cluster. */
  taskIds: string[];
}

/** Every code the API reference lists, with what to do about it. */
export const CREATE_KILL_INSTANCE_SESSION_TASK_ERRORS: ErrorHints = {
  InvalidParams:
    "DAS rejected the parameters: check instanceId/nodeId (the database must be RDS MySQL or PolarDB MySQL and known to DAS) and sessionIds.",
  NoPermission:
    "The caller lacks the RAM permission hdm:CreateKillInstanceSessionTask: grant it to the user or role.",
};

/** DAS's error table, by status: what a failure carrying only its status (`Code: 400`) is. */
export const DAS_STATUS_CODES: StatusCodes = { 400: "InvalidParams", 403: "NoPermission" };

/**
 * Encodes a list the way DAS wants `IgnoredUsers` and `SessionIds`: one JSON array in a single
 * string parameter (`["a","b"]`, `[1,2]`). Undefined for an absent or empty list, so the
 * parameter is left out rather than sent as `[]`.
 */
export function toJsonArrayParam(values: readonly (string | number)[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return JSON.stringify(values);
}

/** The query parameters for a request. */
export function createKillInstanceSessionTaskParams(
  req: CreateKillInstanceSessionTaskRequest,
): Record<string, unknown> {
  return {
    InstanceId: req.instanceId,
    NodeId: req.nodeId,
    DbUser: req.dbUser,
    DbUserPassword: req.dbUserPassword,
    IgnoredUsers: toJsonArrayParam(req.ignoredUsers),
    KillAllSessions: req.killAllSessions,
    // DAS ignores SessionIds when killing everything; leaving it out keeps the request honest.
    SessionIds: req.killAllSessions ? undefined : toJsonArrayParam(req.sessionIds),
  };
}

/**
 * The task ids in `Data`: a plain id, a JSON array of ids in a string (PolarDB, one per node),
 * or (tolerated) a real array. Empty when `Data` holds none.
 */
export function parseTaskIds(data: unknown): string[] {
  let value: unknown = data;
  if (typeof value === "string") {
    const text = value.trim();
    if (!text.startsWith("[")) return text === "" ? [] : [text];
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON after all: an id that happens to start with "[" is not a thing DAS makes.
      return [text];
    }
  }
  if (typeof value === "number") return [String(value)];
  if (!Array.isArray(value)) return [];
  return value
    .map((id) => (typeof id === "string" ? id.trim() : typeof id === "number" ? String(id) : ""))
    .filter((id) => id !== "");
}

/** Retried for this operation: throttling only (see the module comment). */
export function isRetriedForCreate(err: unknown): boolean {
  return classify(err) === "throttling";
}

/** Carries an error past the retry loop: it classifies as "client", so it is not retried. */
class DoNotRetry {
  constructor(readonly error: unknown) {}
}

/** Calls CreateKillInstanceSessionTask, retrying throttling only. */
export async function createKillInstanceSessionTask(
  client: AlicloudRpcClient,
  req: CreateKillInstanceSessionTaskRequest,
  retry: RetryOptions = {},
): Promise<CreateKillInstanceSessionTaskResponse> {
  const params = createKillInstanceSessionTaskParams(req);
  let body: Record<string, unknown>;
  try {
    ({ body } = await withRetry(async () => {
      try {
        return await client.call("CreateKillInstanceSessionTask", params, {
          hints: CREATE_KILL_INSTANCE_SESSION_TASK_ERRORS,
          statusCodes: DAS_STATUS_CODES,
          retry: false,
        });
      } catch (err) {
        throw isRetriedForCreate(err) ? err : new DoNotRetry(err);
      }
    }, retry));
  } catch (err) {
    throw err instanceof DoNotRetry ? err.error : err;
  }
  const requestId = typeof body.RequestId === "string" ? body.RequestId : undefined;
  const taskIds = parseTaskIds(body.Data);
  if (taskIds.length === 0) {
    throw new Error(
      `CreateKillInstanceSessionTask returned no task id (request id ${requestId ?? "unknown"}): ` +
        "DAS may still have started the kill; check the DAS console before running it again.",
    );
  }
  return { requestId, taskIds };
}

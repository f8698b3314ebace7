/**
 * DAS kill-session tasks against real MySQL-compatible servers.
 *
 * A task is created per node, starts RUNNING, and moves once to SUCCESS, FAILURE or ERROR:
 *   RUNNING -> SUCCESS  every session it set out to end was killed, spared or already gone;
 *   RUNNING -> FAILURE  at least one session could not be killed (wrong account or password,
 *                       missing privilege, timeout, the server refused the KILL);
 *   RUNNING -> ERROR    the server could not be reached or the task broke for another reason.
 * The work runs in the background right after CreateKillInstanceSessionTask answers; the state a
 * caller sees stays RUNNING for at least `minRunningMs` by the injected clock, so callers must poll
 * (and a test with a ManualClock decides when a task may be seen finished).
 *
 * Where this differs from the real DAS (known or guessed; the API reference leaves these open):
 * - Sessions are listed and killed with the caller's DbUser over a direct connection. Real DAS lists
 *   sessions with its own access, so it also shows sessions an account cannot see. Here an account
 *   without PROCESS sees only its own sessions; with KillAllSessions the task then adds one
 *   task-level row (Id 0) with SESSION_NO_PERMISSION and ends FAILURE.
 * - A wrong DbUser/DbUserPassword (or a locked account) still creates the task, which ends FAILURE
 *   with SESSION_ACCOUNT_ERROR rows: one per requested session (SessionIds), or one task-level row
 *   (Id 0, KillAllSessions) because no session could be listed. Rows about sessions the task could
 *   not see carry the server's message (e.g. "Access denied for user ...") in `Info`. An
 *   unreachable server ends the task ERROR with SESSION_OTHER_ERROR rows the same way.
 * - The sparing rules (IgnoredUsers, internal O&M accounts, `system user`/`event_scheduler`,
 *   Binlog Dump and other replication/daemon commands) apply with SessionIds too, not only with
 *   KillAllSessions: the guess is that DAS never ends what the caller asked it to spare.
 * - A requested session that does not exist (or ended before the KILL) gets SESSION_EXPIRED and
 *   counts neither as killed nor as failed; it does not turn the task into FAILURE.
 * - PolarDB without NodeId (KillAllSessions=true) returns `Data` as a JSON-array string of task ids,
 *   one per node, even for a one-node cluster; RDS, or PolarDB with NodeId, returns the bare id.
 * - NodeId on an RDS MySQL instance is rejected (InvalidParams) unless the instance lists that node.
 * - GetKillInstanceSessionTaskResult requires NodeId for a PolarDB task (as the reference says);
 *   an InstanceId or NodeId that does not match the task's is "task not found".
 * - How failures are answered. The reference's table lists "400 InvalidParams, 403 NoPermission"
 *   as HTTP status and code, while its response body documents `Code` (integer, "the HTTP status
 *   code returned"), `Success` (true/false) and `Message` ("if the request failed, an error
 *   message such as an error code is returned"). The evidence says DAS uses both forms:
 *   - Alibaba's SDK models (aliyun/alibabacloud-java-sdk and alibabacloud-typescript-sdk,
 *     das-20200116 `CreateKillInstanceSessionTaskResponseBody`: `Long code`, `Boolean success`,
 *     `String message`) give a parsed body room for a failure, which only a 2xx answer reaches:
 *     `@alicloud/openapi-core` (`callApi`, dist/client.js) throws for HTTP 400..599 only and never
 *     looks at `Success`, so a 200 with `Success: false` reaches the caller as a normal result.
 *   - Alibaba's own Terraform provider (aliyun/terraform-provider-alicloud,
 *     alicloud/service_alicloud_das.go and resource_alicloud_das_switch_das_pro.go, DAS
 *     2020-01-16) checks `response["Success"] == "false"` after every call the SDK did not
 *     fail, and reads `Code == "-404"` in such a body as "not found"; the same file also expects
 *     an SDK error (an HTTP error) with code `-1020004` from DisableDasPro.
 *   - No public issue reports either form for these two operations (GitHub issues searched).
 *   So: a request the gateway refuses is an HTTP error (malformed parameters: 400 InvalidParams
 *   with the usual Alibaba error body; a key whose `deny` names DAS: 403 NoPermission), and a
 *   well-formed request DAS cannot carry out (unknown instance, node or task, an engine it cannot
 *   kill sessions on) is HTTP 200 `{Code: 400, Message: "InvalidParams: ...", Success: false}`
 *   (errors.ts). The provider reads both as one error (provider/errors/alicloud.ts
 *   `failureOf`): the documented code, the status, the request id, one hint.
 * - Field names follow DAS's SDK models: `Result[]` rows with `Id`, `User`, `Host`, `Db`,
 *   `Command`, `Time`, `State`, `Info`, `Active`, `Reason`, `TaskId`; `Sessions` a list of ids.
 * - While RUNNING the counts are 0 and Result/Sessions empty; the real service may fill them in as
 *   it goes.
 * - Tasks belong to the account of the key that created them (a credential's `accountId`; keys
 *   naming none share one local account). Keys of one account (its RAM users) read each other's
 *   tasks; another account's task is "task not found" for them, as an unknown id is. UserId is
 *   the account's id: kept when it has 16 digits, derived from it otherwise. Tasks are kept
 *   without a retention limit: in memory, or with `--state-dir` in `state.json` across restarts
 *   (a task a crash interrupted comes back ERROR; a clean stop lets running tasks finish first).
 * - `Result[].TaskId` is a sub-task id per session (`task_<uuid>`), as in the reference's sample.
 * - Tasks on the same server run one at a time (see `serialized`), and a task never ends its own
 *   connection; the real DAS runs its node tasks on separate servers in parallel.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Clock } from "../../clock";
import type { DasInstance } from "../../config";
import { dasFailures, DasFailure } from "./errors";
import { savedDasSchema } from "./persisted";
import {
  FAILED_REASONS,
  IGNORED_REASONS,
  type KillRequest,
  type ProcessRow,
  type SessionReason,
  type SessionResult,
  type TaskQuery,
  type TaskResultData,
  type TaskState,
} from "./model";
import {
  DbConnectError,
  mysqlDriver,
  type DbEndpoint,
  type KillOutcome,
  type SessionConnection,
  type SessionDriver,
} from "./mysqlSessions";
import { spareReason, type SparingRules } from "./rules";

/** Engines DAS can end sessions on. */
const SUPPORTED_ENGINES: readonly string[] = ["MySQL", "PolarDBMySQL"];

export interface DasBackendOptions {
  clock: Clock;
  /** Read on every call: the admin API may add or replace instances at run time. */
  instances: () => readonly DasInstance[];
  /** How sessions are listed and killed; default: mysql2 over TCP. */
  driver?: SessionDriver;
  /** A task is reported RUNNING for at least this long after creation, by `clock` (default 300 ms). */
  minRunningMs?: number;
  /** Wall-clock budget of one task; sessions not reached in time get SESSION_KILL_TASK_TIMEOUT (default 30 s). */
  taskTimeoutMs?: number;
  /** Called after every change of the tasks (they are saved when there is a state dir). */
  changed?: () => void;
}

/** Who calls: the local cloud's account of the access key (config.ts `accountOf`). */
export interface DasCaller {
  accountId: string;
}

/** What CreateKillInstanceSessionTask produced. */
export interface CreatedTasks {
  taskIds: string[];
  /** True when the ids are one per node of a PolarDB cluster (`Data` is then a JSON array). */
  perNode: boolean;
}

interface KillTask {
  taskId: string;
  /** Only callers of this account see the task. */
  accountId: string;
  userId: string;
  instanceId: string;
  /** Set for PolarDB nodes only. */
  nodeId?: string;
  dbUser: string;
  createdAt: Date;
  finishedAt?: Date;
  /** The actual state; callers see it through `visibleState`. */
  state: TaskState;
  sessions: number[];
  result: SessionResult[];
  /** Plain-text reason of a FAILURE/ERROR that concerns the whole task. */
  message?: string;
}

/** One node a task works on; `endpoint` is missing when the config gives the instance no port. */
interface Target {
  nodeId?: string;
  endpoint?: DbEndpoint;
}

/** The Alibaba Cloud account id shown as `UserId`: the account's own when it is 16 digits, else derived. */
export function userIdFor(accountId: string): string {
  if (/^\d{16}$/.test(accountId)) return accountId;
  const n = BigInt("0x" + createHash("sha256").update(accountId).digest("hex").slice(0, 16));
  return "1" + (n % 10n ** 15n).toString().padStart(15, "0");
}

const newTaskId = () => randomBytes(16).toString("hex");
const newSubTaskId = () => `task_${randomUUID()}`;

/** A Result row for a session known from the process list. */
function rowFor(session: ProcessRow, reason: SessionReason): SessionResult {
  const row: SessionResult = {
    Id: session.id,
    User: session.user,
    Host: session.host,
    Command: session.command,
    Time: session.time,
    Active: session.command === "Query" || session.command === "Execute",
    Reason: reason,
    TaskId: newSubTaskId(),
  };
  if (session.db !== null) row.Db = session.db;
  if (session.state !== null) row.State = session.state;
  if (session.info !== null) row.Info = session.info;
  return row;
}

/** A Result row for a session the task could not see (or Id 0 for the task as a whole). */
function blindRow(id: number, user: string, reason: SessionReason, message: string): SessionResult {
  const row: SessionResult = {
    Id: id,
    User: user,
    Host: "",
    Command: "",
    Time: 0,
    Active: false,
    Reason: reason,
    TaskId: newSubTaskId(),
  };
  if (message !== "") row.Info = message;
  return row;
}

function reasonFor(outcome: KillOutcome): SessionReason {
  switch (outcome.kind) {
    case "killed":
      return "SESSION_KILLED";
    case "gone":
      return "SESSION_EXPIRED";
    case "denied":
      return "SESSION_NO_PERMISSION";
    case "failed":
      return "SESSION_OTHER_ERROR";
  }
}

export class DasBackend {
  private readonly tasks = new Map<string, KillTask>();
  private readonly running = new Set<Promise<void>>();
  /** The last task queued per server (`host:port`). */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly driver: SessionDriver;
  private readonly minRunningMs: number;
  private readonly taskTimeoutMs: number;

  constructor(private readonly options: DasBackendOptions) {
    this.driver = options.driver ?? mysqlDriver();
    this.minRunningMs = options.minRunningMs ?? 300;
    this.taskTimeoutMs = options.taskTimeoutMs ?? 30_000;
  }

  /** CreateKillInstanceSessionTask: one task per node, each started in the background. */
  createKillTasks(req: KillRequest, caller: DasCaller): CreatedTasks | DasFailure {
    const targets = this.resolveTargets(req);
    if (targets instanceof DasFailure) return targets;
    const rules: SparingRules = {
      ignoredUsers: req.ignoredUsers,
      internalUsers: this.instance(req.instanceId)?.internalUsers ?? [],
    };
    const taskIds = targets.map((target) => {
      const task: KillTask = {
        taskId: newTaskId(),
        accountId: caller.accountId,
        userId: userIdFor(caller.accountId),
        instanceId: req.instanceId,
        nodeId: target.nodeId,
        dbUser: req.dbUser,
        createdAt: this.options.clock.now(),
        state: "RUNNING",
        sessions: [],
        result: [],
      };
      this.tasks.set(task.taskId, task);
      const run = this.serialized(target, () => this.run(task, target, req, rules)).finally(() =>
        this.running.delete(run),
      );
      this.running.add(run);
      return task.taskId;
    });
    this.options.changed?.();
    return { taskIds, perNode: req.nodeId === undefined && targets.some((t) => t.nodeId !== undefined) };
  }

  /** GetKillInstanceSessionTaskResult. */
  taskResult(query: TaskQuery, caller: DasCaller): TaskResultData | DasFailure {
    const task = this.tasks.get(query.taskId);
    // Another account's task does not exist for this caller.
    if (!task || task.accountId !== caller.accountId || task.instanceId !== query.instanceId)
      return dasFailures.taskNotFound(query.taskId);
    if (task.nodeId !== undefined && query.nodeId === undefined)
      return dasFailures.nodeIdRequiredForResult(query.instanceId);
    if (query.nodeId !== undefined && query.nodeId !== task.nodeId)
      return dasFailures.taskNotFound(query.taskId);

    const state = this.visibleState(task);
    const done = state !== "RUNNING";
    const result = done ? task.result : [];
    const count = (set: ReadonlySet<SessionReason>) => result.filter((r) => set.has(r.Reason)).length;
    const data: TaskResultData = {
      TaskId: task.taskId,
      UserId: task.userId,
      InstanceId: task.instanceId,
      TaskState: state,
      Sessions: done ? task.sessions : [],
      KillSuccessCount: result.filter((r) => r.Reason === "SESSION_KILLED").length,
      KillFailCount: count(FAILED_REASONS),
      IgnoredUserSessionCount: count(IGNORED_REASONS),
      Result: result,
    };
    if (task.nodeId !== undefined) data.NodeId = task.nodeId;
    return data;
  }

  /** Tasks as plain JSON for the admin API (never the password). */
  snapshot(): Array<Record<string, unknown>> {
    return [...this.tasks.values()].map((t) => ({
      taskId: t.taskId,
      instanceId: t.instanceId,
      nodeId: t.nodeId,
      dbUser: t.dbUser,
      state: this.visibleState(t),
      createdAt: t.createdAt.toISOString(),
      finishedAt: t.finishedAt?.toISOString(),
      sessions: t.sessions.length,
      message: t.message,
    }));
  }

  /** Resolves when every task started so far has finished its work. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async close(): Promise<void> {
    await this.idle();
  }

  /** The tasks as `state.json` keeps them (emulator/persistence/store.ts); never the password, which is not kept. */
  save(): unknown {
    return { tasks: [...this.tasks.values()] };
  }

  /** Takes back what `save()` wrote; a task still RUNNING then was cut off by a crash: it ends ERROR. */
  restore(saved: unknown): void {
    for (const task of savedDasSchema.parse(saved).tasks) {
      this.tasks.set(task.taskId, task);
      if (task.state === "RUNNING") {
        const message = "The local cloud stopped before the task finished.";
        task.result.push(blindRow(0, task.dbUser, "SESSION_OTHER_ERROR", message));
        this.finish(task, "ERROR", message);
      }
    }
  }

  /**
   * Tasks on one server run one after another: otherwise the per-node tasks of a cluster whose
   * nodes share a server (a common local setup) would end each other's connections mid-task.
   */
  private serialized(target: Target, work: () => Promise<void>): Promise<void> {
    const key = target.endpoint ? `${target.endpoint.host}:${target.endpoint.port}` : "";
    const next = (this.queues.get(key) ?? Promise.resolve()).then(work, work);
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
    return next;
  }

  private instance(instanceId: string): DasInstance | undefined {
    return this.options.instances().find((i) => i.instanceId === instanceId);
  }

  private visibleState(task: KillTask): TaskState {
    if (task.state === "RUNNING") return "RUNNING";
    const visibleAt = task.createdAt.getTime() + this.minRunningMs;
    return this.options.clock.now().getTime() >= visibleAt ? task.state : "RUNNING";
  }

  /** The nodes a request works on, or why it cannot run. */
  private resolveTargets(req: KillRequest): Target[] | DasFailure {
    const instance = this.instance(req.instanceId);
    if (!instance) return dasFailures.instanceNotFound(req.instanceId);
    if (!SUPPORTED_ENGINES.includes(instance.engine)) return dasFailures.engineNotSupported(req.instanceId);
    const nodeTarget = (n: DasInstance["nodes"][number]): Target => ({
      nodeId: n.nodeId,
      endpoint: { host: n.host, port: n.port },
    });

    if (req.nodeId !== undefined) {
      const node = instance.nodes.find((n) => n.nodeId === req.nodeId);
      return node ? [nodeTarget(node)] : dasFailures.nodeNotFound(req.instanceId, req.nodeId);
    }
    if (instance.engine === "PolarDBMySQL") {
      // Without a node, only "kill everything" is defined: DAS walks every node of the cluster.
      if (!req.killAllSessions) return dasFailures.nodeIdRequired(req.instanceId);
      if (instance.nodes.length === 0) return dasFailures.noNodes(req.instanceId);
      return instance.nodes.map(nodeTarget);
    }
    return [
      { endpoint: instance.port === undefined ? undefined : { host: instance.host, port: instance.port } },
    ];
  }

  private finish(task: KillTask, state: Exclude<TaskState, "RUNNING">, message?: string): void {
    task.state = state;
    task.message = message;
    task.finishedAt = this.options.clock.now();
    this.options.changed?.();
  }

  /** Ends the task before any session could be listed: one row per requested id, or one for the task. */
  private failBlind(
    task: KillTask,
    req: KillRequest,
    state: "FAILURE" | "ERROR",
    reason: SessionReason,
    message: string,
  ): void {
    const ids = req.killAllSessions ? [0] : req.sessionIds;
    task.sessions = req.killAllSessions ? [] : [...req.sessionIds];
    task.result = ids.map((id) => blindRow(id, req.dbUser, reason, message));
    this.finish(task, state, message);
  }

  private async run(task: KillTask, target: Target, req: KillRequest, rules: SparingRules): Promise<void> {
    // Wall-clock deadline: a test's ManualClock must not make a real KILL time out.
    const deadline = Date.now() + this.taskTimeoutMs;
    if (!target.endpoint) {
      this.failBlind(task, req, "ERROR", "SESSION_OTHER_ERROR", "The instance has no database endpoint.");
      return;
    }
    let conn: SessionConnection;
    try {
      conn = await this.driver.connect(target.endpoint, { user: req.dbUser, password: req.dbUserPassword });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof DbConnectError && e.kind === "account")
        this.failBlind(task, req, "FAILURE", "SESSION_ACCOUNT_ERROR", message);
      else this.failBlind(task, req, "ERROR", "SESSION_OTHER_ERROR", message);
      return;
    }
    try {
      await this.killSessions(task, conn, req, rules, deadline);
      const failed = task.result.some((r) => FAILED_REASONS.has(r.Reason));
      this.finish(task, failed ? "FAILURE" : "SUCCESS");
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      task.result.push(blindRow(0, req.dbUser, "SESSION_OTHER_ERROR", message));
      this.finish(task, "ERROR", message);
    } finally {
      await conn.close();
    }
  }

  private async killSessions(
    task: KillTask,
    conn: SessionConnection,
    req: KillRequest,
    rules: SparingRules,
    deadline: number,
  ): Promise<void> {
    const listed = await conn.listSessions();
    const seesAll = await conn.canSeeAllSessions();
    const byId = new Map(listed.map((s) => [s.id, s]));
    const wanted = req.killAllSessions ? listed.map((s) => s.id) : req.sessionIds;
    task.sessions = [...wanted];

    for (const id of wanted) {
      const session = byId.get(id);
      let reason: SessionReason | undefined;
      let message = "";
      if (Date.now() > deadline) reason = "SESSION_KILL_TASK_TIMEOUT";
      // The task's own connection did not exist when the caller chose the ids.
      else if (id === conn.connectionId) reason = "SESSION_EXPIRED";
      else if (session) reason = spareReason(session, rules);
      if (reason === undefined) {
        // A session the account cannot see may still exist: the KILL itself tells.
        const outcome = await conn.kill(id);
        reason = reasonFor(outcome);
        if (outcome.kind === "denied" || outcome.kind === "failed") message = outcome.message;
      }
      task.result.push(session ? rowFor(session, reason) : blindRow(id, "", reason, message));
    }

    if (req.killAllSessions && !seesAll) {
      task.result.push(
        blindRow(
          0,
          req.dbUser,
          "SESSION_NO_PERMISSION",
          `The account ${req.dbUser} lacks the PROCESS privilege and cannot see other accounts' sessions.`,
        ),
      );
    }
  }
}

/**
 * `alicloud.KillInstanceSessionTask`: a DAS task that kills database sessions on an RDS MySQL
 * instance or a PolarDB MySQL cluster (CreateKillInstanceSessionTask), run once per
 * deployment of the resource, like a `@pulumi/command` command with `triggers`.
 *
 * Lifecycle: check -> validate (unknowns accepted), fill defaults; diff -> a change to what
 * the task does (instance, node, sessions, users, triggers) replaces, which runs the kill
 * again; a change to how it is run or judged (dbUser, dbUserPassword, waitForCompletion,
 * timeoutSeconds, failOnKillFailure) updates in place without killing anything, and a kill
 * that failed is replaced on the next deployment so it runs again; create ->
 * CreateKillInstanceSessionTask, then GetKillInstanceSessionTaskResult until every task is
 * final (the waiter in `provider/wait.ts`); read -> GetKillInstanceSessionTaskResult; update ->
 * re-reads (and waits for) the recorded tasks and judges them again; delete -> no API call:
 * DAS has no way to undo a kill, so only the record leaves the stack (and the provider says
 * so on its output, which the engine shows).
 *
 * This module runs inside the dynamic provider process, loaded by name through the `__provider` module written by
 * `sdk/internal/dynamicResource.ts`; the SDK never imports it.
 */
import "../../compileCache";
import {
  alicloudClientFor,
  createKillInstanceSessionTask,
  getKillInstanceSessionTaskResult,
  KILL_FAILURE_REASONS,
  KILL_SESSION_REASONS,
  KILL_TASK_TERMINAL_STATES,
  type AlicloudRpcClient,
  type KillTaskResult,
} from "../../clients/alicloud";
import { settingsFromEnv, type Environment, type ProviderSettings } from "../../config";
import { dynamicProvider, onFirstUse, type Lifecycle } from "../../lifecycle";
import { hasErrorCode, ResourceInitError } from "../../errors/base";
import { checkInputs, differingKeys, pickInputs, PROVIDER_PROPERTY } from "../../inputs";
import { defined, isAbsent, validate, type CheckFailure } from "../../validation";
import { waitFor } from "../../wait";
import type * as Schemas from "./schema";
import type {
  KillInstanceSessionTaskCheckedInputs,
  KillInstanceSessionTaskComputed,
  KillTaskOutput,
} from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

/** DAS is served from cn-shanghai whatever the database's region; its SDK callers sign for it. */
export const DAS_REGION = "cn-shanghai";

/** The user inputs of a property bag, without internal properties, nulls or computed outputs. */
export function killTaskUserInputs(props: Record<string, unknown>): Record<string, unknown> {
  return pickInputs(schemas().KILL_INSTANCE_SESSION_TASK_INPUT_KEYS, props);
}

/** The inputs with every absent default filled in. */
export function withKillTaskDefaults(inputs: Record<string, unknown>): Record<string, unknown> {
  const out = { ...inputs };
  for (const [key, value] of Object.entries(schemas().KILL_TASK_DEFAULTS))
    if (isAbsent(out[key])) out[key] = value;
  return out;
}

// ---------------------------------------------------------------------------------------
// results: outputs and the verdict
// ---------------------------------------------------------------------------------------

/** A task as recorded before its first result: nothing known but its id. */
export function pendingTask(taskId: string, nodeId?: string): KillTaskOutput {
  return defined({
    taskId,
    nodeId,
    state: "RUNNING",
    killSuccessCount: 0,
    killFailCount: 0,
    ignoredSessionCount: 0,
    sessionIds: [],
    killedSessionIds: [],
    sessions: [],
  });
}

/** A task's outputs from its GetKillInstanceSessionTaskResult answer. */
export function taskOutput(result: KillTaskResult, nodeId?: string): KillTaskOutput {
  return defined({
    taskId: result.taskId,
    nodeId: result.nodeId ?? nodeId,
    state: result.taskState,
    killSuccessCount: result.killSuccessCount,
    killFailCount: result.killFailCount,
    ignoredSessionCount: result.ignoredUserSessionCount,
    sessionIds: result.sessions,
    killedSessionIds: result.result.filter((r) => r.reason === "SESSION_KILLED").map((r) => r.id),
    // `info` (the SQL text) stays out of state: statements can carry passwords and personal
    // data. On a task-level row (id 0) it is DAS's explanation instead, which is kept.
    sessions: result.result.map(({ info, taskId: _taskId, ...row }) =>
      defined({ ...row, message: row.id === 0 ? info : undefined }),
    ),
  });
}

/** True when the task will not change any more. */
export function isFinal(task: Pick<KillTaskOutput, "state">): boolean {
  return KILL_TASK_TERMINAL_STATES.includes(task.state);
}

/** The overall state of several tasks (see the `state` output). */
export function overallState(tasks: readonly Pick<KillTaskOutput, "state">[]): string {
  if (tasks.length === 0 || tasks.some((t) => !isFinal(t))) return "RUNNING";
  if (tasks.some((t) => t.state === "ERROR")) return "ERROR";
  if (tasks.some((t) => t.state === "FAILURE")) return "FAILURE";
  return "SUCCESS";
}

/** The computed outputs of a set of tasks. */
export function computedOutputs(tasks: KillTaskOutput[]): KillInstanceSessionTaskComputed {
  const sum = (pick: (t: KillTaskOutput) => number) => tasks.reduce((n, t) => n + pick(t), 0);
  return {
    taskIds: tasks.map((t) => t.taskId),
    state: overallState(tasks),
    killSuccessCount: sum((t) => t.killSuccessCount),
    killFailCount: sum((t) => t.killFailCount),
    ignoredSessionCount: sum((t) => t.ignoredSessionCount),
    killedSessionIds: tasks.flatMap((t) => t.killedSessionIds),
    tasks,
  };
}

/** What to do about each failure reason. */
const REASON_ADVICE: Readonly<Record<string, string>> = {
  SESSION_ACCOUNT_ERROR: "check dbUser and dbUserPassword",
  SESSION_NO_PERMISSION:
    "give dbUser the privilege to kill other accounts' sessions (on RDS MySQL, use the privileged account)",
  SESSION_KILL_TASK_TIMEOUT: "the database was too slow to answer; try again",
  SESSION_OTHER_ERROR: "see the sessions output and the DAS console",
};

/**
 * What went wrong, in plain words, one sentence per problem; empty when every task succeeded
 * and every session that should have died did.
 */
export function killProblems(tasks: readonly KillTaskOutput[]): string[] {
  const problems: string[] = [];
  for (const task of tasks) {
    const where = task.nodeId ? ` on node ${task.nodeId}` : "";
    const failing = task.sessions.filter((r) => r.reason && KILL_FAILURE_REASONS.includes(r.reason));
    const byReason = new Map<string, number[]>();
    const said = new Map<string, string>();
    for (const row of failing) {
      byReason.set(row.reason!, [...(byReason.get(row.reason!) ?? []), row.id]);
      if (row.message && !said.has(row.reason!)) said.set(row.reason!, row.message);
    }
    const details = [...byReason].map(([reason, allIds]) => {
      const advice = REASON_ADVICE[reason] ? `; ${REASON_ADVICE[reason]}` : "";
      const message = said.has(reason) ? ` (DAS said: ${said.get(reason)!.replace(/\.$/, "")})` : "";
      const words = `${KILL_SESSION_REASONS[reason] ?? reason} [${reason}]${message}${advice}`;
      // Id 0 is a task-level row (e.g. DAS could not log in at all): no session to name.
      const ids = allIds.filter((id) => id > 0);
      if (ids.length === 0) return words;
      return `${ids.length} session${ids.length === 1 ? " was" : "s were"} not killed (${ids.join(", ")}): ${words}`;
    });
    if (task.state === "FAILURE" || task.state === "ERROR") {
      problems.push(
        `task ${task.taskId}${where} ended in ${task.state}` +
          (details.length > 0 ? `: ${details.join("; ")}` : ""),
      );
    } else if (details.length > 0) {
      problems.push(`task ${task.taskId}${where}: ${details.join("; ")}`);
    } else if (task.killFailCount > 0) {
      problems.push(`task ${task.taskId}${where}: ${task.killFailCount} session(s) could not be killed`);
    }
  }
  return problems;
}

/** True when recorded outputs show a finished kill that failed under the given policy. */
export function previousRunFailed(olds: Record<string, unknown>, failOnKillFailure: boolean): boolean {
  if (!failOnKillFailure || !Array.isArray(olds.tasks)) return false;
  const tasks = olds.tasks as KillTaskOutput[];
  return tasks.length > 0 && tasks.every(isFinal) && killProblems(tasks).length > 0;
}

// ---------------------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------------------

function changed(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
): string[] {
  return differingKeys(
    keys,
    withKillTaskDefaults(killTaskUserInputs(olds)),
    withKillTaskDefaults(killTaskUserInputs(news)),
  );
}

/** Input names whose change replaces the resource (runs the kill again). */
export function replacingChanges(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return changed(olds, news, schemas().REPLACE_KEYS);
}

/** Input names whose change updates in place (no kill). */
export function inPlaceChanges(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return changed(olds, news, schemas().IN_PLACE_KEYS);
}

// ---------------------------------------------------------------------------------------
// the provider
// ---------------------------------------------------------------------------------------

/** What the provider needs from its surroundings; tests replace parts. */
export interface KillInstanceSessionTaskProviderDeps {
  /** The environment to read credentials from (default `process.env`). */
  env?: Environment;
  /** Builds the DAS client (default: the real one from the settings, in cn-shanghai). */
  client?: (settings: ProviderSettings) => AlicloudRpcClient;
  /** The clock, ms (default `Date.now`). */
  now?: () => number;
  /** Sleeps between polls (default `setTimeout`). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Where notices for the user go. Default: the provider process's stderr, which the engine
   * shows as diagnostics (dynamic providers have no other channel to the engine's log).
   */
  notice?: (message: string) => void;
}

/** Thrown when the inputs that reached create/update are not valid (check was bypassed). */
export class KillInstanceSessionTaskError extends Error {
  /** A short code for tests and callers. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "KillInstanceSessionTaskError";
    this.code = code;
  }
}

/** What a task is polled with. */
interface TaskRef {
  taskId: string;
  nodeId?: string;
}

function recordedTasks(props: Record<string, unknown>, id: string | undefined): TaskRef[] {
  if (Array.isArray(props.tasks) && props.tasks.length > 0) {
    return (props.tasks as KillTaskOutput[]).map((t) => ({ taskId: t.taskId, nodeId: t.nodeId }));
  }
  const ids = Array.isArray(props.taskIds)
    ? (props.taskIds as string[])
    : (id ?? "").split(",").filter(Boolean);
  const nodeId = typeof props.nodeId === "string" ? props.nodeId : undefined;
  return ids.map((taskId) => ({ taskId, nodeId }));
}

/**
 * Creates the lifecycle. One instance per process is enough; `configure` stores the settings on
 * it (every door calls `configure` before anything else).
 */
export function killInstanceSessionTaskLifecycle(deps: KillInstanceSessionTaskProviderDeps = {}): Lifecycle {
  const env = deps.env ?? process.env;
  const notice = deps.notice ?? ((message: string) => process.stderr.write(`${message}\n`));
  let settings: ProviderSettings | undefined;

  function current(): ProviderSettings {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= settingsFromEnv(env);
    return settings;
  }

  function client(): AlicloudRpcClient {
    return deps.client ? deps.client(current()) : alicloudClientFor(current(), "das", DAS_REGION);
  }

  function checked(props: Record<string, unknown>): KillInstanceSessionTaskCheckedInputs {
    const inputs = withKillTaskDefaults(killTaskUserInputs(props));
    const parsed = schemas().killInstanceSessionTaskInputsSchema.safeParse(inputs);
    if (!parsed.success) {
      throw new KillInstanceSessionTaskError(
        "InvalidInputs",
        `invalid inputs reached the provider: ${parsed.error.message}`,
      );
    }
    return parsed.data as KillInstanceSessionTaskCheckedInputs;
  }

  /**
   * Polls every task once. A task whose node is unknown (a cluster-wide PolarDB kill) is asked
   * about on each of `clusterNodeIds` until one knows it; nodes not yet matched go first.
   */
  async function pollOnce(
    das: AlicloudRpcClient,
    instanceId: string,
    refs: TaskRef[],
    clusterNodeIds: readonly string[] = [],
  ): Promise<KillTaskOutput[]> {
    const get = (ref: TaskRef) => getKillInstanceSessionTaskResult(das, { instanceId, ...ref });
    if (refs.every((r) => r.nodeId !== undefined) || clusterNodeIds.length === 0) {
      return Promise.all(refs.map(async (ref) => taskOutput(await get(ref), ref.nodeId)));
    }
    const taken = new Set(refs.map((r) => r.nodeId).filter((n): n is string => n !== undefined));
    const tasks: KillTaskOutput[] = [];
    for (const ref of refs) {
      if (ref.nodeId !== undefined) {
        tasks.push(taskOutput(await get(ref), ref.nodeId));
        continue;
      }
      const order = [
        ...clusterNodeIds.filter((n) => !taken.has(n)),
        ...clusterNodeIds.filter((n) => taken.has(n)),
      ];
      let found: KillTaskOutput | undefined;
      for (const nodeId of order) {
        try {
          found = taskOutput(await get({ taskId: ref.taskId, nodeId }), nodeId);
        } catch (err) {
          // DAS says "task not found" (InvalidParams) for the wrong node: try the next one.
          if (hasErrorCode(err, "InvalidParams")) continue;
          throw err;
        }
        taken.add(nodeId);
        break;
      }
      if (!found) {
        throw new KillInstanceSessionTaskError(
          "TaskNodeNotFound",
          `DAS knows task ${ref.taskId} on none of clusterNodeIds (${clusterNodeIds.join(", ")}): list every node of ${instanceId}.`,
        );
      }
      tasks.push(found);
    }
    return tasks;
  }

  /** Polls until every task is final or the timeout passes; the last answer either way. */
  async function observe(
    das: AlicloudRpcClient,
    inputs: KillInstanceSessionTaskCheckedInputs,
    refs: TaskRef[],
  ): Promise<{ tasks: KillTaskOutput[]; done: boolean }> {
    let current = refs;
    const outcome = await waitFor(
      async () => {
        const tasks = await pollOnce(das, inputs.instanceId, current, inputs.clusterNodeIds);
        // DAS tells which node each task runs on: poll with it from then on.
        current = tasks.map((t) => ({ taskId: t.taskId, nodeId: t.nodeId }));
        return tasks;
      },
      (tasks) => tasks.every(isFinal),
      { timeoutMs: inputs.timeoutSeconds * 1000, now: deps.now, sleep: deps.sleep },
    );
    return { tasks: outcome.value, done: outcome.done };
  }

  /**
   * Waits (when asked) and judges the tasks. Returns the outputs, or throws a
   * ResourceInitError that records them when the wait timed out or the kill failed.
   */
  async function settle(
    das: AlicloudRpcClient,
    inputs: KillInstanceSessionTaskCheckedInputs,
    id: string,
    refs: TaskRef[],
    base: Record<string, unknown>,
    provider: unknown,
  ): Promise<Record<string, unknown>> {
    const initError = (message: string, tasks: KillTaskOutput[], cause?: unknown) =>
      new ResourceInitError(
        message,
        id,
        defined({ ...base, ...computedOutputs(tasks), [PROVIDER_PROPERTY]: provider }),
        cause,
      );
    const what = `kill task${refs.length === 1 ? "" : "s"} ${refs.map((r) => r.taskId).join(", ")} on ${inputs.instanceId}`;
    if (!inputs.waitForCompletion) {
      // Not waiting: one look so the outputs say what DAS knows now; a failed look is not a failed kill.
      let tasks = refs.map((r) => pendingTask(r.taskId, r.nodeId));
      try {
        tasks = await pollOnce(das, inputs.instanceId, refs, inputs.clusterNodeIds);
      } catch (err) {
        notice(
          `KillInstanceSessionTask: could not read ${what} yet (${(err as Error).message}); pulumi refresh reads it later.`,
        );
      }
      return defined({ ...base, ...computedOutputs(tasks) });
    }
    let observed: { tasks: KillTaskOutput[]; done: boolean };
    try {
      observed = await observe(das, inputs, refs);
    } catch (err) {
      throw initError(
        `${what} started, but its result could not be read: ${(err as Error).message} ` +
          "Run pulumi up again to read it (the kill is not repeated).",
        refs.map((r) => pendingTask(r.taskId, r.nodeId)),
        err,
      );
    }
    if (!observed.done) {
      throw initError(
        `${what} still RUNNING after ${inputs.timeoutSeconds} s. Run pulumi up again to keep waiting ` +
          "(the kill is not repeated), or raise timeoutSeconds.",
        observed.tasks,
      );
    }
    const problems = killProblems(observed.tasks);
    if (inputs.failOnKillFailure && problems.length > 0) {
      throw initError(
        `The kill on ${inputs.instanceId} did not fully succeed: ${problems.join(". ")}. ` +
          "Fix the cause and run pulumi up again (the kill runs again), or set failOnKillFailure: false to accept it.",
        observed.tasks,
      );
    }
    return defined({ ...base, ...computedOutputs(observed.tasks) });
  }

  return {
    configure(resolved) {
      settings = resolved;
    },

    async check(_olds, news) {
      const { inputs } = checkInputs(news);
      const { killInstanceSessionTaskInputsSchema, killInstanceSessionTaskRules } = schemas();
      const { failures } = validate(
        killInstanceSessionTaskInputsSchema,
        inputs,
        killInstanceSessionTaskRules,
      );
      return { inputs: withKillTaskDefaults(inputs), failures: failures as CheckFailure[] };
    },

    async diff(id, olds, news) {
      let replaces = replacingChanges(olds, news);
      const updates = inPlaceChanges(olds, news);
      const failOnKillFailure = news.failOnKillFailure !== false;
      // A finished kill that failed runs again on the next deployment, and preview shows it.
      if (replaces.length === 0 && previousRunFailed(olds, failOnKillFailure)) replaces = ["state"];
      if (replaces.length > 0) {
        notice(
          `KillInstanceSessionTask ${id} on ${String(news.instanceId ?? olds.instanceId)}: replacing it runs the kill ` +
            `again (changed: ${replaces.join(", ")}). Removing the old task only drops its record: sessions it killed stay killed.`,
        );
      }
      return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(props) {
      const inputs = checked(props);
      const das = client();
      const { taskIds } = await createKillInstanceSessionTask(das, {
        instanceId: inputs.instanceId,
        nodeId: inputs.nodeId,
        dbUser: inputs.dbUser,
        dbUserPassword: inputs.dbUserPassword,
        ignoredUsers: inputs.ignoredUsers,
        killAllSessions: inputs.killAllSessions,
        sessionIds: inputs.sessionIds,
      });
      const id = taskIds.join(",");
      const refs = taskIds.map((taskId) => ({ taskId, nodeId: inputs.nodeId }));
      const outs = await settle(das, inputs, id, refs, { ...inputs }, props[PROVIDER_PROPERTY]);
      return { id, outs };
    },

    async read(id, props) {
      const state = props ?? {};
      const instanceId = typeof state.instanceId === "string" ? state.instanceId : undefined;
      const refs = recordedTasks(state, id);
      if (!instanceId || refs.length === 0) return { id, props: state };
      try {
        const nodes = Array.isArray(state.clusterNodeIds) ? (state.clusterNodeIds as string[]) : [];
        const tasks = await pollOnce(client(), instanceId, refs, nodes);
        return { id, props: defined({ ...state, ...computedOutputs(tasks) }) };
      } catch (err) {
        // DAS keeps task records for a limited time. A kill is history, not a live object:
        // keep the last known result rather than drop the resource, which would run the kill
        // again on the next deployment.
        if (hasErrorCode(err, "InvalidParams", "InvalidTaskId", "TaskNotFound", "InvalidTaskId.NotFound")) {
          return { id, props: state };
        }
        throw err;
      }
    },

    async update(id, olds, news) {
      // Only how-to-run inputs changed, or an earlier create timed out or failed to read:
      // look at the recorded tasks again (waiting if asked) and judge them under the new
      // settings. Nothing is killed here; a failed kill is replaced instead (see diff).
      const inputs = checked(news);
      const refs = recordedTasks(olds, id);
      const base = { ...olds, ...inputs };
      for (const key of schemas().KILL_INSTANCE_SESSION_TASK_INPUT_KEYS)
        if (!(key in inputs)) delete base[key];
      const outs = await settle(client(), inputs, id, refs, base, news[PROVIDER_PROPERTY]);
      return { outs };
    },

    async delete(id, props) {
      // DAS has no API to delete or undo a kill task: only the stack's record goes away.
      notice(
        `KillInstanceSessionTask ${id} on ${String(props.instanceId)}: removed from the stack only. ` +
          "Killed sessions cannot come back and DAS keeps the task record; nothing was called.",
      );
    },
  };
}

/** The dynamic provider of a KillInstanceSessionTask (see {@link killInstanceSessionTaskLifecycle}). */
export function createKillInstanceSessionTaskProvider(deps: KillInstanceSessionTaskProviderDeps = {}) {
  return dynamicProvider(killInstanceSessionTaskLifecycle(deps), deps.env);
}

/** The provider instance `__provider` loads (`killInstanceSessionTaskProvider` by name). */
export const killInstanceSessionTaskProvider = createKillInstanceSessionTaskProvider();

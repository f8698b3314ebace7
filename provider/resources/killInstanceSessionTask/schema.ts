/**
 * `alicloud.KillInstanceSessionTask`'s inputs and outputs: the zod schemas (schema.json and the
 * docs are generated from them and their doc comments), which inputs replace and which update in
 * place, and the cross-field rules `check` applies. Loaded on first use by the lifecycle, never
 * by the SDK.
 */
import { z } from "zod";
import { isAbsent, isKnown, kindOf, type Fail } from "../../validation";

/** Id shapes: RDS MySQL instance, PolarDB MySQL cluster, PolarDB node. */
export const DATABASE_ID_PATTERNS = {
  rdsMysqlInstance: /^rm-[a-z0-9]+$/,
  polardbCluster: /^pc-[a-z0-9]+$/,
  polardbNode: /^pi-[a-z0-9]+$/,
} as const;

/** Defaults `check` fills in. */
export const KILL_TASK_DEFAULTS = {
  killAllSessions: false,
  waitForCompletion: true,
  timeoutSeconds: 300,
  failOnKillFailure: true,
} as const;

/** Bounds of `timeoutSeconds`. */
export const KILL_TASK_LIMITS = { timeoutSecondsMin: 1, timeoutSecondsMax: 3600 } as const;

const notEmpty = (field: string) => ({ error: `${field} must not be empty` });
/**
 * "required" when the field is missing, "must be a string" when it has another type. Messages
 * name the kind of a wrong value, never the value: the engine shows it (or `[secret]`) itself.
 */
const requiredString = (field: string, what: string) => ({
  error: (iss: { input?: unknown }) =>
    iss.input === undefined
      ? `${field} is required: ${what}`
      : `${field} must be a string, not ${kindOf(iss.input)}`,
});

/** The inputs of a KillInstanceSessionTask, as users write them (see the field docs). */
export const killInstanceSessionTaskInputsSchema = z
  .object({
    /**
     * The database (`InstanceId`): an RDS MySQL instance (`rm-...`) or a PolarDB MySQL cluster
     * (`pc-...`). Any region: DAS is called in cn-shanghai regardless.
     */
    instanceId: z
      .string(requiredString("instanceId", "the rm-... or pc-... id of the database"))
      .regex(/^(rm|pc)-[a-z0-9]+$/, {
        error:
          "instanceId must be an RDS MySQL instance id (rm-...) or a PolarDB MySQL cluster id (pc-...), " +
          "lowercase letters and digits after the prefix",
      }),
    /**
     * The PolarDB node to kill sessions on (`NodeId`, `pi-...`). Required for a PolarDB cluster
     * unless `killAllSessions` is true, in which case leaving it out kills on every node (one
     * task per node). Not allowed for RDS MySQL.
     */
    nodeId: z
      .string({ error: "nodeId must be a string" })
      .regex(DATABASE_ID_PATTERNS.polardbNode, {
        error:
          "nodeId must be a PolarDB MySQL node id (pi-...), lowercase letters and digits after the prefix",
      })
      .optional(),
    /**
     * PolarDB only, for a cluster-wide kill (`killAllSessions` without `nodeId`): the cluster's
     * node ids (`pi-...`). DAS needs a task's node to read its result but its answer does not say
     * which node each task ran on; the provider finds out by asking these nodes. Required to wait
     * for a cluster-wide kill. Not sent to CreateKillInstanceSessionTask.
     */
    clusterNodeIds: z
      .array(
        z.string({ error: "must be a PolarDB node id (pi-...)" }).regex(DATABASE_ID_PATTERNS.polardbNode, {
          error: "must be a PolarDB MySQL node id (pi-...), lowercase letters and digits after the prefix",
        }),
        { error: "clusterNodeIds must be a list of PolarDB node ids (pi-...)" },
      )
      .min(1, { error: "clusterNodeIds must list at least one node: leave it unset instead" })
      .optional(),
    /** The database account DAS logs in with (`DbUser`); it needs the privilege to kill other accounts' sessions. */
    dbUser: z
      .string(requiredString("dbUser", "the database account DAS kills sessions as"))
      .min(1, notEmpty("dbUser")),
    /** The password of `dbUser` (`DbUserPassword`). Always stored as a secret. */
    dbUserPassword: z
      .string(requiredString("dbUserPassword", "the password of dbUser"))
      .min(1, notEmpty("dbUserPassword")),
    /**
     * Kill every session (`KillAllSessions`), sparing `ignoredUsers`, Alibaba Cloud's internal
     * O&M accounts and Binlog Dump threads; `sessionIds` is then ignored. Default false.
     */
    killAllSessions: z.boolean({ error: "killAllSessions must be true or false" }).optional(),
    /**
     * The sessions to kill (`SessionIds`): MySQL connection ids (`SHOW PROCESSLIST` `Id`), as
     * numbers. Required unless `killAllSessions` is true. Sent as a JSON array.
     */
    sessionIds: z
      .array(
        z
          .number({
            error: (iss) =>
              `must be a number (a MySQL connection id such as 10805639), not ${kindOf(iss.input)}`,
          })
          .int({ error: "must be a whole number (a MySQL connection id)" })
          .min(1, {
            error: "must be at least 1 (MySQL connection ids start at 1)",
          }),
        { error: "sessionIds must be a list of session ids (numbers)" },
      )
      .optional(),
    /** Accounts whose sessions are spared (`IgnoredUsers`). Sent as a JSON array. */
    ignoredUsers: z
      .array(
        z.string({ error: "must be an account name (a string)" }).min(1, { error: "must not be empty" }),
        {
          error: "ignoredUsers must be a list of account names",
        },
      )
      .optional(),
    /**
     * Any values; when one of them changes the kill runs again (the resource is replaced), as
     * with `@pulumi/command`. Typically a release version or the id of a resource being migrated.
     */
    triggers: z.array(z.unknown(), { error: "triggers must be a list" }).optional(),
    /** Wait for every task to finish before the deployment goes on. Default true. */
    waitForCompletion: z.boolean({ error: "waitForCompletion must be true or false" }).optional(),
    /**
     * How long to wait for the tasks to finish, in seconds (1..3600). Default 300. On timeout the
     * deployment fails and the resource is kept; the next `pulumi up` waits again.
     */
    timeoutSeconds: z
      .number({ error: "timeoutSeconds must be a number of seconds" })
      .int({ error: "timeoutSeconds must be a whole number of seconds" })
      .min(KILL_TASK_LIMITS.timeoutSecondsMin, {
        error: `timeoutSeconds must be at least ${KILL_TASK_LIMITS.timeoutSecondsMin}`,
      })
      .max(KILL_TASK_LIMITS.timeoutSecondsMax, {
        error: `timeoutSeconds must be at most ${KILL_TASK_LIMITS.timeoutSecondsMax} (one hour)`,
      })
      .optional(),
    /**
     * Fail the deployment when a task ends in FAILURE or ERROR or a session that should have
     * died did not (wrong password, missing privilege, timeout). Only when waiting. Default true.
     */
    failOnKillFailure: z.boolean({ error: "failOnKillFailure must be true or false" }).optional(),
  })
  .strict();

/** The inputs of a KillInstanceSessionTask. */
export type KillInstanceSessionTaskInputs = z.input<typeof killInstanceSessionTaskInputsSchema>;

type ParsedInputs = z.output<typeof killInstanceSessionTaskInputsSchema>;

/** Inputs after `check`: the defaults filled in. */
export type KillInstanceSessionTaskCheckedInputs = ParsedInputs &
  Required<Pick<ParsedInputs, keyof typeof KILL_TASK_DEFAULTS>>;

/** One session a task looked at (a row of GetKillInstanceSessionTaskResult's `Result`). */
export const killSessionRowSchema = z.object({
  /** The session (connection) id. */
  id: z.number().int(),
  /** The database account of the session. */
  user: z.string().optional(),
  /** The client address and port of the session. */
  host: z.string().optional(),
  /** The database the session was using. */
  db: z.string().optional(),
  /** What the session was doing (Sleep, Query, Binlog Dump, ...). */
  command: z.string().optional(),
  /** Seconds the session had been in its state. */
  time: z.number().int().optional(),
  /** The session's state. */
  state: z.string().optional(),
  /** Whether the session was in an active statement or transaction. */
  active: z.boolean().optional(),
  /**
   * Only on a row that stands for the whole task (id 0, e.g. DAS could not log in at all): what
   * DAS reported, such as the database's access-denied message.
   */
  message: z.string().optional(),
  /**
   * Why it was or was not killed: SESSION_KILLED, SESSION_EXPIRED, SESSION_IGNORED_USER,
   * SESSION_INTERNAL_USER_OR_COMMAND, SESSION_ACCOUNT_ERROR, SESSION_NO_PERMISSION,
   * SESSION_KILL_TASK_TIMEOUT or SESSION_OTHER_ERROR.
   */
  reason: z.string().optional(),
});

/** One DAS task (one per PolarDB node when a whole cluster is drained). */
export const killTaskSchema = z.object({
  /** The DAS task id. */
  taskId: z.string(),
  /** The PolarDB node the task ran on, when DAS says. */
  nodeId: z.string().optional(),
  /** RUNNING, SUCCESS, FAILURE or ERROR. */
  state: z.string(),
  /** Sessions killed. */
  killSuccessCount: z.number().int(),
  /** Sessions that could not be killed. */
  killFailCount: z.number().int(),
  /** Sessions spared: `ignoredUsers`, internal O&M accounts and Binlog Dump threads. */
  ignoredSessionCount: z.number().int(),
  /** The sessions the task set out to kill (with killAllSessions, every session it saw). */
  sessionIds: z.array(z.number().int()),
  /** The sessions it killed. */
  killedSessionIds: z.array(z.number().int()),
  /** One row per session, with the reason. The SQL text is left out: it may hold secrets. */
  sessions: z.array(killSessionRowSchema),
});

/** Outputs computed by the provider (in addition to the inputs, which are outputs too). */
export const killInstanceSessionTaskComputedSchema = z.object({
  /** The DAS task ids: one, or one per node for a PolarDB cluster drained without `nodeId`. */
  taskIds: z.array(z.string()),
  /** Overall state: RUNNING while any task runs, else ERROR or FAILURE if any task ended so, else SUCCESS. */
  state: z.string(),
  /** Sessions killed, over all tasks. */
  killSuccessCount: z.number().int(),
  /** Sessions that could not be killed, over all tasks. */
  killFailCount: z.number().int(),
  /** Sessions spared, over all tasks. */
  ignoredSessionCount: z.number().int(),
  /** Every session killed, over all tasks. */
  killedSessionIds: z.array(z.number().int()),
  /** Each task with its counts and per-session rows. */
  tasks: z.array(killTaskSchema),
});

/** Outputs computed by the provider. */
export type KillInstanceSessionTaskComputed = z.infer<typeof killInstanceSessionTaskComputedSchema>;

/** One task's outputs. */
export type KillTaskOutput = z.infer<typeof killTaskSchema>;

/** Input names. */
export const KILL_INSTANCE_SESSION_TASK_INPUT_KEYS = Object.keys(
  killInstanceSessionTaskInputsSchema.shape,
) as Array<keyof KillInstanceSessionTaskInputs>;

/** Inputs that say how the kill is run or judged: changing them never kills anything. */
export const IN_PLACE_KEYS: readonly string[] = [
  "clusterNodeIds",
  "dbUser",
  "dbUserPassword",
  "waitForCompletion",
  "timeoutSeconds",
  "failOnKillFailure",
];

/** Inputs that say what the kill does: changing them replaces the resource, i.e. kills again. */
export const REPLACE_KEYS: readonly string[] = KILL_INSTANCE_SESSION_TASK_INPUT_KEYS.filter(
  (k) => !IN_PLACE_KEYS.includes(k),
);

// ---------------------------------------------------------------------------------------
// check: validation, warnings and defaults
// ---------------------------------------------------------------------------------------

/** Cross-field rules of CreateKillInstanceSessionTask; unknown values never fail a rule. */
export function killInstanceSessionTaskRules(v: Record<string, unknown>, fail: Fail): void {
  const { instanceId, nodeId, killAllSessions, sessionIds } = v;
  const rds = typeof instanceId === "string" && DATABASE_ID_PATTERNS.rdsMysqlInstance.test(instanceId);
  const polardb = typeof instanceId === "string" && DATABASE_ID_PATTERNS.polardbCluster.test(instanceId);
  if (rds && isKnown(nodeId)) {
    fail(
      "nodeId",
      "nodeId applies only to PolarDB MySQL clusters (pc-...): an RDS MySQL instance (rm-...) has no nodes, remove nodeId",
    );
  }
  const killAll = killAllSessions === true;
  const killAllKnown = isAbsent(killAllSessions) || typeof killAllSessions === "boolean";
  if (polardb && isAbsent(nodeId) && killAllKnown && !killAll) {
    fail(
      "nodeId",
      "nodeId is required for a PolarDB MySQL cluster (pc-...) unless killAllSessions is true: " +
        "session ids belong to one node (pi-...)",
    );
  }
  const clusterNodeIds = v.clusterNodeIds;
  if (isKnown(clusterNodeIds) && (rds || isKnown(nodeId))) {
    fail(
      "clusterNodeIds",
      "clusterNodeIds is only for a cluster-wide kill on a PolarDB MySQL cluster (pc-... without nodeId): remove it",
    );
  }
  const waits = isAbsent(v.waitForCompletion) || v.waitForCompletion === true;
  if (polardb && isAbsent(nodeId) && killAll && waits && isAbsent(clusterNodeIds)) {
    fail(
      "clusterNodeIds",
      "clusterNodeIds is required to wait for a cluster-wide kill on a PolarDB MySQL cluster (pc-...): " +
        "DAS needs each task's node (pi-...) to read its result and does not say which node a task ran on. " +
        "List the cluster's node ids, set nodeId, or set waitForCompletion: false",
    );
  }
  const noSessions = isAbsent(sessionIds) || (Array.isArray(sessionIds) && sessionIds.length === 0);
  if (killAllKnown && !killAll && noSessions) {
    fail(
      "sessionIds",
      "sessionIds is required when killAllSessions is not true: list the session ids to kill, or set killAllSessions: true",
    );
  }
}

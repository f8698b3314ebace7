/**
 * `alicloud.KillInstanceSessionTask`: kill database sessions through Alibaba Cloud DAS.
 * See docs/alicloud/kill-instance-session-task.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type { KillInstanceSessionTaskInputs, KillTaskOutput } from "../schemaTypes";
import { DynamicResource, type DynamicResourceKind } from "../internal/dynamicResource";
import { killTaskWarnings } from "../internal/killTaskWarnings";
import type { ArgsOf } from "../internal/types";

/** The arguments of a {@link KillInstanceSessionTask}; every field is documented on the provider's schema. */
export type KillInstanceSessionTaskArgs = ArgsOf<KillInstanceSessionTaskInputs>;

/** One DAS task of a {@link KillInstanceSessionTask}, with its counts and per-session rows. */
export type KillInstanceSessionTaskResult = KillTaskOutput;

/** One session a task looked at, with the reason it was or was not killed. */
export type KillInstanceSessionTaskSession = KillTaskOutput["sessions"][number];

const KIND: DynamicResourceKind = { row: RESOURCES.killInstanceSessionTask };

/**
 * Kills sessions on an RDS MySQL instance or a PolarDB MySQL cluster with a DAS task
 * (CreateKillInstanceSessionTask), once per deployment of the resource: before a migration, a
 * failover or a schema change. Changing `triggers` (or what to kill) runs it again; destroy
 * only removes the record, since killed sessions cannot come back. By default the deployment
 * waits for the task and fails when a session that should have died did not.
 * `dbUserPassword` is always a secret.
 */
export class KillInstanceSessionTask extends DynamicResource {
  /** The DAS task ids: one, or one per node for a PolarDB cluster drained without `nodeId`. */
  declare public readonly taskIds: pulumi.Output<string[]>;
  /** RUNNING while any task runs, else ERROR or FAILURE if any task ended so, else SUCCESS. */
  declare public readonly state: pulumi.Output<string>;
  /** Sessions killed, over all tasks. */
  declare public readonly killSuccessCount: pulumi.Output<number>;
  /** Sessions that could not be killed, over all tasks. */
  declare public readonly killFailCount: pulumi.Output<number>;
  /** Sessions spared (ignoredUsers, internal O&M accounts, Binlog Dump threads), over all tasks. */
  declare public readonly ignoredSessionCount: pulumi.Output<number>;
  /** Every session killed, over all tasks. */
  declare public readonly killedSessionIds: pulumi.Output<number[]>;
  /** Each task with its state, counts, killed ids and per-session rows with reasons. */
  declare public readonly tasks: pulumi.Output<KillInstanceSessionTaskResult[]>;
  /** The database: `rm-...` (RDS MySQL) or `pc-...` (PolarDB MySQL cluster). */
  declare public readonly instanceId: pulumi.Output<string>;
  /** The PolarDB node, if any. */
  declare public readonly nodeId: pulumi.Output<string | undefined>;
  /** The PolarDB cluster's node ids, for a cluster-wide kill (see the input). */
  declare public readonly clusterNodeIds: pulumi.Output<string[] | undefined>;
  /** The account DAS killed sessions as. */
  declare public readonly dbUser: pulumi.Output<string>;
  /** The password of `dbUser`. Secret. */
  declare public readonly dbUserPassword: pulumi.Output<string>;
  /** Whether every session (but the spared ones) was to be killed. */
  declare public readonly killAllSessions: pulumi.Output<boolean>;
  /** The sessions to kill, when not killing all. */
  declare public readonly sessionIds: pulumi.Output<number[] | undefined>;
  /** Accounts whose sessions are spared. */
  declare public readonly ignoredUsers: pulumi.Output<string[] | undefined>;
  /** Values whose change runs the kill again. */
  declare public readonly triggers: pulumi.Output<unknown[] | undefined>;
  /** Whether the deployment waits for the tasks. */
  declare public readonly waitForCompletion: pulumi.Output<boolean>;
  /** How long it waits, in seconds. */
  declare public readonly timeoutSeconds: pulumi.Output<number>;
  /** Whether a failed kill fails the deployment. */
  declare public readonly failOnKillFailure: pulumi.Output<boolean>;

  /**
   * @param name The unique name of the resource.
   * @param args What to kill and how.
   * @param opts Resource options; `dbUserPassword` is always added to `additionalSecretOutputs`.
   */
  constructor(name: string, args: KillInstanceSessionTaskArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      KIND,
      name,
      {
        ...args,
        // Secret in state even when the program passes a plain string: the engine keeps an
        // output secret only when the input of the same name was.
        dbUserPassword: pulumi.secret(args.dbUserPassword),
      },
      opts,
    );
    // Valid-but-surprising inputs get a warning on the resource (check can only fail).
    pulumi.all([args.killAllSessions, args.sessionIds]).apply(([killAllSessions, sessionIds]) => {
      for (const warning of killTaskWarnings({ killAllSessions, sessionIds })) {
        void pulumi.log.warn(warning, this);
      }
    });
  }
}

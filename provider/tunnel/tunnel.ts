/**
 * A tunnel: a local port that forwards through a session until closed. Opening first ends what a
 * crashed run of the same tunnel left behind: from the journal, when this machine has it, and
 * then, beside the tunnel's first use, from the cloud's own records (see `endLeftovers`). Every
 * start is journaled before its call, completed with the session's id as soon as the cloud
 * answers, and its session is ended when a later step fails or the tunnel closes. The last line a
 * tunnel logs, at its close, counts what it lived through.
 */
import type { ProviderSettings } from "../config";
import { ssmSessionLifecycle } from "../resources/ssmSession/lifecycle";
import { terminalSessionLifecycle } from "../resources/terminalSession/lifecycle";
import type { TunnelSpec } from "./schema";
import { TunnelJournal, type JournalRecord } from "./journal";
import {
  configured,
  endRecorded,
  type LogSeverity,
  type SessionLedger,
  type StartedSession,
  type TrackedStart,
  type TunnelEvent,
  type TunnelSessions,
} from "./sessions";
import { logLine } from "./logLine";
import type * as EcsTunnel from "./ecsTunnel";
import type * as SsmTunnel from "./ssmTunnel";

export interface Tunnel {
  /** The local port. */
  port: number;
  /** Sessions started so far (one, plus one per renewal or replacement). */
  readonly sessions: readonly StartedSession[];
  /** Stops forwarding and ends every session; resolves when all are ended. */
  close(): Promise<void>;
}

export interface OpenTunnelOptions {
  /** The tunnel's provider URN: names it in the journal and the sessions' reason. */
  urn: string;
  journal?: TunnelJournal;
  /** Told of leftovers ended, of failed sessions and of failures to end them (they stay journaled). */
  log?: (message: string, severity?: LogSeverity) => void;
  /** The clock that ages Alibaba Cloud session URLs (tests). */
  now?: () => number;
  /**
   * Resolve only once the first session is up, rejecting (its start undone) when it cannot start.
   * Default true; false resolves once the port listens, and connections wait for the session.
   */
  waitForSession?: boolean;
}

/** Each cloud's tunnel code, loaded for a tunnel of that cloud only. */
const tunnelCode = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  aws: () => require("./ssmTunnel") as typeof SsmTunnel,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  alicloud: () => require("./ecsTunnel") as typeof EcsTunnel,
};

/** The sessions of a tunnel, checked and ended through the session resources' lifecycles. */
function tunnelSessions(
  spec: TunnelSpec,
  settings: ProviderSettings,
  urn: string,
  now: () => number = Date.now,
): TunnelSessions {
  return spec.cloud === "aws"
    ? tunnelCode.aws().ssmTunnel(spec, settings, configured(ssmSessionLifecycle(), settings), urn)
    : tunnelCode.alicloud().ecsTunnel(spec, settings, configured(terminalSessionLifecycle(), settings), now);
}

/** `3 resumes, 1 replacement, 0 renewals`. */
function counted(counts: Record<TunnelEvent, number>): string {
  const plural: Record<TunnelEvent, string> = {
    resume: "resumes",
    replacement: "replacements",
    renewal: "renewals",
  };
  return (Object.keys(plural) as TunnelEvent[])
    .map((k) => `${counts[k]} ${counts[k] === 1 ? k : plural[k]}`)
    .join(", ");
}

/** What a journal record stands for, in a log line. */
const described = (record: JournalRecord) =>
  record.sessionId !== undefined ? `session ${record.sessionId}` : `the start ${record.marker}`;

export async function openTunnel(
  spec: TunnelSpec,
  settings: ProviderSettings,
  options: OpenTunnelOptions,
): Promise<Tunnel> {
  const journal = options.journal ?? new TunnelJournal();
  const log = options.log ?? (() => {});
  const sessions = tunnelSessions(spec, settings, options.urn, options.now);

  for (const orphan of journal.orphans(options.urn)) {
    try {
      const ended = await endRecorded(orphan, settings);
      journal.remove(orphan);
      log(
        orphan.sessionId !== undefined
          ? `ended session ${orphan.sessionId}, left open by an earlier run that did not finish`
          : ended.length > 0
            ? `ended session ${ended.join(", ")}, started by an earlier run that stopped before it knew the id`
            : "an earlier run stopped in the middle of a start that made no session: nothing to end",
      );
    } catch (err) {
      log(`could not end ${described(orphan)} left by an earlier run: ${logLine(err)}`, "warning");
    }
  }

  const started: StartedSession[] = [];
  const pending = new Set<TrackedStart>();
  const counts: Record<TunnelEvent, number> = { resume: 0, replacement: 0, renewal: 0 };
  const openedAt = Date.now();
  const ledger: SessionLedger = {
    log,
    event(kind, message, severity) {
      counts[kind]++;
      log(`${message} (so far: ${counted(counts)})`, severity);
    },
    intend(intent) {
      let record = journal.begin(options.urn, intent);
      const start: TrackedStart = {
        get sessionId() {
          return record.sessionId;
        },
        started(sessionId) {
          // Known here first: should the journal write fail, the session is still ended by its id.
          const intent = record;
          record = { ...record, sessionId };
          started.push({ sessionId, region: record.region });
          journal.complete(intent, sessionId);
        },
        async end() {
          await endRecorded(record, settings);
          start.forget();
        },
        forget() {
          journal.remove(record);
          pending.delete(start);
        },
      };
      pending.add(start);
      return start;
    },
  };
  const endAll = async () => {
    const failures: string[] = [];
    await Promise.all(
      [...pending].map((s) =>
        s.end().catch((err: unknown) => failures.push(`${s.sessionId ?? "a start"}: ${logLine(err)}`)),
      ),
    );
    if (failures.length > 0)
      throw new Error(`the tunnel could not end ${failures.length} session(s): ${failures.join("; ")}`);
  };

  let forwarder;
  try {
    forwarder = await sessions.open(ledger);
    if (options.waitForSession !== false) await forwarder.ready;
  } catch (err) {
    await forwarder?.stop();
    await endAll().catch((e: unknown) => log((e as Error).message, "warning"));
    throw err;
  }
  // Off the first connection's path; the close waits for it, so nothing it finds outlives the command.
  const ours = (sessionId: string) => started.some((s) => s.sessionId === sessionId);
  const sweeping = forwarder.ready
    .then(() => sessions.endLeftovers(ledger, ours))
    .catch((err: unknown) => {
      // A first session that did not start said so already.
      if (started.length > 0)
        log(`could not look for sessions an earlier run left: ${logLine(err)}`, "warning");
    });
  let closing: Promise<void> | undefined;
  return {
    port: spec.inputs.localPort,
    sessions: started,
    close: () =>
      (closing ??= (async () => {
        await forwarder.stop();
        await sweeping;
        try {
          await endAll();
        } finally {
          const seconds = Math.round((Date.now() - openedAt) / 1000);
          const sessions = `${started.length} session${started.length === 1 ? "" : "s"}`;
          log(`closed after ${seconds} s: ${sessions}, ${counted(counts)}`);
        }
      })()),
  };
}

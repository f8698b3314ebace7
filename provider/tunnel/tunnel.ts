/**
 * A tunnel: a local port that forwards through a session until closed. Opening first ends what a
 * crashed run of the same tunnel left behind (the journal); every start is journaled before its
 * call, completed with the session's id as soon as the cloud answers, and its session is ended
 * when a later step fails or the tunnel closes.
 */
import type { ProviderSettings } from "../config";
import type { TunnelSpec } from "./schema";
import { TunnelJournal, type JournalRecord } from "./journal";
import {
  endRecorded,
  logLine,
  tunnelSessions,
  type SessionLedger,
  type StartedSession,
  type TrackedStart,
} from "./sessions";

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
  log?: (message: string) => void;
  /** The clock that ages Alibaba Cloud session URLs (tests). */
  now?: () => number;
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
      log(`could not end ${described(orphan)} left by an earlier run: ${logLine(err)}`);
    }
  }

  const started: StartedSession[] = [];
  const pending = new Set<TrackedStart>();
  const ledger: SessionLedger = {
    log,
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
  } catch (err) {
    await endAll().catch((e: unknown) => log((e as Error).message));
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    port: spec.inputs.localPort,
    sessions: started,
    close: () =>
      (closing ??= (async () => {
        await forwarder.stop();
        await endAll();
      })()),
  };
}

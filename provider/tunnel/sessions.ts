/**
 * What the sessions behind a tunnel share, whichever cloud's: the ledger every start goes
 * through, the `Reason` that names an SSM tunnel's sessions, and the ending of a session a
 * journal record points to. A session is validated by the `aws.SsmSession` /
 * `alicloud.TerminalSession` lifecycle's check and ended by its delete (an ended or unknown
 * session counts as done); it is started by the cloud call itself, because the lifecycle's
 * create also reads the session back, a round trip a tunnel does not need.
 *
 * Every start is journaled before its call (see journal.ts) and completed with the session's id
 * as soon as the cloud gives it; when any later step fails, that session is ended before the
 * error goes on.
 */
import { alicloudClientFor, startTerminalSession, WEBSOCKET_URL_TTL_MS } from "../clients/alicloud";
import { listSsmSessions, ssmClientFor } from "../clients/aws";
import type { ProviderSettings } from "../config";
import { hasErrorCode } from "../errors/base";
import type { Lifecycle } from "../lifecycle";
import { ssmSessionLifecycle } from "../resources/ssmSession/lifecycle";
import { terminalSessionLifecycle } from "../resources/terminalSession/lifecycle";
import { classify } from "../retry";
import type { AlicloudIntent, AwsIntent, JournalRecord, SessionIntent } from "./journal";
import { logLine } from "./logLine";

/** A session a tunnel started. */
export interface StartedSession {
  sessionId: string;
  region: string;
}

/** One start, journaled from before its call until its session is ended. */
export interface TrackedStart {
  /** The session's id, once the cloud gave it. */
  readonly sessionId?: string;
  /** The cloud answered: the id completes the journal record. */
  started(sessionId: string): void;
  /** Ends the session (found from the record while its id is unknown), then drops the record. */
  end(): Promise<void>;
  /** Drops the record: the start was refused, so no session exists. */
  forget(): void;
}

/**
 * What happened to a tunnel's sessions while it was open: a dropped connection resumed (SSM), a
 * session that ended replaced by a fresh one, a session started afresh as its URL aged (ECS).
 */
export type TunnelEvent = "resume" | "replacement" | "renewal";

/** How much a tunnel's line matters: a warning when something failed or a session was lost. */
export type LogSeverity = "info" | "warning";

/** What a tunnel's sessions report to. */
export interface SessionLedger {
  /** Journals what finds a session, before the call that may create it. */
  intend(intent: SessionIntent): TrackedStart;
  /** One line for the engine, without secrets. */
  log(message: string, severity?: LogSeverity): void;
  /**
   * Counts an event and logs its one line with the counts so far: the tunnel's last line, logged
   * as the engine stops the plugin, may never be shown, so every event line carries them too.
   */
  event(kind: TunnelEvent, message: string, severity?: LogSeverity): void;
}

/** The local listener of a tunnel. */
export interface Forwarder {
  /**
   * The first session started: connections made before wait for it. Rejects with why it could
   * not start (each later connection tries again).
   */
  ready: Promise<void>;
  /** Stops listening and closes the connections (the sessions themselves are ended by the ledger). */
  stop(): Promise<void>;
}

/** What a tunnel needs of a cloud. */
export interface TunnelSessions {
  /**
   * Listens on the tunnel's local port and starts a session, resolving once it listens (the
   * session may still be starting: see `ready`); every start goes through `ledger`.
   */
  open(ledger: SessionLedger): Promise<Forwarder>;
  /**
   * After `open`: ends the sessions an earlier run of this tunnel left, found from the cloud's
   * own records (the journal may be on a machine that is gone), except those `ours` claims.
   */
  endLeftovers(ledger: SessionLedger, ours: (sessionId: string) => boolean): Promise<void>;
}

/**
 * The `Reason` an SSM tunnel's sessions carry, `pulumi-sessions tunnel <project>/<stack>/<name>`,
 * so they are recognisable in the session history; with a start's marker appended, it is how a
 * later run finds a session whose id never reached the journal.
 */
export function tunnelReason(urn: string, marker?: string): string {
  const [head = "", project = "", , name = ""] = urn.split("::");
  const stack = head.split(":")[2] ?? "";
  const tail = marker === undefined ? "" : ` #${marker}`;
  return `pulumi-sessions tunnel ${project}/${stack}/${name}`.slice(0, 256 - tail.length) + tail;
}

/** How long a start's marker is (hex digits). */
export const MARKER_LENGTH = 12;

/** What every marked `Reason` of this tunnel starts with (`... #`), to find its sessions by. */
export function tunnelReasonPrefix(urn: string): string {
  return tunnelReason(urn, "0".repeat(MARKER_LENGTH)).slice(0, -MARKER_LENGTH);
}

/** A lifecycle's check, throwing its failures as one message naming each field. */
export async function checked(lifecycle: Lifecycle, inputs: Record<string, unknown>, field: string) {
  const result = await lifecycle.check({}, inputs);
  const failures = result.failures ?? [];
  if (failures.length > 0) throw new Error(`${field}: ${failures.map((f) => f.reason).join("; ")}`);
  return result.inputs as Record<string, unknown>;
}

/**
 * True when the start certainly made no session: the cloud answered it with a 4xx, or nothing
 * listened at the endpoint. Anything else (a lost answer, a timeout, an error of no known kind)
 * may have left a session behind.
 */
function refused(err: unknown): boolean {
  const failure = classify(err);
  const status = (err as { httpStatus?: unknown } | null)?.httpStatus;
  return failure === "unreachable" || (failure === "client" && typeof status === "number" && status < 500);
}

/**
 * Runs the steps of one start under a journal record: whatever step fails, the session (if the
 * start made one) is ended before the error goes on.
 */
export async function journaled<T>(
  ledger: SessionLedger,
  intent: SessionIntent,
  steps: (start: TrackedStart) => Promise<T>,
): Promise<T> {
  const start = ledger.intend(intent);
  try {
    return await steps(start);
  } catch (err) {
    if (start.sessionId === undefined && refused(err)) {
      start.forget();
      throw err;
    }
    await start.end().catch((e: unknown) => {
      // The record stays: the tunnel's close, or the next run, ends it.
      ledger.log(`could not end the session of a failed start: ${logLine(e)}`, "warning");
    });
    throw err;
  }
}

export function configured(lifecycle: Lifecycle, settings: ProviderSettings): Lifecycle {
  lifecycle.configure(settings);
  return lifecycle;
}

/** Ends a session through its resource's delete: an ended or unknown one counts as done. */
export async function endById(lifecycle: Lifecycle, sessionId: string, region: string): Promise<string[]> {
  await lifecycle.delete(sessionId, { region });
  return [sessionId];
}

/** StartSession has no client token: the marker in the `Reason` is what names the session. */
async function endAwsIntent(
  settings: ProviderSettings,
  region: string,
  intent: AwsIntent,
): Promise<string[]> {
  const lifecycle = configured(ssmSessionLifecycle(), settings);
  const client = ssmClientFor(settings.aws, region);
  const ended: string[] = [];
  for await (const s of listSsmSessions(client, "Active", [{ key: "Target", value: intent.target }])) {
    if (s.reason === intent.reason) ended.push(...(await endById(lifecycle, s.sessionId, region)));
  }
  return ended;
}

/** Codes of a repeated start that mean no session can exist for it. */
const NO_SUCH_INSTANCE = ["InvalidInstance.NotFound", "InvalidRegionId.NotFound"];

/** StartTerminalSession again with the same ClientToken: the cloud answers with the session it made. */
async function endAlicloudIntent(
  settings: ProviderSettings,
  region: string,
  intent: AlicloudIntent,
  startedAt: string,
): Promise<string[]> {
  // A session this start made was never connected: once its URL has expired, nobody can.
  if (Date.now() - Date.parse(startedAt) >= WEBSOCKET_URL_TTL_MS) return [];
  const client = alicloudClientFor(settings, "ecs", region);
  let sessionId: string;
  try {
    ({ sessionId } = await startTerminalSession(client, { regionId: region, ...intent }));
  } catch (err) {
    if (hasErrorCode(err, ...NO_SUCH_INSTANCE)) return [];
    throw err;
  }
  return endById(configured(terminalSessionLifecycle(), settings), sessionId, region);
}

/**
 * Ends the session a journal record points to, whichever cloud's: by its id, else found from what
 * was journaled before the start. Resolves with the ids of the sessions ended (none: there was none).
 */
export async function endRecorded(record: JournalRecord, settings: ProviderSettings): Promise<string[]> {
  const aws = record.cloud === "aws";
  if (record.sessionId !== undefined) {
    const lifecycle = aws ? ssmSessionLifecycle() : terminalSessionLifecycle();
    return endById(configured(lifecycle, settings), record.sessionId, record.region);
  }
  return aws
    ? endAwsIntent(settings, record.region, record.intent!)
    : endAlicloudIntent(settings, record.region, record.intent!, record.startedAt);
}

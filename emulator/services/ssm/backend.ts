/**
 * Session Manager state for the local cloud: sessions per region, each with an explicit state
 * machine, a data-plane channel, and an injectable clock. Handlers validate; this module decides.
 *
 *   Connecting ──> Connected <──> Disconnected
 *       │              │               │
 *       └──────────────┴───────┬───────┘
 *                              v
 *                         Terminating ──> Terminated
 *   (any non-final state) ──> Failed
 *
 * Where it differs from AWS (known or unconfirmed):
 * - Targets come from the configuration (`ssm.targets`); an unknown target or one in another
 *   region is `TargetNotConnected` ("<target> is not connected."), which is what AWS answers for
 *   an instance it has no agent connection for.
 * - TerminateSession of an id that never existed answers `DoesNotExistException`, as the API
 *   reference page we implement lists (the current service model lists no not-found error, and
 *   `terminateUnknown: "succeed"` echoes the id instead). Terminating an already terminated or
 *   failed session succeeds again (idempotent); AWS has been reported to answer
 *   `ValidationException` ("Session is not in a valid state") there instead, which
 *   `terminateEnded: "ValidationException"` reproduces.
 * - Terminating lasts `terminatingMs` of clock time (default 0: Terminated at once); AWS takes a
 *   moment, so callers should accept either state right after TerminateSession.
 * - The agent is the local cloud's own (emulator/dataplane/ssm): StreamUrl is
 *   `ws://HOST:PORT/v1/data-channel/<SessionId>?role=publish_subscribe` on the local cloud, not
 *   `wss://ssmmessages.<region>.amazonaws.com/...`; the protocol behind it is AWS's (OpenDataChannel,
 *   framed messages, handshake, smux), so the official session-manager-plugin works against it.
 *   See docs/protocols/ssm.md for what differs.
 * - Sessions belong to the account of the key that started them (a credential's `accountId`, as
 *   AWS's 12 digits: kept when it has them, derived from it otherwise; keys naming none share
 *   000000000000). Keys of one account (its IAM users) see, terminate and resume each other's
 *   sessions; another account's are not there for them (DescribeSessions lists none of them,
 *   TerminateSession and ResumeSession answer as for an id that never existed). Owner is
 *   `arn:<partition>:iam::<account>:user/<access key id>`, and the SessionId prefix is the access
 *   key id (AWS uses the IAM user or role-session name).
 * - With `--state-dir` the records survive a restart (`save`/`restore`). Nothing live does: a
 *   Connected session comes back Disconnected (its client is gone, as after a network drop) and
 *   can be reconnected with its token until it expires, or resumed; the agent behind it is a new
 *   one (a shell starts afresh). An ended session's StreamUrl answers 410 as before.
 * - DescribeSessions lists newest first; default page size 20 (AWS documents neither). Several
 *   filters are ANDed, including two with the same key. History keeps 30 days after the end.
 * - MaxSessionDuration is reported and enforced only when `maxSessionDurationMinutes` is set
 *   (AWS: the account's Session Manager preferences). The idle timeout is AWS's default, 20 minutes.
 * - Channel events map to the session as follows: a connection up -> Connected; the client
 *   leaving (or sending a malformed frame) -> Disconnected; the agent ending the session (the
 *   shell or command exiting, the idle timeout, the client's TerminateSession flag) ->
 *   Terminating. A refused connection (target offline) fails a session that never connected,
 *   and only disconnects one that did.
 * - ResumeSession issues a new TokenValue for the same StreamUrl, as AWS does; the previous token
 *   stops working and a connection still open with it is closed (one data channel per session).
 *   The agent's state (process, sequence numbers, unacknowledged messages) carries over.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../../clock";
import { DEFAULT_ACCOUNT_ID, type SsmTarget } from "../../config";
import type { SsmChannels, SsmConnectionState, SsmSessionKind } from "../../dataplane/ssm/types";
import { ApiError } from "../../protocol/apiError";
import { savedSsmSchema } from "./persisted";

export type SessionStatus =
  "Connecting" | "Connected" | "Disconnected" | "Terminating" | "Terminated" | "Failed";
export type SessionState = "Active" | "History";

/** The only legal moves; anything else is refused (API calls) or ignored (late channel events). */
const TRANSITIONS: Readonly<Record<SessionStatus, readonly SessionStatus[]>> = {
  Connecting: ["Connected", "Disconnected", "Terminating", "Failed"],
  Connected: ["Disconnected", "Terminating", "Failed"],
  Disconnected: ["Connected", "Terminating", "Failed"],
  Terminating: ["Terminated", "Failed"],
  Terminated: [],
  Failed: [],
};

const ACTIVE_STATUSES: readonly SessionStatus[] = ["Connecting", "Connected", "Disconnected", "Terminating"];
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A DescribeSessions filter, already validated and typed by the handler. */
export type SessionFilter =
  | { key: "InvokedAfter"; value: Date }
  | { key: "InvokedBefore"; value: Date }
  | { key: "Target"; value: string }
  | { key: "Owner"; value: string }
  | { key: "Status"; value: SessionStatus }
  | { key: "SessionId"; value: string }
  | { key: "AccessType"; value: "Standard" | "JustInTime" };

export interface StartRequest {
  region: string;
  accessKeyId: string;
  target: string;
  /** As the caller gave it (name or ARN); undefined when omitted. */
  documentName?: string;
  reason?: string;
  /** What the session runs, resolved by the handler from the document and parameters. */
  kind: SsmSessionKind;
}

export interface DescribeRequest {
  region: string;
  state: SessionState;
  filters: readonly SessionFilter[];
  maxResults: number;
  nextToken?: string;
}

/** A session as DescribeSessions reports it. */
export interface SessionView {
  sessionId: string;
  target: string;
  status: SessionStatus;
  startDate: Date;
  endDate?: Date;
  documentName?: string;
  owner: string;
  reason?: string;
  maxSessionDuration?: string;
  accessType: "Standard";
}

export interface SsmBackendOptions {
  clock: Clock;
  dataPlane: SsmChannels;
  /** Read per call, so targets added at run time count. */
  targets: () => readonly SsmTarget[];
  /** The local cloud's account of an access key (config.ts `accountOf`). */
  accountOf: (accessKeyId: string) => string;
  /** Called after every change of the records (they are saved when there is a state dir). */
  changed?: () => void;
  /** What TerminateSession does for an id that never existed (default: DoesNotExistException, per the API reference). */
  terminateUnknown?: "succeed" | "DoesNotExistException";
  /** What TerminateSession does for a session already Terminated or Failed (default: succeed). */
  terminateEnded?: "succeed" | "ValidationException";
  /** How long Terminating lasts, in clock ms (default 0). */
  terminatingMs?: number;
  /** Enforced and reported when set (1..1440). */
  maxSessionDurationMinutes?: number;
  /** How long a StreamUrl/TokenValue accepts a new connection (default 10 minutes). */
  tokenTtlMs?: number;
  /** Idle connections close after this (default 20 minutes, Session Manager's default). */
  idleTimeoutMs?: number;
  /** Terminated sessions stay in History this long (default 30 days). */
  historyRetentionMs?: number;
}

interface SessionRecord {
  sessionId: string;
  region: string;
  target: string;
  documentName?: string;
  reason?: string;
  /** The owner's AWS account: only its callers see the session. */
  accountId: string;
  owner: string;
  ownerName: string;
  kind: SsmSessionKind;
  /** The current TokenValue and until when it admits a new connection. */
  tokenValue: string;
  tokenExpiresAt: Date;
  status: SessionStatus;
  startDate: Date;
  endDate?: Date;
  /** Set while Terminating: when it becomes Terminated. */
  terminatedAt?: Date;
  /** The data plane's view of each WebSocket connection of the current token. */
  connections: Map<string, SsmConnectionState>;
  /** Bumped by ResumeSession: events from an older channel's connections are ignored. */
  generation: number;
  /** Whether a connection ever came up (decides what a failed connection does). */
  everConnected: boolean;
}

/** Opaque paging cursor: the last returned session's sort key, bound to the listing state. */
interface Cursor {
  s: SessionState;
  t: number;
  i: string;
}

export class SsmBackend {
  private readonly regions = new Map<string, Map<string, SessionRecord>>();

  constructor(private readonly opts: SsmBackendOptions) {}

  /** The caller's AWS account id (12 digits). */
  private accountOf(accessKeyId: string): string {
    return awsAccountId(this.opts.accountOf(accessKeyId));
  }

  /** A session of `region` as the caller's account sees it: another account's is not there. */
  private find(region: string, sessionId: string, accessKeyId: string): SessionRecord | undefined {
    const record = this.sessionsOf(region).get(sessionId);
    return record?.accountId === this.accountOf(accessKeyId) ? record : undefined;
  }

  start(req: StartRequest): { sessionId: string; tokenValue: string; streamUrl: string } {
    if (!this.targetOnline(req.region, req.target)) {
      throw new ApiError(400, "TargetNotConnected", `${req.target} is not connected.`);
    }

    const now = this.opts.clock.now();
    const accountId = this.accountOf(req.accessKeyId);
    const record: SessionRecord = {
      sessionId: this.newSessionId(req.accessKeyId),
      region: req.region,
      target: req.target,
      documentName: req.documentName,
      reason: req.reason,
      accountId,
      owner: `arn:${partition(req.region)}:iam::${accountId}:user/${req.accessKeyId}`,
      ownerName: req.accessKeyId,
      kind: req.kind,
      tokenValue: "",
      tokenExpiresAt: now,
      status: "Connecting",
      startDate: now,
      connections: new Map(),
      generation: 0,
      everConnected: false,
    };
    this.newToken(record);
    const streamUrl = this.openChannel(record);
    this.sessionsOf(req.region).set(record.sessionId, record);
    this.opts.changed?.();
    return { sessionId: record.sessionId, tokenValue: record.tokenValue, streamUrl };
  }

  describe(req: DescribeRequest, accessKeyId: string): { sessions: SessionView[]; nextToken?: string } {
    const cursor = req.nextToken === undefined ? undefined : decodeCursor(req.nextToken, req.state);
    const now = this.opts.clock.now();
    const retention = this.opts.historyRetentionMs ?? 30 * DAY;
    const sessions = this.sessionsOf(req.region);
    for (const r of [...sessions.values()].map((x) => this.settle(x))) {
      // Past retention a session is gone for good (AWS keeps History for 30 days).
      if (!isActive(r.status) && now.getTime() - (r.endDate ?? r.startDate).getTime() > retention) {
        sessions.delete(r.sessionId);
      }
    }
    const accountId = this.accountOf(accessKeyId);
    const wanted = [...sessions.values()]
      .filter((r) => r.accountId === accountId)
      .filter((r) => (req.state === "Active" ? isActive(r.status) : !isActive(r.status)))
      .filter((r) => req.filters.every((f) => matches(r, f)))
      .sort(newestFirst)
      .filter((r) => cursor === undefined || newestFirst(r, cursorRecord(cursor)) > 0);
    const page = wanted.slice(0, req.maxResults);
    const last = page[page.length - 1];
    const nextToken =
      wanted.length > page.length && last
        ? encodeCursor({ s: req.state, t: last.startDate.getTime(), i: last.sessionId })
        : undefined;
    return { sessions: page.map((r) => this.view(r)), nextToken };
  }

  terminate(region: string, sessionId: string, accessKeyId: string): string {
    const record = this.find(region, sessionId, accessKeyId);
    if (!record) {
      if (this.opts.terminateUnknown !== "succeed") throw doesNotExist(sessionId);
      return sessionId;
    }
    const settled = this.settle(record);
    if (!isActive(settled.status) && this.opts.terminateEnded === "ValidationException") {
      throw new ApiError(400, "ValidationException", "Session is not in a valid state");
    }
    if (isActive(settled.status) && settled.status !== "Terminating") {
      this.beginTermination(settled, "TerminateSession");
    }
    return sessionId;
  }

  resume(
    region: string,
    sessionId: string,
    accessKeyId: string,
  ): { sessionId: string; tokenValue: string; streamUrl: string } {
    const record = this.find(region, sessionId, accessKeyId);
    if (!record) throw doesNotExist(sessionId);
    const settled = this.settle(record);
    // A terminated session cannot be resumed (TerminateSession's documented contract).
    if (!isActive(settled.status) || settled.status === "Terminating") throw doesNotExist(sessionId);
    // Same StreamUrl, new token; events from connections made with the old one are ignored.
    settled.generation++;
    settled.connections.clear();
    if (settled.status === "Connected") this.transition(settled, "Disconnected");
    this.newToken(settled);
    const streamUrl = this.openChannel(settled);
    this.opts.changed?.();
    return { sessionId, tokenValue: settled.tokenValue, streamUrl };
  }

  /** The records as `state.json` keeps them (emulator/persistence/store.ts). */
  save(): unknown {
    const sessions = [];
    for (const region of this.regions.values()) {
      for (const r of region.values()) {
        const { connections: _live, ...kept } = r;
        sessions.push(kept);
      }
    }
    return { sessions };
  }

  /**
   * Takes back what `save()` wrote, after a restart: no connection survived it, so a Connected
   * session is Disconnected; every session's channel is registered again with its token (an
   * ended one's, to answer 410).
   */
  restore(saved: unknown): void {
    for (const s of savedSsmSchema.parse(saved).sessions) {
      const record: SessionRecord = { ...s, connections: new Map() };
      this.sessionsOf(record.region).set(record.sessionId, record);
      if (record.status === "Connected") this.transition(record, "Disconnected");
      this.openChannel(record);
      if (!isActive(record.status) || record.status === "Terminating")
        this.opts.dataPlane.close(record.sessionId, record.status);
    }
  }

  /** Live (non-final) sessions of every region, for the admin API's state dump. */
  snapshot(): Array<SessionView & { region: string }> {
    const out: Array<SessionView & { region: string }> = [];
    for (const [region, sessions] of this.regions) {
      for (const record of sessions.values()) {
        const settled = this.settle(record);
        if (isActive(settled.status)) out.push({ region, ...this.view(settled) });
      }
    }
    return out.sort(newestFirst);
  }

  /** Closes every live channel (server shutdown). The records stay (and are saved with a state dir). */
  close(): void {
    for (const sessions of this.regions.values()) {
      for (const record of sessions.values()) {
        if (isActive(record.status)) this.opts.dataPlane.close(record.sessionId, "local cloud stopped");
      }
    }
  }

  /** Applies the transitions that time alone causes (end of Terminating, MaxSessionDuration). */
  private settle(record: SessionRecord): SessionRecord {
    const now = this.opts.clock.now();
    const max = this.opts.maxSessionDurationMinutes;
    if (max !== undefined && isActive(record.status) && record.status !== "Terminating") {
      const deadline = new Date(record.startDate.getTime() + max * MINUTE);
      if (now >= deadline) this.beginTermination(record, "MaxSessionDuration reached", deadline);
    }
    if (record.status === "Terminating" && record.terminatedAt && now >= record.terminatedAt) {
      this.transition(record, "Terminated");
      record.endDate = record.terminatedAt;
      record.terminatedAt = undefined;
    }
    return record;
  }

  private beginTermination(record: SessionRecord, reason: string, at: Date = this.opts.clock.now()): void {
    this.transition(record, "Terminating");
    record.terminatedAt = new Date(at.getTime() + (this.opts.terminatingMs ?? 0));
    // Close after the state change: the data plane reports its connections' end synchronously,
    // and those late events must find the session already Terminating (and be ignored).
    this.opts.dataPlane.close(record.sessionId, reason);
    this.settle(record);
  }

  private transition(record: SessionRecord, to: SessionStatus): boolean {
    if (!TRANSITIONS[record.status].includes(to)) return false;
    record.status = to;
    if (to === "Failed" || to === "Terminated") record.endDate ??= this.opts.clock.now();
    this.opts.changed?.();
    return true;
  }

  /** A fresh TokenValue (StartSession, ResumeSession), valid for new connections for a while. */
  private newToken(record: SessionRecord): void {
    record.tokenValue = randomBytes(32).toString("base64url");
    record.tokenExpiresAt = new Date(this.opts.clock.now().getTime() + (this.opts.tokenTtlMs ?? 10 * MINUTE));
  }

  /** Registers the session's channel with its current token (again, after ResumeSession); returns the StreamUrl. */
  private openChannel(record: SessionRecord): string {
    const generation = record.generation;
    const { url } = this.opts.dataPlane.open({
      sessionId: record.sessionId,
      target: record.target,
      token: record.tokenValue,
      kind: record.kind,
      tokenExpiresAt: record.tokenExpiresAt,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 20 * MINUTE,
      admit: () => (this.targetOnline(record.region, record.target) ? undefined : "TargetNotConnected"),
      onConnectionState: (connectionId, state, closedReason) => {
        if (generation === record.generation)
          this.onConnectionState(record, connectionId, state, closedReason);
      },
    });
    return url;
  }

  /** Folds the data plane's per-connection states into the session's status. */
  private onConnectionState(
    record: SessionRecord,
    connectionId: string,
    state: SsmConnectionState,
    closedReason: string | undefined,
  ): void {
    // Late events (our own close() reports every connection Terminated) change nothing.
    if (!isActive(record.status) || record.status === "Terminating") return;
    if (state === "Terminated" || state === "Disconnected" || state === "Failed") {
      record.connections.delete(connectionId);
    } else {
      record.connections.set(connectionId, state);
    }
    if (state === "Connected") {
      record.everConnected = true;
      this.transition(record, "Connected");
      return;
    }
    if (state === "Failed" && !record.everConnected) {
      this.transition(record, "Failed");
      this.opts.dataPlane.close(record.sessionId, closedReason ?? "Failed");
      return;
    }
    // The agent ended the session (exit, idle timeout, TerminateSession flag); a failed connection does not.
    if (state === "Terminated") {
      this.beginTermination(record, closedReason ?? "ChannelEnded");
      return;
    }
    const live = [...record.connections.values()];
    if (live.includes("Connected")) this.transition(record, "Connected");
    else if (state !== "Connecting" && record.everConnected) this.transition(record, "Disconnected");
  }

  private targetOnline(region: string, target: string): boolean {
    return this.opts.targets().some((t) => t.target === target && t.region === region && t.connected);
  }

  private view(r: SessionRecord): SessionView {
    const max = this.opts.maxSessionDurationMinutes;
    return {
      sessionId: r.sessionId,
      target: r.target,
      status: r.status,
      startDate: r.startDate,
      endDate: r.endDate,
      documentName: r.documentName,
      owner: r.owner,
      reason: r.reason,
      maxSessionDuration: max === undefined ? undefined : String(max),
      accessType: "Standard",
    };
  }

  private sessionsOf(region: string): Map<string, SessionRecord> {
    let sessions = this.regions.get(region);
    if (!sessions) {
      sessions = new Map();
      this.regions.set(region, sessions);
    }
    return sessions;
  }

  /** `<caller>-0<16 hex>` like AWS (`John-07a16060613c408b5`), within SessionId's 96 characters. */
  private newSessionId(caller: string): string {
    const suffix = `-0${randomBytes(8).toString("hex")}`;
    return caller.slice(0, 96 - suffix.length) + suffix;
  }
}

/** AWS account ids are 12 digits: a local account named otherwise gets 12 derived from its name. */
export function awsAccountId(accountId: string): string {
  if (/^\d{12}$/.test(accountId)) return accountId;
  if (accountId === DEFAULT_ACCOUNT_ID) return "000000000000";
  const n = BigInt(`0x${createHash("sha256").update(accountId).digest("hex").slice(0, 16)}`);
  return (n % 10n ** 12n).toString().padStart(12, "0");
}

function isActive(status: SessionStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

function matches(r: SessionRecord, f: SessionFilter): boolean {
  switch (f.key) {
    case "InvokedAfter":
      return r.startDate >= f.value;
    case "InvokedBefore":
      return r.startDate < f.value;
    case "Target":
      return r.target === f.value;
    case "Owner":
      // Accept the ARN Describe reports, or the bare caller name inside it.
      return r.owner === f.value || r.ownerName === f.value;
    case "Status":
      return r.status === f.value;
    case "SessionId":
      return r.sessionId === f.value;
    case "AccessType":
      return f.value === "Standard";
  }
}

/** Newest first, then by id descending so the order (and the paging cursor) is total. */
function newestFirst(
  a: { startDate: Date; sessionId: string },
  b: { startDate: Date; sessionId: string },
): number {
  const byTime = b.startDate.getTime() - a.startDate.getTime();
  if (byTime !== 0) return byTime;
  return a.sessionId < b.sessionId ? 1 : a.sessionId > b.sessionId ? -1 : 0;
}

function cursorRecord(c: Cursor): { startDate: Date; sessionId: string } {
  return { startDate: new Date(c.t), sessionId: c.i };
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), "utf8").toString("base64");
}

function decodeCursor(token: string, state: SessionState): Cursor {
  const invalid = new ApiError(400, "InvalidNextToken", "The specified token isn't valid.");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
  } catch {
    throw invalid;
  }
  const c = parsed as Partial<Cursor> | null;
  if (!c || c.s !== state || typeof c.t !== "number" || typeof c.i !== "string") throw invalid;
  return { s: c.s, t: c.t, i: c.i };
}

function doesNotExist(sessionId: string): ApiError {
  return new ApiError(400, "DoesNotExistException", `Session with id ${sessionId} does not exist.`);
}

function partition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

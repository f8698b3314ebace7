/**
 * ECS Session Manager state: terminal sessions and their connections, per region.
 *
 * State machines
 *   Session:    Open --EndTerminalSession--> Ended            (Ended is final; records kept 4 weeks)
 *               An Open session is "active" while its URL is valid (10 min) or a connection is live.
 *   Connection: Connecting -> Connected -> Disconnected | Terminating -> Terminated
 *               Connecting -> Failed | Disconnected | Terminating; Connected -> Failed
 *               (Terminated is final; EndTerminalSession turns Disconnected and Failed records
 *               into Terminated too, keeping their EndTime and ClosedReason: seed 003 gives a
 *               connection's Status as the state of the session.)
 *
 * Where this differs from the real cloud (on purpose, or because the real rule is not published):
 * - Instances come from config (`ecs.instances`), Linux only; there is no real agent. The data
 *   plane (emulator/dataplane/ecs/, docs/protocols/ecs.md) speaks the protocol of Alibaba's
 *   Session Manager client. Port forwarding always reaches 127.0.0.1:<PortNumber> (TargetServer
 *   is recorded, not dialled); commands and shells run on a pseudo-terminal (util-linux
 *   `script`) as the emulator's user in a scratch folder, CommandLine through `/bin/sh -c` (the
 *   agent splits it like a shell and runs it without one). A command's exit status reaches the
 *   client in the WebSocket close reason (`exit-status:N`), which the real service does not send.
 * - RegionId.ApiNotSupported is returned for the local regions cn-nanjing, cn-fuzhou, cn-wuhan-lr;
 *   UserBehavior.SessionManagerDisabled for regions in `ecs.sessionManagerDisabledRegions`.
 * - A non-Running instance fails Start with Operation.Forbidden; an offline agent with
 *   InternalError.Dispatch. If the instance stops, disappears or its agent goes offline (or is
 *   older than 2.2.3.256) after Start, connections fail with the matching ClosedReason.
 * - Encryption needs agent >= 2.4.3.0 (undocumented threshold); classic-network instances refuse
 *   Intranet URLs and port forwarding; `securityGroupDenied` instances refuse every session.
 * - Username longer than 64 characters is Username.ExceedLimit (the real limit is not published).
 * - "Connected sessions per instance" is checked when a session starts (SessionCount.ExceedLimit)
 *   and again when a connection comes up: a 21st session's connection is refused (status 2) and
 *   recorded Failed with ClosedReason SessionCountExceedLimit. Refused handshakes on a known
 *   session are recorded Failed too (SessionEnded, WebSocketUrlExpired). None of these
 *   ClosedReason values is documented; the API lists no reason for these cases.
 * - A session keeps at most 100 connection records (ECS_LIMITS.maxConnectionRecordsPerSession);
 *   past it the oldest closed one goes.
 * - Idempotency tokens are kept as long as the session record (4 weeks), per access key.
 * - End on an already ended session succeeds again (the record still exists).
 * - PrincipalId is derived from the access key id; IdentityType is AssumedRoleUser for STS keys,
 *   Account otherwise (no RAM users locally).
 * - Sessions belong to the account of the key that started them (a credential's `accountId`;
 *   keys naming none share one local account): other accounts neither list nor end them
 *   (InvalidSessionId.NotFound). Limits are counted over all accounts.
 * - The 200 KB/s bandwidth limit is 200 KiB/s per direction per session (a token bucket).
 * - With `--state-dir` the records survive a restart of the local cloud (`save`/`restore`): an
 *   open session stays open and its WebSocketUrl keeps working until it expires; a connection
 *   that was live when the local cloud stopped shows Disconnected (AgentSocketClosed), as when a
 *   client's network drops, not Terminated, which only EndTerminalSession causes.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { accountOf, type LocalCloudConfig } from "../../config";
import type { ChannelMode, ChannelState } from "../../dataplane/types";
import type { ServiceDeps } from "../index";
import type { CallContext } from "../types";
import { ecsErrors } from "./errors";
import { savedEcsSchema, type SavedEcsSession } from "./persisted";
import {
  compareVersions,
  ECS_LIMITS,
  ENCRYPTION_MIN_AGENT,
  isoSeconds,
  KNOWN_REGIONS,
  SESSION_MANAGER_MIN_AGENT,
  UNSUPPORTED_REGIONS,
  type ClosedReason,
  type ConnectionStatus,
  type DescribeRequest,
  type EndRequest,
  type SessionView,
  type StartRequest,
} from "./model";

type SessionState = "Open" | "Ended";

const SESSION_TRANSITIONS: Record<SessionState, readonly SessionState[]> = {
  Open: ["Ended"],
  Ended: [],
};

const CONNECTION_TRANSITIONS: Record<ConnectionStatus, readonly ConnectionStatus[]> = {
  Connecting: ["Connected", "Failed", "Disconnected", "Terminating", "Terminated"],
  Connected: ["Disconnected", "Terminating", "Terminated", "Failed"],
  Terminating: ["Terminated"],
  Disconnected: [],
  Terminated: [],
  Failed: [],
};

const LIVE: ReadonlySet<ConnectionStatus> = new Set(["Connecting", "Connected", "Terminating"]);

interface ConnectionRecord {
  id: string;
  instanceId: string;
  status: ConnectionStatus;
  startTime: Date;
  endTime?: Date;
  closedReason?: string;
}

interface SessionRecord {
  /** Creation order; paging cursors point at it. */
  seq: number;
  sessionId: string;
  securityToken: string;
  webSocketUrl: string;
  request: StartRequest;
  /** Canonical form of the request, compared on ClientToken reuse. */
  fingerprint: string;
  accessKeyId: string;
  /** Only callers of this account see and end the session. */
  accountId: string;
  principalId: string;
  identityType: SessionView["IdentityType"];
  clientIp: string;
  createdAt: Date;
  urlExpiresAt: Date;
  state: SessionState;
  endedAt?: Date;
  connections: Map<string, ConnectionRecord>;
}

export interface StartedSession {
  sessionId: string;
  securityToken: string;
  webSocketUrl: string;
}

export interface DescribePage {
  sessions: SessionView[];
  nextToken?: string;
}

function fingerprint(req: StartRequest): string {
  const { clientToken: _ignored, ...rest } = req;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

/** Describe paging cursor: the last returned `seq` plus a digest of the filters it belongs to. */
function encodeToken(afterSeq: number, filterKey: string): string {
  return Buffer.from(`v1:${afterSeq}:${filterKey}`, "utf8").toString("base64url");
}

function decodeToken(token: string, filterKey: string): number | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const m = /^v1:(\d+):([0-9a-f]{16})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m || m[2] !== filterKey) return undefined;
  return Number(m[1]);
}

function sessionIdFor(regionId: string): string {
  // Real ids look like `s-hz023od0x9****`: a region hint then base-36 characters.
  const hint = regionId.replace(/^[a-z]+-/, "").slice(0, 2) || "xx";
  const body = [...randomBytes(12)].map((b) => (b % 36).toString(36)).join("");
  return `s-${hint}${body}`;
}

/** Drops the oldest closed records until at most `keep` remain (live ones always stay). */
function dropOldestClosed(connections: Map<string, ConnectionRecord>, keep: number): void {
  for (const [id, c] of connections) {
    if (connections.size <= keep) return;
    if (!LIVE.has(c.status)) connections.delete(id);
  }
}

/** A connection as it stands once the local cloud is up again: nothing is live any more. */
function afterRestart(c: SavedEcsSession["connections"][number], now: Date): ConnectionRecord {
  if (c.status === "Terminating") return { ...c, status: "Terminated", endTime: now };
  if (LIVE.has(c.status))
    return { ...c, status: "Disconnected", endTime: now, closedReason: "AgentSocketClosed" };
  return { ...c };
}

export class EcsBackend {
  private readonly sessions = new Map<string, SessionRecord>();
  /** `${accessKeyId}\n${clientToken}` -> sessionId. */
  private readonly tokens = new Map<string, string>();
  private readonly inFlightTokens = new Set<string>();
  private seq = 0;

  constructor(
    private readonly config: LocalCloudConfig,
    private readonly deps: ServiceDeps,
  ) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  // ---- region and instance checks -------------------------------------------------------

  /** `apiSupport`: Start and End document RegionId.ApiNotSupported; Describe does not (it lists nothing there). */
  private checkRegion(regionId: string, apiSupport = true): void {
    const known =
      KNOWN_REGIONS.has(regionId) || this.config.ecs.instances.some((i) => i.regionId === regionId);
    if (!known) throw apiSupport ? ecsErrors.regionNotFoundInRecords() : ecsErrors.regionNotFound();
    if (apiSupport && UNSUPPORTED_REGIONS.has(regionId)) throw ecsErrors.regionApiNotSupported();
  }

  private instance(regionId: string, instanceId: string) {
    return this.config.ecs.instances.find((i) => i.instanceId === instanceId && i.regionId === regionId);
  }

  /** Why a connection to this instance cannot be served right now, as a documented ClosedReason. */
  private connectionBlocker(regionId: string, instanceId: string): ClosedReason | undefined {
    const inst = this.instance(regionId, instanceId);
    if (!inst) return "InstanceNotExists";
    if (inst.status !== "Running") return "InstanceNotRunning";
    if (!inst.agentOnline) return "AgentNotOnline";
    if (
      inst.agentVersion !== undefined &&
      compareVersions(inst.agentVersion, SESSION_MANAGER_MIN_AGENT) <= 0
    ) {
      return "AgentNeedUpgrade";
    }
    return undefined;
  }

  /**
   * "20 sessions in the connected state per instance", applied when a connection comes up: a
   * session that already has a live connection may open more (port forwarding opens one per TCP
   * connection); a 21st session may not. No documented ClosedReason covers it.
   */
  private connectionLimit(sessionId: string, instanceId: string): string | undefined {
    let others = 0;
    for (const s of this.sessions.values()) {
      if (s.state !== "Open" || s.sessionId === sessionId) continue;
      if ([...s.connections.values()].some((c) => c.instanceId === instanceId && LIVE.has(c.status)))
        others++;
    }
    return others >= ECS_LIMITS.maxConnectedSessionsPerInstance ? "SessionCountExceedLimit" : undefined;
  }

  // ---- retention and activity ------------------------------------------------------------

  /** Drops records older than four weeks (they no longer exist for Describe or End). */
  private purge(): void {
    const cutoff = this.now().getTime() - ECS_LIMITS.retentionMs;
    for (const [id, s] of this.sessions) {
      if (s.createdAt.getTime() >= cutoff) continue;
      this.sessions.delete(id);
      if (s.request.clientToken !== undefined)
        this.tokens.delete(`${s.accessKeyId}\n${s.request.clientToken}`);
      if (s.state === "Open") this.deps.dataPlane.close(id, "AgentSocketClosed");
      this.deps.changed();
    }
  }

  private isActive(s: SessionRecord, now: Date): boolean {
    if (s.state !== "Open") return false;
    if (now < s.urlExpiresAt) return true;
    return [...s.connections.values()].some((c) => LIVE.has(c.status));
  }

  private connectedSessionsOn(instanceId: string): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.state !== "Open") continue;
      if ([...s.connections.values()].some((c) => c.instanceId === instanceId && c.status === "Connected"))
        n++;
    }
    return n;
  }

  // ---- StartTerminalSession ------------------------------------------------------------------

  async startSession(req: StartRequest, ctx: CallContext): Promise<StartedSession> {
    this.purge();
    this.checkRegion(req.regionId);
    if (this.config.ecs.sessionManagerDisabledRegions?.includes(req.regionId)) {
      throw ecsErrors.sessionManagerDisabled();
    }

    const tokenKey = req.clientToken === undefined ? undefined : `${ctx.accessKeyId}\n${req.clientToken}`;
    if (tokenKey !== undefined) {
      if (this.inFlightTokens.has(tokenKey)) throw ecsErrors.idempotentProcessing();
      const previous = this.tokens.get(tokenKey);
      const existing = previous === undefined ? undefined : this.sessions.get(previous);
      if (existing) {
        if (existing.fingerprint !== fingerprint(req)) throw ecsErrors.idempotentMismatch();
        return this.started(existing);
      }
    }

    this.checkInstances(req);
    this.checkLimits(req);

    if (tokenKey !== undefined) this.inFlightTokens.add(tokenKey);
    try {
      await this.dispatchToAgent(req);
      // Re-checked: other sessions may have started while this one was being dispatched.
      this.checkLimits(req);
      return this.started(this.createSession(req, ctx, tokenKey));
    } finally {
      if (tokenKey !== undefined) this.inFlightTokens.delete(tokenKey);
    }
  }

  private checkInstances(req: StartRequest): void {
    for (const id of req.instanceIds) {
      const inst = this.instance(req.regionId, id);
      if (!inst) throw ecsErrors.instanceNotFound();
      if (inst.status !== "Running") throw ecsErrors.operationForbidden();
      if (inst.securityGroupDenied) throw ecsErrors.securityGroupDenied();
      if (inst.networkType === "classic") {
        if (req.connectionType === "Intranet") throw ecsErrors.connectionTypeUnsupported();
        if (req.portNumber !== undefined) throw ecsErrors.portForwardingNotSupported();
      }
      if (
        req.encryption?.enabled &&
        inst.agentVersion !== undefined &&
        compareVersions(inst.agentVersion, ENCRYPTION_MIN_AGENT) < 0
      ) {
        throw ecsErrors.agentTooOldForEncryption(id);
      }
    }
  }

  private checkLimits(req: StartRequest): void {
    const now = this.now();
    let active = 0;
    for (const s of this.sessions.values())
      if (s.request.regionId === req.regionId && this.isActive(s, now)) active++;
    if (active >= ECS_LIMITS.maxActiveSessionsPerRegion) throw ecsErrors.sessionCountExceedLimit();
    for (const id of req.instanceIds) {
      if (this.connectedSessionsOn(id) >= ECS_LIMITS.maxConnectedSessionsPerInstance) {
        throw ecsErrors.sessionCountExceedLimit();
      }
    }
  }

  private async dispatchToAgent(req: StartRequest): Promise<void> {
    // Read live: the admin API may change it (config `ecs.dispatchDelayMs`).
    await new Promise((resolve) => setTimeout(resolve, this.config.ecs.dispatchDelayMs ?? 0));
    for (const id of req.instanceIds) {
      // The agent may have gone offline meanwhile; the real service reports a dispatch failure.
      if (!this.instance(req.regionId, id)?.agentOnline) throw ecsErrors.dispatchFailed();
    }
  }

  private createSession(req: StartRequest, ctx: CallContext, tokenKey: string | undefined): SessionRecord {
    const now = this.now();
    const sessionId = sessionIdFor(req.regionId);
    const securityToken = randomUUID();
    const cred = this.config.credentials.find((c) => c.accessKeyId === ctx.accessKeyId);
    const record: SessionRecord = {
      seq: ++this.seq,
      sessionId,
      securityToken,
      webSocketUrl: "",
      request: req,
      fingerprint: fingerprint(req),
      accessKeyId: ctx.accessKeyId,
      accountId: accountOf(this.config.credentials, ctx.accessKeyId),
      principalId: BigInt(
        `0x${createHash("sha256").update(ctx.accessKeyId).digest("hex").slice(0, 13)}`,
      ).toString(),
      identityType: cred?.securityToken !== undefined ? "AssumedRoleUser" : "Account",
      clientIp: ctx.clientIp,
      createdAt: now,
      urlExpiresAt: new Date(now.getTime() + ECS_LIMITS.urlTtlMs),
      state: "Open",
      connections: new Map(),
    };
    this.openChannel(record);
    this.sessions.set(sessionId, record);
    if (tokenKey !== undefined) this.tokens.set(tokenKey, sessionId);
    this.deps.changed();
    return record;
  }

  /** Registers the session's WebSocket with the data plane; the URL comes from it. */
  private openChannel(record: SessionRecord): void {
    const req = record.request;
    const mode: ChannelMode =
      req.commandLine !== undefined
        ? { kind: "command", commandLine: req.commandLine }
        : req.portNumber !== undefined
          ? { kind: "port", port: req.portNumber }
          : { kind: "shell" };
    const instanceId = req.instanceIds[0];
    const sessionId = record.sessionId;
    record.webSocketUrl = this.deps.dataPlane.open({
      sessionId,
      token: record.securityToken,
      mode,
      urlExpiresAt: record.urlExpiresAt,
      idleTimeoutMs: ECS_LIMITS.idleTimeoutMs,
      bandwidthBytesPerSec: ECS_LIMITS.bandwidthBytesPerSec,
      onConnectionState: (connectionId, state, reason) =>
        this.onConnectionState(sessionId, instanceId, connectionId, state, reason),
      admit: () =>
        this.connectionBlocker(req.regionId, instanceId) ?? this.connectionLimit(sessionId, instanceId),
    }).url;
  }

  private started(s: SessionRecord): StartedSession {
    return { sessionId: s.sessionId, securityToken: s.securityToken, webSocketUrl: s.webSocketUrl };
  }

  // ---- connection states (from the data plane) ----------------------------------------------

  private onConnectionState(
    sessionId: string,
    instanceId: string,
    connectionId: string,
    state: ChannelState,
    closedReason?: string,
  ): void {
    const session = this.sessions.get(sessionId);
    if (!session) return; // purged meanwhile
    const now = this.now();
    let conn = session.connections.get(connectionId);
    if (!conn) {
      conn = { id: connectionId, instanceId, status: "Connecting", startTime: now };
      dropOldestClosed(session.connections, ECS_LIMITS.maxConnectionRecordsPerSession - 1);
      session.connections.set(connectionId, conn);
      if (state === "Connecting") return;
    }
    // A connection being terminated by EndTerminalSession ends as Terminated whatever the socket says.
    const target: ConnectionStatus = conn.status === "Terminating" ? "Terminated" : state;
    this.transition(conn, target, now, closedReason);
    this.deps.changed();
  }

  private transition(conn: ConnectionRecord, to: ConnectionStatus, now: Date, closedReason?: string): void {
    if (conn.status === to || !CONNECTION_TRANSITIONS[conn.status].includes(to)) return;
    conn.status = to;
    if (!LIVE.has(to)) {
      conn.endTime = now;
      if (closedReason !== undefined) conn.closedReason = closedReason;
    }
  }

  // ---- DescribeTerminalSessions -------------------------------------------------------------

  describeSessions(req: DescribeRequest, ctx: CallContext): DescribePage {
    this.purge();
    const accountId = accountOf(this.config.credentials, ctx.accessKeyId);
    this.checkRegion(req.regionId, false);
    const filterKey = createHash("sha256")
      .update(JSON.stringify([req.regionId, req.instanceId ?? null, req.sessionId ?? null]))
      .digest("hex")
      .slice(0, 16);
    let afterSeq = Number.POSITIVE_INFINITY;
    if (req.nextToken !== undefined) {
      const decoded = decodeToken(req.nextToken, filterKey);
      if (decoded === undefined) throw ecsErrors.nextTokenInvalid();
      afterSeq = decoded;
    }
    const matching = [...this.sessions.values()]
      .filter(
        (s) =>
          s.request.regionId === req.regionId &&
          s.accountId === accountId &&
          (req.instanceId === undefined || s.request.instanceIds.includes(req.instanceId)) &&
          (req.sessionId === undefined || s.sessionId === req.sessionId),
      )
      .sort((a, b) => b.seq - a.seq) // newest first
      .filter((s) => s.seq < afterSeq);
    const page = matching.slice(0, req.maxResults);
    const more = matching.length > page.length;
    return {
      sessions: page.map((s) => this.view(s)),
      nextToken: more ? encodeToken(page[page.length - 1].seq, filterKey) : undefined,
    };
  }

  private view(s: SessionRecord): SessionView {
    const v: SessionView = {
      CreationTime: isoSeconds(s.createdAt),
      PrincipalId: s.principalId,
      ClientIP: s.clientIp,
      IdentityType: s.identityType,
      SessionId: s.sessionId,
      Connections: {
        Connection: [...s.connections.values()].map((c) => ({
          ...(c.closedReason !== undefined ? { ClosedReason: c.closedReason } : {}),
          ...(c.endTime !== undefined ? { EndTime: isoSeconds(c.endTime) } : {}),
          Status: c.status,
          StartTime: isoSeconds(c.startTime),
          InstanceId: c.instanceId,
        })),
      },
    };
    if (s.request.targetServer !== undefined) v.TargetServer = s.request.targetServer;
    if (s.request.portNumber !== undefined) v.PortNumber = s.request.portNumber;
    if (s.request.username !== undefined) v.Username = s.request.username;
    return v;
  }

  // ---- EndTerminalSession ------------------------------------------------------------------

  endSession(req: EndRequest, ctx: CallContext): void {
    this.purge();
    this.checkRegion(req.regionId);
    const s = this.sessions.get(req.sessionId);
    const accountId = accountOf(this.config.credentials, ctx.accessKeyId);
    // Another account's session does not exist for this caller.
    if (!s || s.request.regionId !== req.regionId || s.accountId !== accountId)
      throw ecsErrors.sessionNotFound();
    if (!SESSION_TRANSITIONS[s.state].includes("Ended")) return; // already ended: nothing more to do
    s.state = "Ended";
    s.endedAt = this.now();
    for (const c of s.connections.values()) {
      // Seed 003: a connection's Status is the state of the session. Records of connections that
      // had already closed say so too, keeping when and why they closed.
      if (c.status === "Disconnected" || c.status === "Failed") c.status = "Terminated";
      else this.transition(c, "Terminating", s.endedAt);
    }
    // The data plane closes live sockets and reports them Terminated; the URL stops working.
    this.deps.dataPlane.close(s.sessionId, "AgentSocketClosed");
    this.deps.changed();
  }

  // ---- persistence (emulator/persistence/store.ts) ------------------------------------------

  save(): unknown {
    return {
      sessions: [...this.sessions.values()].map((s) => ({ ...s, connections: [...s.connections.values()] })),
    };
  }

  /**
   * Takes back what `save()` wrote, after a restart. Nothing was live across it: connections
   * recorded live become Disconnected, those being terminated Terminated; each session's
   * WebSocketUrl is registered again (an ended one's answers 410, as before the restart).
   */
  restore(saved: unknown): void {
    const now = this.now();
    for (const s of savedEcsSchema.parse(saved).sessions) {
      const record: SessionRecord = { ...s, connections: new Map() };
      for (const c of s.connections) record.connections.set(c.id, afterRestart(c, now));
      this.sessions.set(record.sessionId, record);
      this.seq = Math.max(this.seq, record.seq);
      if (record.request.clientToken !== undefined)
        this.tokens.set(`${record.accessKeyId}\n${record.request.clientToken}`, record.sessionId);
      this.openChannel(record);
      if (record.state === "Ended") this.deps.dataPlane.close(record.sessionId, "AgentSocketClosed");
    }
  }

  // ---- admin -----------------------------------------------------------------------------

  snapshot(): unknown {
    const now = this.now();
    return [...this.sessions.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((s) => ({
        sessionId: s.sessionId,
        regionId: s.request.regionId,
        instanceIds: s.request.instanceIds,
        state: s.state,
        active: this.isActive(s, now),
        createdAt: s.createdAt.toISOString(),
        urlExpiresAt: s.urlExpiresAt.toISOString(),
        endedAt: s.endedAt?.toISOString(),
        mode:
          s.request.commandLine !== undefined
            ? "command"
            : s.request.portNumber !== undefined
              ? "port"
              : "shell",
        clientToken: s.request.clientToken,
        connections: [...s.connections.values()].map((c) => ({
          id: c.id,
          status: c.status,
          closedReason: c.closedReason,
          startTime: c.startTime.toISOString(),
          endTime: c.endTime?.toISOString(),
        })),
      }));
  }
}

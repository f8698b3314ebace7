/**
 * The SSM data plane of the local cloud: what stands behind a StreamUrl
 * (`ws://HOST:PORT/v1/data-channel/<SessionId>?role=publish_subscribe`), playing both the
 * Session Manager service and the agent, so the official session-manager-plugin works unchanged.
 *
 * A connection: upgrade (SigV4 verified when an Authorization header is present, service
 * `ssmmessages`), then a text frame with OpenDataChannel and the session's TokenValue, then
 * binary data-channel messages (codec.ts) handled by the session's agent (agent.ts).
 *
 * Refusals and limits (AWS does not document its own; these are ours, docs/protocols/ssm.md lists
 * every one with its text):
 * - a session id that is not valid percent-encoding: HTTP 400; unknown session: HTTP 404; ended
 *   session: HTTP 410 with its end reason;
 * - `role` other than publish_subscribe: HTTP 400; a bad signature: HTTP 403 with AWS's code;
 * - no OpenDataChannel within 10 s, a wrong or expired token: close 1008 with the reason;
 * - a malformed frame: close 1007 with the broken rule (the session stays, it can be resumed);
 *   a message over 16 KiB: close 1009 (the WebSocket layer refuses it unread);
 * - the target offline (admit): close 1008 "TargetNotConnected", the connection reported Failed;
 * - anything else that fails while serving a session ends that session alone: `channel_closed`
 *   and close 1011, both saying InternalError, and one log line.
 *
 * Timing (emulator/dataplane/settings.ts, on the clock): the idle timeout ends a session with no
 * stream data; the periodic close, when set, closes each connection that long after it opened
 * with 1000 "Bye", as the service does about hourly: the session stays, the client resumes.
 * Faults (emulator/dataplane/faults.ts) drop connections and delay or lose stream data messages.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import type { Clock, ClockTimer } from "../../clock";
import type { Credential } from "../../config";
import { verifySigV4 } from "../../protocol/sigv4";
import { secretsEqual } from "../../security/secretsEqual";
import { ApiError } from "../../protocol/apiError";
import { contained, logFailure } from "../failures";
import type { ConnectionFaults, DataPlaneFaults } from "../faults";
import { DEFAULT_SEND_MARKS, WebSocketOutflow, type WaterMarks } from "../outflow";
import type { PlaneSettings } from "../settings";
import { answerSocket } from "../../security/socketRefusal";
import { decodePathSegment, requestTarget, type RequestTarget } from "../upgrade";
import { DEFAULT_AGENT_LIMITS, SessionAgent, type AgentLimits, type AgentSink } from "./agent";
import {
  MalformedMessage,
  MessageType,
  channelClosedMessage,
  decodeMessage,
  parseOpenDataChannel,
} from "./codec";
import type { SsmChannelSpec, SsmChannels } from "./types";

export const DATA_CHANNEL_PREFIX = "/v1/data-channel/";
/** Ended sessions remembered for the 410 answer. */
const ENDED_MEMORY = 1000;
/**
 * A data-channel message is a 120-byte header and at most 1024 bytes of stream payload; the
 * handshake and OpenDataChannel JSON are a few hundred bytes. 16 KiB leaves room and no more.
 */
const MAX_MESSAGE_BYTES = 16 * 1024;
/** What `channel_closed` and the close frame say when serving a session failed unexpectedly. */
export const INTERNAL_ERROR = "InternalError: the local cloud failed serving this session";
/**
 * How the service's periodic close shows up: `websocket: close 1000 (normal): Bye` in the official
 * plugin's and agent's logs (aws/session-manager-plugin#135); both reconnect after it.
 */
export const PERIODIC_CLOSE = { code: 1000, reason: "Bye" } as const;

/** One session's bounds: the agent's, how long a connection may stay silent, how much it may owe. */
export interface SsmLimits extends AgentLimits {
  /** A new connection must send OpenDataChannel within this. */
  openTimeoutMs: number;
  /** Bytes queued towards a client above which the session's sources pause. */
  sendMarks: WaterMarks;
}

export const DEFAULT_SSM_LIMITS: SsmLimits = {
  ...DEFAULT_AGENT_LIMITS,
  openTimeoutMs: 10_000,
  sendMarks: DEFAULT_SEND_MARKS,
};

export interface SsmDataPlaneOptions {
  /** `ws://127.0.0.1:PORT`, read when a URL is made (the port is known only after listen). */
  baseUrl(): string;
  /** Keys that may sign the upgrade; read per connection. */
  credentials(): readonly Credential[];
  /** Token expiry. */
  clock: Clock;
  /** Signature freshness (the real time, like the API's). */
  authClock: Clock;
  /** Overrides of the limits (tests use small ones). */
  limits?: Partial<SsmLimits>;
  /** The idle timeout and periodic close in force, read per use; absent: the spec's idle timeout, no periodic close. */
  settings?: () => PlaneSettings;
  /** The admin API's data-plane faults. */
  faults?: DataPlaneFaults;
}

interface Entry {
  spec: SsmChannelSpec;
  agent: SessionAgent;
  /** The one live connection (AWS keeps one data channel per session). */
  current?: { ws: WebSocket; id: string };
  /**
   * A connection dropped by a fault: the service did not see it go (no close frame), so it is
   * reported Disconnected only once the next connection takes over.
   */
  unnoticed?: string;
  /** Set by close(): the last acknowledgements still reach the agent, new connections do not. */
  ending?: boolean;
}

const TEXT = "text/plain; charset=utf-8";

export class SsmDataPlane implements SsmChannels {
  private readonly sessions = new Map<string, Entry>();
  private readonly ended = new Map<string, string>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly limits: SsmLimits;

  constructor(private readonly options: SsmDataPlaneOptions) {
    this.limits = { ...DEFAULT_SSM_LIMITS, ...options.limits };
  }

  open(spec: SsmChannelSpec): { url: string } {
    const existing = this.sessions.get(spec.sessionId);
    if (existing) {
      // ResumeSession: a new token for the same URL; the agent and its state carry over.
      existing.spec = spec;
      existing.current?.ws.close(1000, "Session resumed on another connection");
    } else {
      const settings = this.options.settings;
      const agent: SessionAgent = new SessionAgent({
        sessionId: spec.sessionId,
        target: spec.target,
        kind: spec.kind,
        // A getter: a setting changed through the admin API applies to the next countdown.
        get idleTimeoutMs() {
          return settings?.().idleTimeoutMs ?? spec.idleTimeoutMs;
        },
        clock: this.options.clock,
        limits: this.limits,
        onFinished: (reason) => {
          const entry = this.sessions.get(spec.sessionId);
          entry?.spec.onConnectionState(entry.current?.id ?? "agent", "Terminated", reason);
        },
        onFailure: (err) => this.failSession(spec.sessionId, undefined, err),
      });
      this.sessions.set(spec.sessionId, { spec, agent });
    }
    const url = `${this.options.baseUrl()}${DATA_CHANNEL_PREFIX}${encodeURIComponent(spec.sessionId)}?role=publish_subscribe`;
    return { url };
  }

  close(sessionId: string, reason: string): void {
    const entry = this.sessions.get(sessionId);
    if (!entry || entry.ending) return;
    entry.ending = true;
    this.remember(sessionId, reason);
    const output = reason === "TerminateSession" || reason === "ChannelEnded" ? "" : reason;
    entry.agent
      .finish(output)
      .then(() => {
        if (this.sessions.get(sessionId) === entry) this.sessions.delete(sessionId);
        entry.current?.ws.close(1000, truncate(`Session ended: ${reason}`));
      })
      .catch((err: unknown) => this.failSession(sessionId, undefined, err));
  }

  /**
   * Takes `/v1/data-channel/` upgrades; returns false for any other path. Never throws: a
   * request it cannot serve gets an HTTP answer with a one-line reason.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const target = requestTarget(req);
    if (!target.path.startsWith(DATA_CHANNEL_PREFIX)) return false;
    try {
      this.upgrade(req, socket, head, target);
    } catch (err) {
      logFailure("SSM data plane upgrade", err);
      answerSocket(socket, 500, TEXT, "The local cloud failed to accept this connection.\n");
    }
    return true;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, { path, query }: RequestTarget): void {
    const refuse = (status: number, text: string) => answerSocket(socket, status, TEXT, `${text}\n`);
    const sessionId = decodePathSegment(path.slice(DATA_CHANNEL_PREFIX.length));
    if (sessionId === undefined)
      return refuse(400, "The session id in the path is not valid percent-encoding");
    if (query.get("role") !== "publish_subscribe") return refuse(400, "role must be publish_subscribe");
    if (req.headers.authorization !== undefined) {
      try {
        verifySigV4(
          { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.alloc(0) },
          {
            credentials: this.options.credentials(),
            service: "ssmmessages",
            now: this.options.authClock.now(),
            credentialsNow: this.options.clock.now(),
          },
        );
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        return refuse(403, `${err.code}: ${err.message}`);
      }
    }
    if (!this.sessions.has(sessionId) || this.sessions.get(sessionId)?.ending) {
      const endedReason = this.ended.get(sessionId);
      if (endedReason !== undefined) return refuse(410, `Session ${sessionId} has ended: ${endedReason}`);
      return refuse(404, `Session ${sessionId} does not exist`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        this.serve(sessionId, ws, socket);
      } catch (err) {
        this.failSession(sessionId, ws, err);
      }
    });
  }

  async shutdown(): Promise<void> {
    for (const [sessionId, entry] of this.sessions) {
      entry.agent.destroy();
      entry.current?.ws.close(1001, "local cloud stopped");
      this.remember(sessionId, "local cloud stopped");
    }
    this.sessions.clear();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private serve(sessionId: string, ws: WebSocket, socket: Duplex): void {
    const id = randomUUID();
    let opened = false;
    let faults: ConnectionFaults | undefined;
    let periodicClose: ClockTimer | undefined;
    /** Why the connection ended, when the service ended it: reported as the Disconnected reason. */
    let endedBy: "dropped" | "PeriodicClose" | undefined;
    // Every listener and timer of this connection: what it throws ends this session only.
    const guard = <A extends unknown[]>(fn: (...args: A) => void) =>
      contained(
        () => `SSM session ${sessionId}`,
        fn,
        (err) => this.failSession(sessionId, ws, err),
      );
    const openTimer = setTimeout(
      guard(() =>
        ws.close(1008, `OpenDataChannel expected within ${this.limits.openTimeoutMs / 1000} seconds`),
      ),
      this.limits.openTimeoutMs,
    );
    const flowChanged = guard(() => this.sessions.get(sessionId)?.agent.sinkChanged());
    const outflow = new WebSocketOutflow(ws, socket, this.limits.sendMarks, {
      onFull: flowChanged,
      onDrained: flowChanged,
    });
    const sink: AgentSink = {
      send: (frame) => {
        faults?.carried(frame.length);
        if (faults && this.faulted(frame)) faults.frame("toClient", () => outflow.send(frame));
        else outflow.send(frame);
      },
      get congested() {
        return outflow.congested;
      },
    };

    ws.on(
      "message",
      guard((data: RawData, isBinary: boolean) => {
        const entry = this.sessions.get(sessionId);
        if (!entry) return;
        const frame = toBuffer(data);
        if (!opened) {
          clearTimeout(openTimer);
          if (entry.ending) return ws.close(1008, "Session has ended");
          if (isBinary) return ws.close(1008, "OpenDataChannel expected as the first (text) frame");
          const reason = this.checkOpen(entry, frame.toString("utf8"));
          if (reason) return ws.close(1008, truncate(reason));
          const refused = entry.spec.admit?.();
          if (refused) {
            entry.spec.onConnectionState(id, "Failed", refused);
            return ws.close(1008, truncate(refused));
          }
          opened = true;
          entry.current?.ws.close(1000, "Replaced by a newer connection");
          entry.current = { ws, id };
          entry.spec.onConnectionState(id, "Connected");
          if (entry.unnoticed !== undefined)
            entry.spec.onConnectionState(entry.unnoticed, "Disconnected", "ConnectionLost");
          entry.unnoticed = undefined;
          faults = this.options.faults?.watch({
            plane: "ssm",
            sessionId,
            drop: () => {
              endedBy = "dropped";
              ws.terminate();
            },
          });
          const periodic = this.options.settings?.().periodicCloseMs;
          if (periodic !== undefined)
            periodicClose = this.options.clock.setTimeout(
              guard(() => {
                endedBy = "PeriodicClose";
                ws.close(PERIODIC_CLOSE.code, PERIODIC_CLOSE.reason);
              }),
              periodic,
            );
          entry.agent.attach(sink);
          return;
        }
        if (entry.current?.ws !== ws) return;
        if (!isBinary) return this.drop(entry, ws, sink, "text frame after OpenDataChannel");
        faults?.carried(frame.length);
        if (!faults || !this.faulted(frame)) return this.toAgent(entry, ws, sink, frame);
        faults.frame(
          "toAgent",
          guard(() => {
            if (this.sessions.get(sessionId) === entry && entry.current?.ws === ws)
              this.toAgent(entry, ws, sink, frame);
          }),
        );
      }),
    );
    // ws reports a broken WebSocket frame (too big, bad UTF-8) here and closes with its code.
    ws.on("error", () => undefined);
    ws.on(
      "close",
      guard(() => {
        clearTimeout(openTimer);
        faults?.close();
        periodicClose?.clear();
        const entry = this.sessions.get(sessionId);
        if (!entry || entry.current?.ws !== ws) return;
        entry.agent.detach(sink);
        if (entry.ending) return;
        entry.current = undefined;
        if (endedBy === "dropped") entry.unnoticed = id;
        else entry.spec.onConnectionState(id, "Disconnected", endedBy ?? "ClientDisconnected");
      }),
    );
  }

  private toAgent(entry: Entry, ws: WebSocket, sink: AgentSink, frame: Buffer): void {
    try {
      entry.agent.receive(frame);
    } catch (err) {
      if (!(err instanceof MalformedMessage)) throw err;
      this.drop(entry, ws, sink, err.reason);
    }
  }

  /** Whether frame faults apply: only to stream data messages (a malformed frame goes on to be refused). */
  private faulted(frame: Buffer): boolean {
    return this.options.faults?.hasFrameRules === true && isStreamData(frame);
  }

  private checkOpen(entry: Entry, text: string): string | undefined {
    let token: string;
    try {
      token = parseOpenDataChannel(text).TokenValue;
    } catch (err) {
      if (err instanceof MalformedMessage) return err.reason;
      throw err;
    }
    if (!secretsEqual(token, entry.spec.token)) return "TokenValue is not valid for this session";
    if (this.options.clock.now() >= entry.spec.tokenExpiresAt)
      return "TokenValue has expired: call ResumeSession for a new one";
    return undefined;
  }

  /** A protocol violation closes this connection only; the session can be resumed. */
  private drop(entry: Entry, ws: WebSocket, sink: AgentSink, reason: string): void {
    entry.agent.detach(sink);
    const id = entry.current?.id ?? "";
    entry.current = undefined;
    entry.spec.onConnectionState(id, "Disconnected", "MessageFormatInvalid");
    ws.close(1007, truncate(`Invalid message: ${reason}`));
  }

  /**
   * Something failed that no rule of the protocol explains: the session ends at once (its state
   * may be half-changed), the client is told (`channel_closed`, then close 1011), the failure is
   * logged, and every other session goes on.
   */
  private failSession(sessionId: string, ws: WebSocket | undefined, err: unknown): void {
    logFailure(`SSM session ${sessionId}`, err);
    const entry = this.sessions.get(sessionId);
    const socket = ws ?? entry?.current?.ws;
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(channelClosedMessage(sessionId, entry?.spec.target ?? "", INTERNAL_ERROR, Date.now()));
      socket.close(1011, INTERNAL_ERROR);
    }
    if (!entry) return;
    this.sessions.delete(sessionId);
    entry.ending = true;
    entry.agent.destroy();
    this.remember(sessionId, "InternalError");
    const id = entry.current?.id ?? "agent";
    entry.current = undefined;
    try {
      entry.spec.onConnectionState(id, "Terminated", "InternalError");
    } catch (again) {
      logFailure(`SSM session ${sessionId}`, again);
    }
  }

  private remember(sessionId: string, reason: string): void {
    this.ended.set(sessionId, reason);
    if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.keys().next().value as string);
  }
}

/** WebSocket close reasons are at most 123 bytes. */
function truncate(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

function isStreamData(frame: Buffer): boolean {
  try {
    const type = decodeMessage(frame).messageType;
    return type === MessageType.input || type === MessageType.output;
  } catch (err) {
    if (err instanceof MalformedMessage) return false;
    throw err;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

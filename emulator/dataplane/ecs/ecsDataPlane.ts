/**
 * The ECS Session Manager data plane: where a TerminalSession's WebSocketUrl leads, speaking the
 * protocol of Alibaba Cloud's Session Manager client (`ali-instance-cli`). Frames: frames.ts;
 * what each connection does and how it ends: connection.ts; docs/protocols/ecs.md has it all.
 *
 * URL: ws://127.0.0.1:PORT/session?sessionId=<SessionId>&token=<SecurityToken>, the seed's shape
 *      (the client rewrites `sessionid` to `sessionId`; both spellings are read). The token may
 *      instead come in the `x-acs-session-token` header, which the client sends empty in URL mode.
 *
 * Handshake refusals (plain HTTP answers with a JSON {Code, Message}, no upgrade):
 *   404 InvalidSessionId.NotFound   no such session
 *   403 InvalidToken                wrong or missing token
 *   410 SessionEnded                the session was ended (EndTerminalSession)
 *   410 WebSocketUrl.Expired        the URL is older than 10 minutes (live connections go on)
 *   500 InternalError               accepting the connection failed unexpectedly (logged)
 * The token is checked first, in constant time, and a wrong one leaves no trace: anybody can knock,
 * and a knock must not grow the session's records (nor rewrite the state file). A refusal with
 * the right token (ended, expired) is recorded as a Failed connection (ClosedReason SessionEnded or
 * WebSocketUrlExpired), so DescribeTerminalSessions shows the attempt.
 *
 * Bandwidth: when the spec sets `bandwidthBytesPerSec` (ECS: 200 KB/s), each direction of a
 * session is a token bucket (one second of burst) shared by its connections; the client is told
 * the rate (status 7) when a connection comes up.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Clock } from "../../clock";
import type { DataPlaneFaults } from "../faults";
import type { PlaneSettings } from "../settings";
import { secretsEqual } from "../../security/secretsEqual";
import { logFailure } from "../failures";
import { DEFAULT_SEND_MARKS } from "../outflow";
import { TokenBucket } from "../tokenBucket";
import type { EcsChannelSpec, EcsChannels } from "../types";
import { answerSocket } from "../../security/socketRefusal";
import { requestTarget } from "../upgrade";
import { EcsConnection, type EcsChannel, type EcsConnectionLimits } from "./connection";

export interface EcsDataPlaneOptions {
  clock: Clock;
  /** `ws://127.0.0.1:PORT`: known only once the server listens, hence a function. */
  baseUrl: () => string;
  /**
   * The idle timeout and periodic close in force (`/_admin/dataplane/settings`), read per use;
   * absent: each channel's own idle timeout, no periodic close.
   */
  settings?: () => PlaneSettings;
  /** The admin API's data-plane faults. */
  faults?: DataPlaneFaults;
  /** Overrides every channel's bandwidth limit (bytes per second per direction). */
  bandwidthBytesPerSec?: number;
  /** Overrides of the connection limits (tests use small ones). */
  limits?: Partial<EcsConnectionLimits>;
}

/**
 * A frame is a 30-byte header, two ids of at most 255 bytes and a payload: the official client
 * sends at most 2048 bytes of input, a size of 4. 16 KiB leaves room and no more.
 */
const MAX_FRAME_BYTES = 16 * 1024;

export const DEFAULT_ECS_LIMITS: EcsConnectionLimits = {
  // Port forwarding opens one connection per local TCP connection; each holds a socket or a process.
  maxConnectionsPerSession: 128,
  sendMarks: DEFAULT_SEND_MARKS,
};

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  answerSocket(socket, status, "application/json", JSON.stringify({ Code: code, Message: message }));
}

export class EcsDataPlane implements EcsChannels {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly channels = new Map<string, EcsChannel>();
  private readonly limits: EcsConnectionLimits;

  constructor(private readonly options: EcsDataPlaneOptions) {
    this.limits = { ...DEFAULT_ECS_LIMITS, ...options.limits };
  }

  open(spec: EcsChannelSpec): { url: string } {
    const rate = this.options.bandwidthBytesPerSec ?? spec.bandwidthBytesPerSec;
    this.channels.set(spec.sessionId, {
      spec,
      ended: false,
      connections: new Set(),
      rate,
      down: rate === undefined ? undefined : new TokenBucket(rate),
      up: rate === undefined ? undefined : new TokenBucket(rate),
    });
    const query = new URLSearchParams({ sessionId: spec.sessionId, token: spec.token });
    return { url: `${this.options.baseUrl()}/session?${query.toString()}` };
  }

  close(sessionId: string, reason: string): void {
    const channel = this.channels.get(sessionId);
    if (!channel) return;
    channel.ended = true;
    for (const c of [...channel.connections]) c.terminate(reason);
  }

  /**
   * Handles an HTTP upgrade; returns false when the path is not a session URL (caller answers).
   * Never throws: a request it cannot serve gets an HTTP answer with a one-line reason.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const { path, query } = requestTarget(req);
    if (path !== "/session") return false;
    try {
      this.upgrade(req, socket, head, query);
    } catch (err) {
      logFailure("ECS data plane upgrade", err);
      refuse(socket, 500, "InternalError", "The local cloud failed to accept this connection.");
    }
    return true;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): void {
    const sessionId = query.get("sessionId") ?? query.get("sessionid");
    const channel = sessionId === null ? undefined : this.channels.get(sessionId);
    if (!channel) {
      return refuse(socket, 404, "InvalidSessionId.NotFound", "The specified session does not exist.");
    }
    const header = req.headers["x-acs-session-token"];
    const headerToken = (Array.isArray(header) ? header[0] : header) || undefined;
    const token = query.get("token") ?? headerToken;
    // Before anything is recorded: a wrong token leaves the session's records as they were.
    if (token === undefined || !secretsEqual(token, channel.spec.token)) {
      return refuse(socket, 403, "InvalidToken", "The token does not match the session.");
    }
    if (channel.ended) {
      this.recordRefusal(channel, "SessionEnded");
      return refuse(socket, 410, "SessionEnded", "The session has been ended.");
    }
    if (this.options.clock.now() >= channel.spec.urlExpiresAt) {
      this.recordRefusal(channel, "WebSocketUrlExpired");
      return refuse(
        socket,
        410,
        "WebSocketUrl.Expired",
        "The WebSocket URL is valid for 10 minutes; it has expired.",
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(channel, ws, socket));
  }

  private accept(channel: EcsChannel, ws: WebSocket, socket: Duplex): void {
    const { settings, clock, faults } = this.options;
    const timing = {
      clock,
      faults,
      idleTimeoutMs: () => settings?.().idleTimeoutMs ?? channel.spec.idleTimeoutMs,
      periodicCloseMs: settings?.().periodicCloseMs,
    };
    const conn = new EcsConnection(channel, { ws, socket }, timing, this.limits, (c) =>
      channel.connections.delete(c),
    );
    channel.connections.add(conn);
    try {
      conn.start();
    } catch (err) {
      conn.fail(err);
    }
  }

  /** A refused handshake still leaves a trace in the session's records. */
  private recordRefusal(channel: EcsChannel, reason: string): void {
    // Random, not a counter: ids must not repeat those of records kept across a restart.
    const id = `c-refused-${randomBytes(6).toString("hex")}`;
    channel.spec.onConnectionState(id, "Connecting");
    channel.spec.onConnectionState(id, "Failed", reason);
  }

  /** Closes every connection (reported Disconnected) and the WebSocket server. */
  async shutdown(): Promise<void> {
    for (const ch of this.channels.values()) {
      ch.ended = true;
      for (const c of [...ch.connections]) c.shutdown();
    }
    this.channels.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

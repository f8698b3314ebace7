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
 * Each refusal on a known session is recorded as a Failed connection (ClosedReason TokenInvalid,
 * SessionEnded or WebSocketUrlExpired), so DescribeTerminalSessions shows the attempt.
 *
 * Bandwidth: when the spec sets `bandwidthBytesPerSec` (ECS: 200 KB/s), each direction of a
 * session is a token bucket (one second of burst) shared by its connections; the client is told
 * the rate (status 7) when a connection comes up.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Clock } from "../../clock";
import { TokenBucket } from "../tokenBucket";
import type { ChannelSpec, DataPlane } from "../types";
import { EcsConnection, type EcsChannel } from "./connection";

export interface EcsDataPlaneOptions {
  clock: Clock;
  /** `ws://127.0.0.1:PORT`: known only once the server listens, hence a function. */
  baseUrl: () => string;
  /** Overrides every channel's idle timeout (tests use a few hundred ms instead of 3 minutes). */
  idleTimeoutMs?: number;
  /** Overrides every channel's bandwidth limit (bytes per second per direction). */
  bandwidthBytesPerSec?: number;
}

/** A frame is at most a 30-byte header, two 255-byte ids and a payload well under 64 KiB. */
const MAX_FRAME_BYTES = 64 * 1024;

function refuse(socket: Duplex, status: number, text: string, code: string, message: string): void {
  const body = JSON.stringify({ Code: code, Message: message });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

export class EcsDataPlane implements DataPlane {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly channels = new Map<string, EcsChannel>();

  constructor(private readonly options: EcsDataPlaneOptions) {}

  open(spec: ChannelSpec): { url: string } {
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

  /** Handles an HTTP upgrade; returns false when the path is not a session URL (caller answers). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/session") return false;
    const sessionId = url.searchParams.get("sessionId") ?? url.searchParams.get("sessionid");
    const channel = sessionId === null ? undefined : this.channels.get(sessionId);
    if (!channel) {
      refuse(socket, 404, "Not Found", "InvalidSessionId.NotFound", "The specified session does not exist.");
      return true;
    }
    const header = req.headers["x-acs-session-token"];
    const headerToken = (Array.isArray(header) ? header[0] : header) || undefined;
    const token = url.searchParams.get("token") ?? headerToken;
    if (token !== channel.spec.token) {
      this.recordRefusal(channel, "TokenInvalid");
      refuse(socket, 403, "Forbidden", "InvalidToken", "The token does not match the session.");
      return true;
    }
    if (channel.ended) {
      this.recordRefusal(channel, "SessionEnded");
      refuse(socket, 410, "Gone", "SessionEnded", "The session has been ended.");
      return true;
    }
    if (this.options.clock.now() >= channel.spec.urlExpiresAt) {
      this.recordRefusal(channel, "WebSocketUrlExpired");
      refuse(
        socket,
        410,
        "Gone",
        "WebSocketUrl.Expired",
        "The WebSocket URL is valid for 10 minutes; it has expired.",
      );
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const idle = this.options.idleTimeoutMs ?? channel.spec.idleTimeoutMs;
      const conn = new EcsConnection(channel, ws, idle, (c) => channel.connections.delete(c));
      channel.connections.add(conn);
      conn.start();
    });
    return true;
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

/**
 * The SSM data plane of the local cloud: what stands behind a StreamUrl
 * (`ws://HOST:PORT/v1/data-channel/<SessionId>?role=publish_subscribe`), playing both the
 * Session Manager service and the agent, so the official session-manager-plugin works unchanged.
 *
 * A connection: upgrade (SigV4 verified when an Authorization header is present, service
 * `ssmmessages`), then a text frame with OpenDataChannel and the session's TokenValue, then
 * binary data-channel messages (codec.ts) handled by the session's agent (agent.ts).
 *
 * Refusals (AWS does not document its own; these are ours, see docs/protocols/ssm.md):
 * - unknown session: HTTP 404 at the upgrade; ended session: HTTP 410 with its end reason;
 * - `role` other than publish_subscribe: HTTP 400; a bad signature: HTTP 403 with AWS's code;
 * - no OpenDataChannel within 10 s, a wrong or expired token: close 1008 with the reason;
 * - a malformed frame: close 1007 with the broken rule (the session stays, it can be resumed);
 * - the target offline (admit): close 1008 "TargetNotConnected", the connection reported Failed.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Clock } from "../../clock";
import type { Credential } from "../../config";
import { verifySigV4 } from "../../protocol/sigv4";
import { ApiError } from "../../services/types";
import { SessionAgent } from "./agent";
import { MalformedMessage, parseOpenDataChannel } from "./codec";
import type { SsmChannelSpec, SsmChannels } from "./types";

export const DATA_CHANNEL_PREFIX = "/v1/data-channel/";
const OPEN_TIMEOUT_MS = 10_000;
/** Ended sessions remembered for the 410 answer. */
const ENDED_MEMORY = 1000;
/** A data-channel message is at most a 120-byte header and a small payload. */
const MAX_FRAME_BYTES = 1024 * 1024;

export interface SsmDataPlaneOptions {
  /** `ws://127.0.0.1:PORT`, read when a URL is made (the port is known only after listen). */
  baseUrl(): string;
  /** Keys that may sign the upgrade; read per connection. */
  credentials(): readonly Credential[];
  /** Token expiry. */
  clock: Clock;
  /** Signature freshness (the real time, like the API's). */
  authClock: Clock;
}

interface Entry {
  spec: SsmChannelSpec;
  agent: SessionAgent;
  /** The one live connection (AWS keeps one data channel per session). */
  current?: { ws: WebSocket; id: string };
  /** Set by close(): the last acknowledgements still reach the agent, new connections do not. */
  ending?: boolean;
}

export class SsmDataPlane implements SsmChannels {
  private readonly sessions = new Map<string, Entry>();
  private readonly ended = new Map<string, string>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  constructor(private readonly options: SsmDataPlaneOptions) {}

  open(spec: SsmChannelSpec): { url: string } {
    const existing = this.sessions.get(spec.sessionId);
    if (existing) {
      // ResumeSession: a new token for the same URL; the agent and its state carry over.
      existing.spec = spec;
      existing.current?.ws.close(1000, "Session resumed on another connection");
    } else {
      const agent: SessionAgent = new SessionAgent({
        sessionId: spec.sessionId,
        target: spec.target,
        kind: spec.kind,
        idleTimeoutMs: spec.idleTimeoutMs,
        onFinished: (reason) => {
          const entry = this.sessions.get(spec.sessionId);
          entry?.spec.onConnectionState(entry.current?.id ?? "agent", "Terminated", reason);
        },
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
    void entry.agent.finish(output).then(() => {
      if (this.sessions.get(sessionId) === entry) this.sessions.delete(sessionId);
      entry.current?.ws.close(1000, truncate(`Session ended: ${reason}`));
    });
  }

  /** Takes `/v1/data-channel/` upgrades; returns false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://local");
    if (!url.pathname.startsWith(DATA_CHANNEL_PREFIX)) return false;
    const sessionId = decodeURIComponent(url.pathname.slice(DATA_CHANNEL_PREFIX.length));
    const refuse = (status: number, text: string) =>
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${text}\n`,
      );

    if (url.searchParams.get("role") !== "publish_subscribe") {
      refuse(400, "role must be publish_subscribe");
      return true;
    }
    if (req.headers.authorization !== undefined) {
      try {
        verifySigV4(
          { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.alloc(0) },
          {
            credentials: this.options.credentials(),
            service: "ssmmessages",
            now: this.options.authClock.now(),
          },
        );
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        refuse(403, `${err.code}: ${err.message}`);
        return true;
      }
    }
    if (!this.sessions.has(sessionId) || this.sessions.get(sessionId)?.ending) {
      const endedReason = this.ended.get(sessionId);
      if (endedReason !== undefined) refuse(410, `Session ${sessionId} has ended: ${endedReason}`);
      else refuse(404, `Session ${sessionId} does not exist`);
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(sessionId, ws));
    return true;
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

  private serve(sessionId: string, ws: WebSocket): void {
    const id = randomUUID();
    let opened = false;
    const openTimer = setTimeout(
      () => ws.close(1008, "OpenDataChannel expected within 10 seconds"),
      OPEN_TIMEOUT_MS,
    );
    const sink = { send: (frame: Buffer) => ws.readyState === ws.OPEN && ws.send(frame) };

    ws.on("message", (data: RawData, isBinary: boolean) => {
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
        entry.agent.attach(sink);
        return;
      }
      if (entry.current?.ws !== ws) return;
      if (!isBinary) return this.drop(entry, ws, sink, "text frame after OpenDataChannel");
      try {
        entry.agent.receive(frame);
      } catch (err) {
        if (!(err instanceof MalformedMessage)) throw err;
        this.drop(entry, ws, sink, err.reason);
      }
    });
    ws.on("error", () => undefined);
    ws.on("close", () => {
      clearTimeout(openTimer);
      const entry = this.sessions.get(sessionId);
      if (!entry || entry.current?.ws !== ws) return;
      entry.agent.detach(sink);
      if (entry.ending) return;
      entry.current = undefined;
      entry.spec.onConnectionState(id, "Disconnected", "ClientDisconnected");
    });
  }

  private checkOpen(entry: Entry, text: string): string | undefined {
    let token: string;
    try {
      token = parseOpenDataChannel(text).TokenValue;
    } catch (err) {
      if (err instanceof MalformedMessage) return err.reason;
      throw err;
    }
    if (token !== entry.spec.token) return "TokenValue is not valid for this session";
    if (this.options.clock.now() >= entry.spec.tokenExpiresAt)
      return "TokenValue has expired: call ResumeSession for a new one";
    return undefined;
  }

  /** A protocol violation closes this connection only; the session can be resumed. */
  private drop(entry: Entry, ws: WebSocket, sink: { send(frame: Buffer): void }, reason: string): void {
    entry.agent.detach(sink);
    const id = entry.current?.id ?? "";
    entry.current = undefined;
    entry.spec.onConnectionState(id, "Disconnected", "MessageFormatInvalid");
    ws.close(1007, truncate(`Invalid message: ${reason}`));
  }

  private remember(sessionId: string, reason: string): void {
    this.ended.set(sessionId, reason);
    if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.keys().next().value as string);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  410: "Gone",
};

/** WebSocket close reasons are at most 123 bytes. */
function truncate(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

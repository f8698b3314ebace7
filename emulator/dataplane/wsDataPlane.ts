/**
 * The WebSocket data plane: where a session's WebSocketUrl leads.
 *
 * URL:  ws://127.0.0.1:PORT/session/<sessionId>?token=<SecurityToken>
 *       (the token may instead come in an `x-session-token` header).
 *
 * Handshake refusals (plain HTTP answers, no upgrade):
 *   404 unknown session, 403 wrong or missing token, 410 session ended or URL expired
 *   (new connections are accepted only until `urlExpiresAt`; live ones continue).
 *
 * Frames once connected:
 *   binary, both ways      raw bytes: client -> stdin / TCP target; stdout+stderr / TCP target -> client.
 *   text, client -> server JSON control: {"type":"eof"} closes the input side; {"type":"resize",
 *                          "cols":N,"rows":N} is accepted and ignored (no pty). Anything else fails
 *                          the connection with ClosedReason MessageFormatInvalid (close code 4400).
 *   text, server -> client {"type":"exit","exitCode":N} once a command or shell exits, just before
 *                          the close.
 * Close codes: 1000 the far end finished (command exited, target closed the socket);
 *   4001 idle timeout (no data either way); 4002 session ended (EndTerminalSession);
 *   4003 refused after upgrade (reason, e.g. AgentNotOnline, in the close reason);
 *   4400 bad control message; 1011 the target could not be reached.
 *
 * Bandwidth: when the spec sets `bandwidthBytesPerSec` (ECS: 200 KB/s), each direction of a
 * session is a token bucket (one second of burst); over budget, reading pauses (the child's
 * stdout / the TCP socket / the WebSocket) until it refills, so backpressure reaches the sender.
 *
 * Each connection reports Connecting -> Connected -> Disconnected | Terminated | Failed to its
 * session's `onConnectionState`, with a ClosedReason from the ECS vocabulary.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import type { Clock } from "../clock";
import { openPipe, type Pipe } from "./pipes";
import { TokenBucket } from "./tokenBucket";
import type { ChannelSpec, ChannelState, DataPlane } from "./types";

export interface WsDataPlaneOptions {
  clock: Clock;
  /** `ws://127.0.0.1:PORT`: known only once the server listens, hence a function. */
  baseUrl: () => string;
  /** Overrides every channel's idle timeout (tests use a few hundred ms instead of 3 minutes). */
  idleTimeoutMs?: number;
  /** Overrides every channel's bandwidth limit (bytes per second per direction). */
  bandwidthBytesPerSec?: number;
}

interface Channel {
  spec: ChannelSpec;
  ended: boolean;
  connections: Set<Connection>;
  /** Shared by the session's connections: the limit is per session. Absent: unlimited. */
  down?: TokenBucket;
  up?: TokenBucket;
}

/** One accepted WebSocket and what it is wired to. */
class Connection {
  readonly id = `c-${randomBytes(8).toString("hex")}`;
  private pipe?: Pipe;
  private idleTimer?: NodeJS.Timeout;
  private finished = false;
  /** Output held back by the bandwidth limit, sent in order; the end waits behind it. */
  private outbound: Promise<void> = Promise.resolve();
  private held = 0;

  constructor(
    private readonly channel: Channel,
    private readonly ws: WebSocket,
    private readonly idleTimeoutMs: number,
    private readonly onFinished: (c: Connection) => void,
  ) {}

  start(): void {
    const { spec } = this.channel;
    this.report("Connecting");
    const refusal = spec.admit?.();
    if (refusal !== undefined) {
      this.finish("Failed", refusal, 4003, refusal);
      return;
    }
    this.ws.on("message", (data: RawData, isBinary: boolean) => this.fromClient(data, isBinary));
    this.ws.on("close", () => this.finish("Disconnected", "ClientClosed"));
    this.ws.on("error", () => this.finish("Disconnected", "ClientClosed"));
    this.pipe = openPipe(
      spec.mode,
      {
        onReady: () => {
          if (this.finished) return;
          this.report("Connected");
          this.touch();
        },
        onData: (chunk) => this.toClient(chunk),
        onEnd: (exitCode) =>
          this.afterOutput(() => {
            if (spec.mode.kind !== "port" && this.ws.readyState === WebSocket.OPEN) {
              this.ws.send(JSON.stringify({ type: "exit", exitCode }));
            }
            this.finish("Disconnected", "AgentSocketClosed", 1000, "AgentSocketClosed");
          }),
        onError: () => this.finish("Failed", "DeliveryTimeout", 1011, "DeliveryTimeout"),
      },
      spec.sessionId,
    );
  }

  /** Ends the connection because its session ended. */
  terminate(reason: string): void {
    this.finish("Terminated", reason, 4002, "SessionEnded");
  }

  private fromClient(data: RawData, isBinary: boolean): void {
    this.touch();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      this.pipe?.write(buf);
      this.throttleInput(buf.length);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(buf.toString("utf8"));
    } catch {
      msg = undefined;
    }
    const type = typeof msg === "object" && msg !== null ? (msg as { type?: unknown }).type : undefined;
    if (type === "eof") this.pipe?.endInput();
    else if (type === "resize") return;
    else this.finish("Failed", "MessageFormatInvalid", 4400, "MessageFormatInvalid");
  }

  /**
   * Output towards the client. Within the session's bandwidth it goes at once; over it, the chunk
   * waits until its turn and reading from the far end pauses meanwhile (backpressure).
   */
  private toClient(chunk: Buffer): void {
    this.touch();
    const wait = this.channel.down?.take(chunk.length) ?? 0;
    const send = () => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(chunk, { binary: true });
    };
    if (wait === 0 && this.held === 0) {
      send();
      return;
    }
    const due = Date.now() + wait;
    this.held++;
    this.pipe?.pause();
    this.outbound = this.outbound
      .then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now()))))
      .then(() => {
        send();
        this.touch();
        if (--this.held === 0 && !this.finished) this.pipe?.resume();
      });
  }

  /** Runs `fn` once the output held back by the bandwidth limit has been sent. */
  private afterOutput(fn: () => void): void {
    this.outbound = this.outbound.then(fn);
  }

  /** Input from the client over the bandwidth: stop reading the WebSocket until the bucket refills. */
  private throttleInput(bytes: number): void {
    const wait = this.channel.up?.take(bytes) ?? 0;
    if (wait === 0 || this.finished) return;
    this.ws.pause();
    setTimeout(() => {
      if (!this.finished) this.ws.resume();
    }, wait).unref();
  }

  /** Any data either way restarts the idle countdown. */
  private touch(): void {
    if (this.finished) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () => this.finish("Disconnected", "DeliveryTimeout", 4001, "IdleTimeout"),
      this.idleTimeoutMs,
    );
    this.idleTimer.unref();
  }

  private report(state: ChannelState, reason?: string): void {
    this.channel.spec.onConnectionState(this.id, state, reason);
  }

  private finish(state: ChannelState, reason: string, closeCode?: number, closeReason?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.report(state, reason);
    this.pipe?.destroy();
    if (closeCode !== undefined && this.ws.readyState === WebSocket.OPEN)
      this.ws.close(closeCode, closeReason);
    else if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    this.onFinished(this);
  }
}

function refuse(socket: Duplex, status: number, text: string, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

export class WsDataPlane implements DataPlane {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly options: WsDataPlaneOptions) {}

  open(spec: ChannelSpec): { url: string } {
    const rate = this.options.bandwidthBytesPerSec ?? spec.bandwidthBytesPerSec;
    this.channels.set(spec.sessionId, {
      spec,
      ended: false,
      connections: new Set(),
      down: rate === undefined ? undefined : new TokenBucket(rate),
      up: rate === undefined ? undefined : new TokenBucket(rate),
    });
    const id = encodeURIComponent(spec.sessionId);
    return { url: `${this.options.baseUrl()}/session/${id}?token=${encodeURIComponent(spec.token)}` };
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
    const m = /^\/session\/([^/]+)$/.exec(url.pathname);
    if (!m) return false;
    const channel = this.channels.get(decodeURIComponent(m[1]));
    if (!channel) {
      refuse(socket, 404, "Not Found", "The session does not exist.");
      return true;
    }
    const headerToken = req.headers["x-session-token"];
    const token =
      url.searchParams.get("token") ?? (Array.isArray(headerToken) ? headerToken[0] : headerToken);
    if (token !== channel.spec.token) {
      refuse(socket, 403, "Forbidden", "The token does not match the session.");
      return true;
    }
    if (channel.ended) {
      refuse(socket, 410, "Gone", "The session has ended.");
      return true;
    }
    if (this.options.clock.now() >= channel.spec.urlExpiresAt) {
      refuse(socket, 410, "Gone", "The WebSocket URL has expired.");
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const idle = this.options.idleTimeoutMs ?? channel.spec.idleTimeoutMs;
      const conn = new Connection(channel, ws, idle, (c) => channel.connections.delete(c));
      channel.connections.add(conn);
      conn.start();
    });
    return true;
  }

  /** Number of live connections per session, for the admin API. */
  liveConnections(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, ch] of this.channels) if (ch.connections.size > 0) out[id] = ch.connections.size;
    return out;
  }

  /** Closes every connection (reported Terminated) and the WebSocket server. */
  async shutdown(): Promise<void> {
    for (const ch of this.channels.values()) {
      ch.ended = true;
      for (const c of [...ch.connections]) c.terminate("AgentSocketClosed");
    }
    this.channels.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

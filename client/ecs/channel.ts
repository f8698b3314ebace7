/**
 * One WebSocket to an ECS session's WebSocketUrl, in Session Manager messages: sends input, size
 * and close messages; hands out the output; and reports how the channel ended. Shells, commands
 * and each forwarded TCP connection are one channel each.
 */
import type { Writable } from "node:stream";
import { WebSocket, type RawData } from "ws";
import {
  CLOSE_PAYLOAD,
  EcsCodecError,
  EcsMessageType,
  EcsStatusCode,
  parseMessage,
  parseStatus,
  serializeMessage,
  sizePayload,
} from "./codec";
import { EcsSessionError } from "./errors";
import { socketFailure, socketOptions, watchLiveness, type Liveness } from "../liveness";
import type { SessionOptions } from "../options";
import { SessionProtocolError } from "../protocolError";

export interface EcsChannelOptions extends SessionOptions {
  /**
   * The session's SecurityToken, sent as the `x-acs-session-token` header. Leave it out when the
   * URL carries the token (StartTerminalSession's WebSocketUrl does).
   */
  token?: string;
  /**
   * Milliseconds without sending anything after which the channel sends the official client's
   * keep-alive, an empty input message. Alibaba's agent ends a connection it has heard nothing from
   * for 180 s (`AgentTimeout`), whatever it sends itself; WebSocket pings do not count, as the
   * agent never sees them. Default 60 000, the official client's period; 0 turns it off.
   */
  keepAliveMs?: number;
}

/** How a channel ended. */
export interface EcsChannelEnd {
  /** The WebSocket close code (1006 when the connection dropped without one). */
  closeCode: number;
  /** The last status-5 reason the far end gave (e.g. `Exit`, `AgentTimeout`), if any. */
  reason?: string;
  /** A status-2 (connect failed) message, if the far end refused the connection. */
  refusal?: string;
  /**
   * The command's or shell's exit status, when the far end reports one. The local cloud does (in
   * the close frame); Alibaba Cloud does not, so against it this stays undefined.
   */
  exitCode?: number;
  /** Set when the far end broke the protocol or went silent, and the client ended the channel. */
  error?: SessionProtocolError;
}

export interface EcsChannelEvents {
  onOutput(data: Buffer): void;
  onEnd(end: EcsChannelEnd): void;
  /** `write` returned false before, and the data in flight is back under the high-water mark. */
  onDrain?(): void;
}

/** An error body of a refused upgrade is read up to this much. */
const REFUSAL_BODY_BYTES = 4096;
const EXIT_STATUS = /^exit-status:(-?\d+)$/;
/**
 * The largest WebSocket message read: the agent sends at most 2048 B of payload (1024 B from a
 * terminal) after a 30-byte header and two ids; the rest is headroom for what is not documented.
 */
export const MAX_FRAME_BYTES = 64 * 1024;
/** The agent reads at most this much per message; we send no more. */
export const MAX_INPUT_FRAME = 2048;
/** Input bytes handed to the WebSocket but not yet to the network, past which `write` says wait. */
export const HIGH_WATER_BYTES = 64 * 1024;
/** The official client's keep-alive period (`ali-instance-cli`, `SendKeepAliveDataMessage`). */
export const DEFAULT_KEEP_ALIVE_MS = 60_000;
const NO_PAYLOAD = new Uint8Array(0);
/** What the far end may send us; anything else is not this protocol. */
const FROM_FAR_END = new Set<number>([EcsMessageType.OutputStream, EcsMessageType.Status]);

export class EcsChannel {
  private sequence = 0n;
  private reason?: string;
  private refusal?: string;
  private error?: SessionProtocolError;
  private closedByUs = false;
  private inFlight = 0;
  private draining = false;
  private outputHeld = false;
  private readonly liveness: Liveness;
  /** When we last sent a message (performance.now()), and the timer that keeps the agent hearing from us. */
  private sentAt = performance.now();
  private keepAlive?: NodeJS.Timeout;
  /** Bytes per second the far end asked us to stay under (status 7); undefined: no limit given. */
  sendRate?: number;

  private constructor(
    private readonly ws: WebSocket,
    private readonly events: EcsChannelEvents,
    options: EcsChannelOptions,
  ) {
    this.liveness = watchLiveness(ws, options, (err) => this.fail(err));
    const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    if (keepAliveMs > 0) this.keepAlive = this.armKeepAlive(keepAliveMs, keepAliveMs);
    ws.on("message", (data: RawData, isBinary: boolean) => {
      try {
        this.onMessage(data, isBinary);
      } catch (err) {
        this.fail(
          err instanceof EcsCodecError
            ? new SessionProtocolError("MalformedFrame", err.message)
            : err instanceof SessionProtocolError
              ? err
              : new SessionProtocolError(
                  "MalformedFrame",
                  `the message could not be handled: ${String(err)}`,
                ),
        );
      }
    });
    ws.on("error", (err) => {
      const failure = socketFailure(err, MAX_FRAME_BYTES);
      if (failure) this.fail(failure);
    });
    ws.once("close", (code: number, why: Buffer) => {
      this.liveness.stop();
      clearTimeout(this.keepAlive);
      const text = why.toString("utf8");
      // A drop (no close frame) that nobody here asked for, with no reason from the far end.
      if (code === 1006 && !this.closedByUs && !this.error && this.reason === undefined)
        this.error = new SessionProtocolError(
          "UnexpectedClose",
          "the connection dropped without a close frame",
          code,
        );
      const exit = EXIT_STATUS.exec(text);
      events.onEnd({
        closeCode: code,
        reason: this.reason,
        refusal: this.refusal,
        exitCode: exit ? Number(exit[1]) : undefined,
        error: this.error,
      });
    });
  }

  /** Connects; rejects with EcsSessionError when the handshake is refused, SessionProtocolError when it times out. */
  static open(url: string, events: EcsChannelEvents, options: EcsChannelOptions = {}): Promise<EcsChannel> {
    return new Promise((resolve, reject) => {
      // The official client always sends the header, empty when the URL carries the token.
      const ws = new WebSocket(url, {
        ...socketOptions(MAX_FRAME_BYTES, options),
        headers: { "x-acs-session-token": options.token ?? "" },
      });
      options.signal?.addEventListener("abort", () => ws.terminate(), { once: true });
      ws.once("unexpected-response", (_req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size >= REFUSAL_BODY_BYTES) res.destroy();
        });
        res.on("close", () => {
          ws.terminate();
          const body = Buffer.concat(chunks).subarray(0, REFUSAL_BODY_BYTES).toString("utf8");
          reject(EcsSessionError.fromHandshake(res.statusCode ?? 0, body));
        });
      });
      ws.once("error", (err) =>
        reject(socketFailure(err, MAX_FRAME_BYTES) ?? EcsSessionError.unreachable(err)),
      );
      ws.once("open", () => {
        ws.removeAllListeners("error");
        // No message before the caller holds the channel: it may act on the first one.
        ws.pause();
        resolve(new EcsChannel(ws, events, options));
        setImmediate(() => ws.resume());
      });
    });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!isBinary) throw new SessionProtocolError("UnexpectedMessage", "a text WebSocket message");
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const message = parseMessage(bytes);
    if (!FROM_FAR_END.has(message.type))
      throw new SessionProtocolError("UnexpectedMessage", `message type ${message.type}`);
    if (message.type === EcsMessageType.OutputStream) return this.events.onOutput(message.payload);
    const status = parseStatus(message.payload);
    if ("bitsPerSecond" in status) {
      if (status.bitsPerSecond > 0) this.sendRate = status.bitsPerSecond / 8;
    } else if (status.code === EcsStatusCode.Closed) {
      this.reason = status.reason;
    } else if (status.code === EcsStatusCode.ConnectFailed) {
      this.refusal = status.reason;
    }
  }

  /** Ends the channel because the far end broke the protocol or went silent; `onEnd` carries `err`. */
  private fail(err: SessionProtocolError): void {
    if (this.error) return;
    this.error = err;
    this.liveness.stop();
    this.closedByUs = true;
    // A silent far end would not answer a close either.
    if (err.code.endsWith("Timeout")) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN)
      this.ws.close(err.code === "FrameTooLarge" ? 1009 : 1002, err.code);
  }

  /**
   * Sends input in messages of at most 2048 bytes. False when more than the high-water mark waits
   * to reach the network: stop reading the source until `onDrain`.
   */
  write(data: Uint8Array): boolean {
    for (let at = 0; at < data.byteLength; at += MAX_INPUT_FRAME) {
      const piece = data.subarray(at, at + MAX_INPUT_FRAME);
      this.inFlight += piece.byteLength;
      this.send(EcsMessageType.InputStream, piece, () => this.sent(piece.byteLength));
    }
    if (this.inFlight > HIGH_WATER_BYTES) this.draining = true;
    return !this.draining;
  }

  /** `bytes` of input reached the socket (or never will: the channel closed). */
  private sent(bytes: number): void {
    this.inFlight -= bytes;
    if (this.draining && this.inFlight <= HIGH_WATER_BYTES / 2) {
      this.draining = false;
      this.events.onDrain?.();
    }
  }

  /**
   * Writes output to `output`; while it must drain, stops reading the WebSocket, so what the far
   * end sends waits in the network instead of in memory here.
   */
  deliver(output: Writable, data: Buffer): void {
    // A closed output takes nothing: holding for it would stop the channel for a drain that never comes.
    if (!output.writable) return;
    if (output.write(data) || this.outputHeld) return;
    this.outputHeld = true;
    this.pause();
    output.once("drain", () => {
      this.outputHeld = false;
      this.resume();
    });
  }

  /** Sends input bytes; resolves once they are handed to the socket. */
  input(data: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.send(EcsMessageType.InputStream, data, resolve));
  }

  resize(rows: number, cols: number): Promise<void> {
    return new Promise((resolve) => this.send(EcsMessageType.SetSize, sizePayload(rows, cols), resolve));
  }

  /** Tells the far end our side is done (the official client does so when its TCP peer closes). */
  closeInput(): Promise<void> {
    return new Promise((resolve) => this.send(EcsMessageType.CloseChannel, CLOSE_PAYLOAD, resolve));
  }

  /** Closes the WebSocket. */
  close(): void {
    this.closedByUs = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
    // Reading again lets the far end's close frame in: a channel held for a slow output would
    // otherwise keep its connection open for the whole close timeout.
    this.ws.resume();
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Stops reading messages (backpressure towards the far end); `resume` reads again. */
  pause(): void {
    this.ws.pause();
    this.liveness.pause();
  }

  resume(): void {
    this.ws.resume();
    this.liveness.resume();
  }

  /** Sends one message; `done` runs once it is handed to the socket, or at once when the channel is closed. */
  private send(type: number, payload: Uint8Array, done: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return done();
    this.sentAt = performance.now();
    this.ws.send(serializeMessage(type, this.sequence++, payload), { binary: true }, () => done());
  }

  /**
   * Fires `delayMs` from now; sends the keep-alive only if nothing else went out for `periodMs`,
   * else waits out the rest. Sending stays one assignment per message, and an idle channel sends
   * one keep-alive per period, as the official client does.
   */
  private armKeepAlive(delayMs: number, periodMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const quietMs = performance.now() - this.sentAt;
      if (quietMs >= periodMs) this.send(EcsMessageType.InputStream, NO_PAYLOAD, () => undefined);
      this.keepAlive = this.armKeepAlive(quietMs >= periodMs ? periodMs : periodMs - quietMs, periodMs);
    }, delayMs);
    // The WebSocket keeps the process alive while it is open; the keep-alive alone must not.
    timer.unref();
    return timer;
  }
}

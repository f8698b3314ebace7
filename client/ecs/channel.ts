/**
 * One WebSocket to an ECS session's WebSocketUrl, in Session Manager messages: sends input, size
 * and close messages; hands out the output; and reports how the channel ended. Shells, commands
 * and each forwarded TCP connection are one channel each.
 */
import { WebSocket, type RawData } from "ws";
import {
  CLOSE_PAYLOAD,
  EcsMessageType,
  EcsStatusCode,
  parseMessage,
  parseStatus,
  serializeMessage,
  sizePayload,
} from "./codec";
import { EcsSessionError } from "./errors";

export interface EcsChannelOptions {
  /**
   * The session's SecurityToken, sent as the `x-acs-session-token` header. Leave it out when the
   * URL carries the token (StartTerminalSession's WebSocketUrl does).
   */
  token?: string;
  signal?: AbortSignal;
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
}

export interface EcsChannelEvents {
  onOutput(data: Buffer): void;
  onEnd(end: EcsChannelEnd): void;
}

const EXIT_STATUS = /^exit-status:(-?\d+)$/;

export class EcsChannel {
  private sequence = 0n;
  private reason?: string;
  private refusal?: string;
  /** Bytes per second the far end asked us to stay under (status 7); undefined: no limit given. */
  sendRate?: number;

  private constructor(
    private readonly ws: WebSocket,
    events: EcsChannelEvents,
  ) {
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (!isBinary) return; // the protocol has no text messages; ignore rather than fail
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let message;
      try {
        message = parseMessage(bytes);
      } catch (err) {
        this.reason = `ProtocolError: ${(err as Error).message}`;
        ws.close(1002);
        return;
      }
      if (message.type === EcsMessageType.OutputStream) {
        events.onOutput(message.payload);
      } else if (message.type === EcsMessageType.Status && message.payload.length > 0) {
        const status = parseStatus(message.payload);
        if ("bitsPerSecond" in status) {
          if (status.bitsPerSecond > 0) this.sendRate = status.bitsPerSecond / 8;
        } else if (status.code === EcsStatusCode.Closed) {
          this.reason = status.reason;
        } else if (status.code === EcsStatusCode.ConnectFailed) {
          this.refusal = status.reason;
        }
      }
    });
    ws.once("close", (code: number, why: Buffer) => {
      const exit = EXIT_STATUS.exec(why.toString("utf8"));
      events.onEnd({
        closeCode: code,
        reason: this.reason,
        refusal: this.refusal,
        exitCode: exit ? Number(exit[1]) : undefined,
      });
    });
  }

  /** Connects; rejects with EcsSessionError when the handshake is refused. */
  static open(url: string, events: EcsChannelEvents, options: EcsChannelOptions = {}): Promise<EcsChannel> {
    return new Promise((resolve, reject) => {
      // The official client always sends the header, empty when the URL carries the token.
      const ws = new WebSocket(url, { headers: { "x-acs-session-token": options.token ?? "" } });
      options.signal?.addEventListener("abort", () => ws.terminate(), { once: true });
      ws.once("unexpected-response", (_req, res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          ws.terminate();
          reject(EcsSessionError.fromHandshake(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
        });
      });
      ws.once("error", (err) => reject(EcsSessionError.unreachable(err)));
      ws.once("open", () => {
        ws.removeAllListeners("error");
        // Errors after the open end in a close event, which reports them.
        ws.on("error", () => undefined);
        // No message before the caller holds the channel: it may act on the first one.
        ws.pause();
        resolve(new EcsChannel(ws, events));
        setImmediate(() => ws.resume());
      });
    });
  }

  /** Sends input bytes; resolves once they are handed to the socket. */
  input(data: Uint8Array): Promise<void> {
    return this.send(EcsMessageType.InputStream, data);
  }

  resize(rows: number, cols: number): Promise<void> {
    return this.send(EcsMessageType.SetSize, sizePayload(rows, cols));
  }

  /** Tells the far end our side is done (the official client does so when its TCP peer closes). */
  closeInput(): Promise<void> {
    return this.send(EcsMessageType.CloseChannel, CLOSE_PAYLOAD);
  }

  /** Closes the WebSocket. */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Stops reading messages (backpressure towards the far end); `resume` reads again. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  private send(type: number, payload: Uint8Array): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    const frame = serializeMessage(type, this.sequence++, payload);
    return new Promise((resolve) => this.ws.send(frame, { binary: true }, () => resolve()));
  }
}

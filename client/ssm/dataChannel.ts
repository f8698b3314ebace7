/**
 * One AWS Session Manager data channel, the client's side: connect to the StreamUrl, open it with
 * the TokenValue (OpenDataChannel), answer the agent's handshake, then exchange stream messages
 * with sequence numbers, acknowledgements and resends until `channel_closed`.
 */
import { randomUUID } from "node:crypto";
import { WebSocket, type RawData } from "ws";
import {
  SsmFrameError,
  SsmPayloadType,
  acknowledgement,
  deserialize,
  parseJson,
  serialize,
  type AcknowledgeContent,
  type SsmMessage,
} from "./codec";

/** Where a session's data channel is: StartSession's (or ResumeSession's) answer. */
export interface SsmSessionTarget {
  streamUrl: string;
  tokenValue: string;
  /** Aborting closes the connection. */
  signal?: AbortSignal;
}

/** What the agent announced in its HandshakeRequest. */
export interface SsmHandshake {
  agentVersion: string;
  /** `Standard_Stream`, `InteractiveCommands`, `NonInteractiveCommands` or `Port`. */
  sessionType: string;
  properties: unknown;
}

/** How a session's channel ended. */
export interface SsmSessionEnd {
  /** The service said the session is over (`channel_closed`), or the connection just went away. */
  closedBy: "service" | "connection";
  /** `channel_closed`'s Output (often empty). */
  output: string;
  closeCode?: number;
  closeReason?: string;
}

/** The one error family of the SSM client; `code` says what failed. */
export class SsmSessionError extends Error {
  constructor(
    readonly code:
      | "ConnectionRefused"
      | "ConnectionClosed"
      | "HandshakeFailed"
      | "ProtocolError"
      | "Aborted"
      | "Unsupported",
    message: string,
    readonly closeCode?: number,
  ) {
    super(message);
    this.name = "SsmSessionError";
  }
}

/** The most stream payload one message carries (the plugin's and the agent's limit). */
const MAX_PAYLOAD = 1024;
const RESEND_TICK_MS = 100;
const RTO_MIN_MS = 200;
const RTO_MAX_MS = 1000;
/** Unacknowledged messages before `onPressure(true)`, and where it turns false again. */
const HIGH_WATER = 512;
const LOW_WATER = 128;
const CLIENT_VERSION = "1.3.0.0";

interface Unacked {
  frame: Buffer;
  sentAt: number;
  resent: boolean;
}

export interface DataChannelHandlers {
  /** A stream payload from the agent, in order (Output, StdErr, ExitCode, Flag...). */
  onMessage(payloadType: number, payload: Buffer): void;
  /** Too much unacknowledged: callers should stop reading their sources until false. */
  onPressure?(paused: boolean): void;
}

export class SsmDataChannel {
  private readonly unacked = new Map<number, Unacked>();
  private readonly early = new Map<number, SsmMessage>();
  private sendSeq = 0;
  private recvSeq = 0;
  private srtt = 100;
  private rttvar = 0;
  private rto = RTO_MIN_MS;
  private timer?: NodeJS.Timeout;
  private pressured = false;
  private handshakeDone?: (h: SsmHandshake) => void;
  private announced?: SsmHandshake;
  private ended?: (end: SsmSessionEnd) => void;
  private failed?: (err: Error) => void;
  /** Resolves when the channel ends: `channel_closed` or the connection closing. */
  readonly closed: Promise<SsmSessionEnd>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly handlers: DataChannelHandlers,
  ) {
    this.closed = new Promise((resolve) => (this.ended = resolve));
  }

  /** Connects and completes the handshake; resolves with the agent's announcement. */
  static async open(
    target: SsmSessionTarget,
    handlers: DataChannelHandlers,
  ): Promise<{ channel: SsmDataChannel; handshake: SsmHandshake }> {
    if (target.signal?.aborted) throw new SsmSessionError("Aborted", "aborted before connecting");
    const ws = new WebSocket(target.streamUrl, { maxPayload: 16 * 1024 * 1024 });
    const channel = new SsmDataChannel(ws, handlers);
    const abort = () => ws.close(1000, "aborted");
    target.signal?.addEventListener("abort", abort, { once: true });
    void channel.closed.then(() => target.signal?.removeEventListener("abort", abort));
    const handshake = await new Promise<SsmHandshake>((resolve, reject) => {
      channel.handshakeDone = resolve;
      channel.failed = reject;
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString("utf8")));
        res.on("end", () =>
          reject(new SsmSessionError("ConnectionRefused", `HTTP ${res.statusCode ?? 0}: ${body.trim()}`)),
        );
      });
      ws.once("open", () => {
        const open = {
          MessageSchemaVersion: "1.0",
          RequestId: randomUUID(),
          TokenValue: target.tokenValue,
          ClientId: randomUUID(),
          ClientVersion: CLIENT_VERSION,
        };
        ws.send(JSON.stringify(open));
      });
      ws.on("error", (err) => reject(new SsmSessionError("ConnectionRefused", err.message)));
      ws.on("message", (data: RawData, isBinary: boolean) => channel.onFrame(data, isBinary));
      ws.on("close", (code, reason) => channel.onClose(code, reason.toString()));
    });
    channel.failed = undefined;
    return { channel, handshake };
  }

  /** Sends stream data (keystrokes, port bytes), split into messages of at most 1024 bytes. */
  send(payloadType: SsmPayloadType, data: Buffer): void {
    // Closing or closed: nothing would be acknowledged, and the resend timer would never stop.
    if (this.ws.readyState > WebSocket.OPEN) return;
    for (let i = 0; i < data.length || (i === 0 && data.length === 0); i += MAX_PAYLOAD) {
      const sequence = this.sendSeq++;
      const frame = serialize({
        type: "input_stream_data",
        sequence,
        flags: sequence === 0 ? 1n : 0n,
        payloadType,
        payload: data.subarray(i, i + MAX_PAYLOAD),
      });
      this.unacked.set(sequence, { frame, sentAt: Date.now(), resent: false });
      this.transmit(frame);
      if (data.length === 0) break;
    }
    this.timer ??= setInterval(() => this.resend(), RESEND_TICK_MS);
    if (!this.pressured && this.unacked.size >= HIGH_WATER) this.pressure(true);
  }

  sendFlag(flag: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(flag, 0);
    this.send(SsmPayloadType.Flag, payload);
  }

  /** Closes the connection (the session itself stays until TerminateSession or its end). */
  close(): void {
    this.ws.close(1000, "client closed");
  }

  private transmit(frame: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (!isBinary) return; // the service sends nothing but binary messages
    const frame = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    let m: SsmMessage;
    try {
      m = deserialize(frame);
    } catch (err) {
      // A corrupt message is dropped; the agent resends what we do not acknowledge.
      if (err instanceof SsmFrameError) return;
      throw err;
    }
    switch (m.type) {
      case "output_stream_data":
        this.transmit(acknowledgement(m));
        return this.onStream(m);
      case "acknowledge":
        return this.onAck(parseJson<AcknowledgeContent>(m, "acknowledge").AcknowledgedMessageSequenceNumber);
      case "channel_closed": {
        const content = parseJson<{ Output?: string }>(m, "channel_closed");
        this.finish({ closedBy: "service", output: content.Output ?? "" });
        this.ws.close(1000, "channel closed");
        return;
      }
      default:
        return; // start_publication / pause_publication: nothing to do for a client
    }
  }

  private onStream(m: SsmMessage): void {
    if (m.sequence < this.recvSeq) return;
    if (m.sequence > this.recvSeq) {
      this.early.set(m.sequence, m);
      return;
    }
    for (let next: SsmMessage | undefined = m; next; next = this.early.get(this.recvSeq)) {
      this.early.delete(next.sequence);
      this.recvSeq++;
      this.deliver(next);
    }
  }

  private deliver(m: SsmMessage): void {
    switch (m.payloadType) {
      case SsmPayloadType.HandshakeRequest:
        return this.answerHandshake(m);
      case SsmPayloadType.HandshakeComplete:
        if (this.announced) this.handshakeDone?.(this.announced);
        return;
      case SsmPayloadType.EncChallengeRequest:
        return; // KMS encryption is refused in the handshake, so no challenge follows
      default:
        this.handlers.onMessage(m.payloadType, m.payload);
    }
  }

  private answerHandshake(m: SsmMessage): void {
    interface Request {
      AgentVersion?: string;
      RequestedClientActions?: Array<{
        ActionType?: string;
        ActionParameters?: { SessionType?: string; Properties?: unknown };
      }>;
    }
    const request = parseJson<Request>(m, "HandshakeRequest");
    const actions = request.RequestedClientActions ?? [];
    const processed = actions.map((a) =>
      a.ActionType === "SessionType"
        ? { ActionType: a.ActionType, ActionStatus: 1, ActionResult: null, Error: "" }
        : {
            ActionType: a.ActionType,
            ActionStatus: 3,
            ActionResult: null,
            Error: `Unsupported action ${a.ActionType ?? ""}`,
          },
    );
    const sessionAction = actions.find((a) => a.ActionType === "SessionType");
    this.announced = {
      agentVersion: request.AgentVersion ?? "",
      sessionType: sessionAction?.ActionParameters?.SessionType ?? "",
      properties: sessionAction?.ActionParameters?.Properties,
    };
    const errors = processed.filter((p) => p.ActionStatus !== 1).map((p) => p.Error);
    const response = { ClientVersion: CLIENT_VERSION, ProcessedClientActions: processed, Errors: errors };
    this.send(SsmPayloadType.HandshakeResponse, Buffer.from(JSON.stringify(response)));
    if (errors.length > 0) {
      this.failed?.(
        new SsmSessionError(
          "Unsupported",
          `the session asks for what this client does not support: ${errors.join("; ")}`,
        ),
      );
    }
  }

  private onAck(sequence: number): void {
    const entry = this.unacked.get(sequence);
    if (!entry) return;
    this.unacked.delete(sequence);
    if (!entry.resent) {
      const sample = Date.now() - entry.sentAt;
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
      this.srtt = 0.875 * this.srtt + 0.125 * sample;
      this.rto = Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, this.srtt + 4 * this.rttvar));
    }
    if (this.pressured && this.unacked.size <= LOW_WATER) this.pressure(false);
    if (this.unacked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private resend(): void {
    const now = Date.now();
    let budget = 64;
    for (const entry of this.unacked.values()) {
      if (budget-- === 0) break;
      if (now - entry.sentAt < this.rto) continue;
      entry.resent = true;
      entry.sentAt = now;
      this.transmit(entry.frame);
    }
  }

  private pressure(paused: boolean): void {
    this.pressured = paused;
    this.handlers.onPressure?.(paused);
  }

  private onClose(code: number, reason: string): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.failed?.(
      new SsmSessionError(
        "ConnectionClosed",
        `the data channel closed before the session started: ${code} ${reason}`.trim(),
        code,
      ),
    );
    this.finish({ closedBy: "connection", output: "", closeCode: code, closeReason: reason });
  }

  private finish(end: SsmSessionEnd): void {
    const resolve = this.ended;
    this.ended = undefined;
    resolve?.(end);
  }
}

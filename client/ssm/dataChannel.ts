/**
 * One AWS Session Manager data channel, the client's side: connect to the StreamUrl, open it with
 * the TokenValue (OpenDataChannel), answer the agent's handshake, then exchange stream messages
 * with sequence numbers, acknowledgements and resends until `channel_closed`.
 *
 * The session's state (sequence numbers both ways, what is unacknowledged, what came early, the
 * handshake, who holds the intake) outlives its connection: given `resume`, a connection that ends
 * without `channel_closed` is replaced through ResumeSession, the agent resends what we did not
 * acknowledge, we resend what it did not, duplicates are dropped and order kept.
 *
 * Whatever the far end sends ends at most this one session: a frame or payload the client cannot
 * read, a message the protocol does not allow, a queue over its bound or a far end gone silent
 * (without `resume`) settles the channel with a SessionProtocolError and closes the connection.
 */
import type { RawData } from "ws";
import {
  SsmFrameError,
  SsmPayloadType,
  acknowledgement,
  deserialize,
  readAcknowledge,
  readChannelClosed,
  readHandshakeRequest,
  serialize,
  type SsmMessage,
} from "./codec";
import { Backoff, type ReconnectOptions } from "./backoff";
import { CLIENT_VERSION, MAX_FRAME_BYTES, SsmConnection } from "./connection";
import { SsmSessionError } from "./errors";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, upgradeTimeout, socketFailure } from "../liveness";
import type { SessionOptions } from "../options";
import { SessionProtocolError } from "../protocolError";

export { SsmSessionError };

/** Where a session's data channel is: StartSession's (or ResumeSession's) StreamUrl and TokenValue. */
export interface SsmSessionTarget {
  streamUrl: string;
  tokenValue: string;
  /** The session's id, for the caller's own bookkeeping (the data channel does not need it). */
  sessionId?: string;
}

/** One reconnection event of a session; `reason` says why the connection went, never a secret. */
export interface SsmReconnectEvent {
  /** The attempt this event is about, from 1 since the connection was lost. */
  attempt: number;
  reason: string;
  outcome: "resumed" | "retrying" | "gave-up";
}

/** The options of every SSM session call: the common ones, the resend limit and resuming. */
export interface SsmSessionOptions extends SessionOptions {
  /**
   * Milliseconds a message may stay unacknowledged, resent all along, before the session ends
   * with `ResendTimeout`. Default 120 000.
   */
  resendTimeoutMs?: number;
  /**
   * Where the session is now (ResumeSession's StreamUrl and TokenValue), called each time the
   * connection ends without `channel_closed` and not by this client (a network drop, the service
   * closing the socket, pings unanswered). Resolve credentials afresh in it: they may be
   * temporary. Without it such a session ends with `UnexpectedClose` (or `IdleTimeout`).
   */
  resume?: () => Promise<SsmSessionTarget>;
  /** Backoff and budget of the attempts; past the budget the session ends with `ReconnectFailed`. */
  reconnect?: ReconnectOptions;
  /** Hears of each reconnection event. */
  onReconnect?: (event: SsmReconnectEvent) => void;
}

/** A channel's target with its options, as the channel reads them. */
type Session = SsmSessionTarget & SsmSessionOptions;

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

/** The most stream payload one message carries (the plugin's and the agent's limit). */
const MAX_PAYLOAD = 1024;
/** Out-of-order messages kept: how far ahead of the next expected one, and their payload bytes. */
export const EARLY_MAX_MESSAGES = 1024;
export const EARLY_MAX_BYTES = 1024 * 1024;
/** Unacknowledged bytes at which callers are asked to stop reading, and where they may go on. */
const HIGH_WATER_BYTES = 512 * 1024;
const LOW_WATER_BYTES = 128 * 1024;
/** Unacknowledged bytes past which the session ends: only a caller ignoring the pressure gets here. */
export const UNACKED_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_RESEND_TIMEOUT_MS = 120_000;
const RESEND_TICK_MS = 100;
const RTO_MIN_MS = 200;
const RTO_MAX_MS = 1000;
/** A reconnection's reason is cut to this many characters. */
const REASON_CHARS = 200;

interface Unacked {
  frame: Buffer;
  sentAt: number;
  /** When it was first sent (or publication last resumed): the resend deadline runs from here. */
  since: number;
  resent: boolean;
}

export interface DataChannelHandlers {
  /** A stream payload from the agent, in order (Output, StdErr, ExitCode, Flag...). */
  onMessage(payloadType: number, payload: Buffer): void;
  /**
   * Callers should stop reading their sources until false: too much is unacknowledged, or the
   * service asked to pause publication.
   */
  onPressure?(paused: boolean): void;
}

/** Anything thrown while reading a message, as what ends the session. */
function asFailure(err: unknown): Error {
  if (err instanceof SsmFrameError)
    return new SessionProtocolError("MalformedFrame", `${err.field}: ${err.reason}`);
  return err instanceof Error ? err : new Error(String(err));
}

/** Text safe to print: printable ASCII. */
const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, "?");

/** Bytes no Session Manager endpoint sends: resuming would only read them again. */
const isBrokenFraming = (err: Error | undefined) =>
  err instanceof SessionProtocolError && (err.code === "MalformedFrame" || err.code === "FrameTooLarge");

export class SsmDataChannel {
  private readonly unacked = new Map<number, Unacked>();
  private unackedBytes = 0;
  private readonly early = new Map<number, SsmMessage>();
  private earlyBytes = 0;
  private sendSeq = 0;
  private recvSeq = 0;
  private srtt = 100;
  private rttvar = 0;
  private rto = RTO_MIN_MS;
  private timer?: NodeJS.Timeout;
  private handshakeTimer?: NodeJS.Timeout;
  /** The connection now: the first, a resumed one, or an attempt at one (none between attempts). */
  private conn?: SsmConnection;
  /**
   * `opening` until HandshakeComplete, `running` while a connection carries, `reconnecting` from
   * losing one until a new one is heard from.
   */
  private phase: "opening" | "running" | "reconnecting" = "opening";
  private readonly backoff: Backoff;
  private retryTimer?: NodeJS.Timeout;
  /** Why the connection (or the last attempt) was lost, as onReconnect reports it. */
  private lostBecause = "";
  /** Why the connection was lost, from then until it is resumed. */
  private outage?: string;
  private pressured = false;
  /** The service sent pause_publication and no start_publication since. */
  private publicationPaused = false;
  /** Who asked to stop reading the WebSocket (a local socket that must drain first). */
  private readonly holds = new Set<object>();
  /** Messages read while held: at most what one read of the socket brought. */
  private readonly deferred: RawData[] = [];
  private announced?: SsmHandshake;
  private opening?: { resolve(h: SsmHandshake): void; reject(err: Error): void };
  private settle?: { resolve(end: SsmSessionEnd): void; reject(err: Error): void };
  /** The client itself closed the connection (close() or the signal). */
  private closedByUs = false;
  /** Resolves when the channel ends: `channel_closed` or the connection closing; rejects with why it failed. */
  readonly closed: Promise<SsmSessionEnd>;
  private readonly opened: Promise<SsmHandshake>;

  private constructor(
    private readonly handlers: DataChannelHandlers,
    private readonly session: Session,
  ) {
    this.backoff = new Backoff(session.reconnect);
    this.closed = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.opened = new Promise((resolve, reject) => (this.opening = { resolve, reject }));
    // Whoever holds the channel hears of a failure through `closed` or `open`; neither may go unhandled.
    void this.closed.catch(() => undefined);
    const handshakeMs = session.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.handshakeTimer = setTimeout(
      () =>
        this.fail(
          this.conn?.connecting
            ? upgradeTimeout()
            : new SessionProtocolError("HandshakeTimeout", `no HandshakeComplete within ${handshakeMs} ms`),
        ),
      handshakeMs,
    );
    this.connect(session);
  }

  /** Connects and completes the handshake; resolves with the agent's announcement. */
  static async open(
    target: SsmSessionTarget,
    options: SsmSessionOptions,
    handlers: DataChannelHandlers,
  ): Promise<{ channel: SsmDataChannel; handshake: SsmHandshake }> {
    const session: Session = { ...options, streamUrl: target.streamUrl, tokenValue: target.tokenValue };
    if (session.signal?.aborted) throw new SsmSessionError("Aborted", "aborted before connecting");
    const channel = new SsmDataChannel(handlers, session);
    const abort = () => {
      channel.fail(new SsmSessionError("Aborted", "aborted"));
    };
    session.signal?.addEventListener("abort", abort, { once: true });
    void channel.closed
      .finally(() => session.signal?.removeEventListener("abort", abort))
      .catch(() => undefined);
    const handshake = await channel.opened;
    return { channel, handshake };
  }

  /** Sends stream data (keystrokes, port bytes), split into messages of at most 1024 bytes. */
  send(payloadType: SsmPayloadType, data: Buffer): void {
    // Ended or ending: nothing would be acknowledged, and the resend timer would never stop.
    if (!this.settle || this.closedByUs) return;
    for (let i = 0; i < data.length || (i === 0 && data.length === 0); i += MAX_PAYLOAD) {
      const sequence = this.sendSeq++;
      const frame = serialize({
        type: "input_stream_data",
        sequence,
        flags: sequence === 0 ? 1n : 0n,
        payloadType,
        payload: data.subarray(i, i + MAX_PAYLOAD),
      });
      const now = Date.now();
      this.unacked.set(sequence, { frame, sentAt: now, since: now, resent: false });
      this.unackedBytes += frame.length;
      if (this.unackedBytes > UNACKED_MAX_BYTES) {
        return this.fail(
          new SessionProtocolError("QueueFull", `over ${UNACKED_MAX_BYTES} bytes sent and not acknowledged`),
        );
      }
      // Between connections it waits in `unacked`: the next connection sends it in order.
      if (!this.publicationPaused && this.phase !== "reconnecting") this.transmit(frame);
      if (data.length === 0) break;
    }
    this.timer ??= setInterval(() => this.resend(), RESEND_TICK_MS);
    this.updatePressure();
  }

  sendFlag(flag: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(flag, 0);
    this.send(SsmPayloadType.Flag, payload);
  }

  /**
   * Stops reading the connection until every holder let go: what the service sends then waits,
   * unacknowledged, in the network (a local socket that must drain first holds it).
   */
  holdIntake(holder: object): void {
    if (this.holds.has(holder)) return;
    this.holds.add(holder);
    if (this.holds.size === 1) this.conn?.pause();
  }

  holding(holder: object): boolean {
    return this.holds.has(holder);
  }

  releaseIntake(holder: object): void {
    if (!this.holds.delete(holder) || this.holds.size > 0) return;
    while (this.deferred.length > 0 && this.holds.size === 0) this.receive(this.deferred.shift()!);
    if (this.holds.size === 0) this.conn?.resume();
  }

  /** Closes the connection (the session itself stays until TerminateSession or its end). */
  close(): void {
    this.closedByUs = true;
    if (this.conn) return this.conn.close(1000, "client closed");
    // Between two attempts: there is no connection to wait for.
    this.finish({ closedBy: "connection", output: "", closeCode: 1000, closeReason: "client closed" });
  }

  /** Opens a connection to `target`; its events count only while it is the channel's connection. */
  private connect(target: SsmSessionTarget): void {
    const conn: SsmConnection = new SsmConnection(target.streamUrl, target.tokenValue, this.session, {
      onOpen: () => {
        if (conn !== this.conn) return;
        if (this.holds.size > 0) conn.pause();
        if (this.phase === "reconnecting") this.resendAll();
      },
      onMessage: (data) => {
        if (conn !== this.conn) return;
        // `ws` still hands out what it had read before a pause: it waits here, unacknowledged.
        if (this.holds.size > 0) this.deferred.push(data);
        else this.receive(data);
      },
      onHeard: () => {
        if (conn === this.conn && this.phase === "reconnecting") this.resumed();
      },
      onError: (err) => {
        if (conn === this.conn) this.onConnectionError(err);
      },
      onClose: (code, reason) => {
        if (conn !== this.conn) return;
        this.conn = undefined;
        this.onConnectionClose(code, reason);
      },
    });
    this.conn = conn;
  }

  private onConnectionError(err: Error & { code?: string }): void {
    const failure = socketFailure(err, MAX_FRAME_BYTES);
    if (isBrokenFraming(failure)) return this.fail(failure!);
    const known =
      failure ?? (err instanceof SessionProtocolError || err instanceof SsmSessionError ? err : undefined);
    if (this.phase === "opening")
      return this.fail(known ?? new SsmSessionError("ConnectionRefused", err.message));
    if (this.session.resume) {
      // The close that follows starts (or counts) an attempt; this says why.
      this.lostBecause = known?.message ?? err.message;
      if (known && !(known instanceof SsmSessionError)) this.conn?.terminate();
    } else if (known) {
      this.fail(known);
    }
    // Otherwise the close that follows says how the session ended.
  }

  private onConnectionClose(code: number, reason: string): void {
    const why = this.lostBecause || `WebSocket close ${code} ${reason}`.trim();
    this.lostBecause = "";
    if (this.phase === "opening") {
      this.fail(
        new SsmSessionError(
          "ConnectionClosed",
          `the data channel closed before the session started: ${code} ${reason}`.trim(),
          code,
        ),
      );
    } else if (this.closedByUs) {
      this.finish({ closedBy: "connection", output: "", closeCode: code, closeReason: reason });
    } else if (this.session.resume && this.settle) {
      this.reconnect(why);
    } else {
      this.fail(
        new SessionProtocolError("UnexpectedClose", `WebSocket close ${code} ${reason}`.trim(), code),
      );
    }
  }

  /** The connection is lost (or an attempt failed): try again after a backoff, or give up. */
  private reconnect(reason: string): void {
    this.phase = "reconnecting";
    this.stopTimers();
    const why = printable(reason).slice(0, REASON_CHARS);
    this.outage ??= why;
    const delay = this.backoff.next(Date.now());
    if (delay === undefined)
      return this.giveUp(
        `no connection within ${this.backoff.budgetMs} ms after ${this.backoff.attempt} attempts; last: ${why}`,
      );
    this.report({ attempt: this.backoff.attempt, reason: why, outcome: "retrying" });
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    let target: SsmSessionTarget;
    try {
      target = await this.session.resume!();
    } catch (err) {
      if (!this.settle || this.closedByUs) return;
      const why = `ResumeSession failed: ${err instanceof Error ? err.message : String(err)}`;
      if (err instanceof SsmSessionError && err.code === "SessionEnded") return this.giveUp(printable(why));
      return this.reconnect(why);
    }
    if (!this.settle || this.closedByUs) return;
    this.connect(target);
    // An attempt that is not heard from in time fails like a refused one.
    const handshakeMs = this.session.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const conn = this.conn!;
    this.handshakeTimer = setTimeout(
      () =>
        conn.cut(
          conn.connecting
            ? upgradeTimeout()
            : new SessionProtocolError("HandshakeTimeout", `no answer within ${handshakeMs} ms`),
        ),
      handshakeMs,
    );
  }

  private giveUp(why: string): void {
    this.report({ attempt: this.backoff.attempt, reason: why.slice(0, REASON_CHARS), outcome: "gave-up" });
    this.fail(new SessionProtocolError("ReconnectFailed", why));
  }

  /** The new connection carries: what the old one left unacknowledged goes out on it, in order. */
  private resendAll(): void {
    // A new connection starts unpaused (the agent forgets its pause_publication).
    this.publicationPaused = false;
    const now = Date.now();
    for (const entry of this.unacked.values()) {
      entry.since = now;
      entry.sentAt = now;
      entry.resent = true;
      this.transmit(entry.frame);
    }
    if (this.unacked.size > 0) this.timer ??= setInterval(() => this.resend(), RESEND_TICK_MS);
    this.updatePressure();
  }

  private resumed(): void {
    clearTimeout(this.handshakeTimer);
    this.phase = "running";
    this.report({ attempt: this.backoff.attempt, reason: this.outage ?? "", outcome: "resumed" });
    this.outage = undefined;
    this.backoff.reset();
  }

  private report(event: SsmReconnectEvent): void {
    try {
      this.session.onReconnect?.(event);
    } catch {
      // A listener's failure is not the session's: it goes on.
    }
  }

  private transmit(frame: Buffer): void {
    this.conn?.send(frame);
  }

  private receive(data: RawData): void {
    try {
      this.onFrame(data);
    } catch (err) {
      this.fail(asFailure(err));
    }
  }

  private onFrame(data: RawData): void {
    // Like the official plugin, text and binary messages are both read as frames.
    const frame = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    const m = deserialize(frame);
    switch (m.type) {
      case "output_stream_data":
        return this.onStream(m);
      case "acknowledge":
        return this.onAck(readAcknowledge(m));
      case "channel_closed": {
        this.finish({ closedBy: "service", output: readChannelClosed(m) });
        this.conn?.close(1000, "channel closed");
        return;
      }
      case "pause_publication":
        return this.setPublication(false);
      case "start_publication":
        return this.setPublication(true);
      default:
        throw new SessionProtocolError("UnexpectedMessage", `message type "${printable(m.type)}"`);
    }
  }

  private onStream(m: SsmMessage): void {
    if (m.sequence > this.recvSeq) {
      // Kept, then acknowledged; what is not kept is not acknowledged, so the agent sends it again.
      if (!this.early.has(m.sequence)) {
        const room =
          m.sequence - this.recvSeq <= EARLY_MAX_MESSAGES &&
          this.earlyBytes + m.payload.length <= EARLY_MAX_BYTES;
        if (!room) return;
        this.early.set(m.sequence, m);
        this.earlyBytes += m.payload.length;
      }
      return this.transmit(acknowledgement(m));
    }
    // In order, or a resend of one already delivered (our acknowledgement was lost).
    this.transmit(acknowledgement(m));
    if (m.sequence < this.recvSeq) return;
    for (let next: SsmMessage | undefined = m; next; next = this.early.get(this.recvSeq)) {
      if (this.early.delete(next.sequence)) this.earlyBytes -= next.payload.length;
      this.recvSeq++;
      this.deliver(next);
    }
  }

  private deliver(m: SsmMessage): void {
    switch (m.payloadType) {
      case SsmPayloadType.HandshakeRequest:
        if (this.announced) throw new SessionProtocolError("UnexpectedMessage", "a second HandshakeRequest");
        return this.answerHandshake(m);
      case SsmPayloadType.HandshakeComplete:
        if (!this.announced || !this.opening)
          throw new SessionProtocolError(
            "UnexpectedMessage",
            this.announced ? "a second HandshakeComplete" : "HandshakeComplete before HandshakeRequest",
          );
        clearTimeout(this.handshakeTimer);
        this.phase = "running";
        // What follows waits until the opener holds the channel: its handlers may need it.
        this.holdIntake(this.opening);
        setImmediate((opening: object) => this.releaseIntake(opening), this.opening);
        this.opening.resolve(this.announced);
        this.opening = undefined;
        return;
      case SsmPayloadType.EncChallengeRequest:
        return; // KMS encryption is refused in the handshake, so no challenge follows
      default:
        this.handlers.onMessage(m.payloadType, m.payload);
    }
  }

  private answerHandshake(m: SsmMessage): void {
    const request = readHandshakeRequest(m);
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
      this.fail(
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
    this.unackedBytes -= entry.frame.length;
    if (!entry.resent) {
      const sample = Date.now() - entry.sentAt;
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
      this.srtt = 0.875 * this.srtt + 0.125 * sample;
      this.rto = Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, this.srtt + 4 * this.rttvar));
    }
    this.updatePressure();
    if (this.unacked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** The service's pause_publication / start_publication: hold our stream messages meanwhile. */
  private setPublication(on: boolean): void {
    const resuming = on && this.publicationPaused;
    this.publicationPaused = !on;
    if (resuming) {
      // Held messages get their whole resend time from now, and go out at the next tick.
      const now = Date.now();
      for (const entry of this.unacked.values()) {
        entry.since = now;
        entry.sentAt = 0;
      }
    }
    this.updatePressure();
  }

  private resend(): void {
    // Between connections nothing can be acknowledged: the next connection resends everything.
    if (this.publicationPaused || this.phase === "reconnecting") return;
    const now = Date.now();
    const limit = this.session.resendTimeoutMs ?? DEFAULT_RESEND_TIMEOUT_MS;
    const [oldest] = this.unacked.entries();
    if (oldest && now - oldest[1].since > limit) {
      return this.fail(
        new SessionProtocolError("ResendTimeout", `message ${oldest[0]} unacknowledged for ${limit} ms`),
      );
    }
    let budget = 64;
    for (const entry of this.unacked.values()) {
      if (budget-- === 0) break;
      if (now - entry.sentAt < this.rto) continue;
      entry.resent = true;
      entry.sentAt = now;
      this.transmit(entry.frame);
    }
  }

  private updatePressure(): void {
    const paused =
      this.publicationPaused ||
      this.unackedBytes >= HIGH_WATER_BYTES ||
      (this.pressured && this.unackedBytes > LOW_WATER_BYTES);
    if (paused === this.pressured) return;
    this.pressured = paused;
    this.handlers.onPressure?.(paused);
  }

  /** Ends the session because of `err`: the caller of `open`, or of `closed`, hears of it. */
  fail(err: Error): void {
    this.stopTimers();
    this.opening?.reject(err);
    this.opening = undefined;
    const settle = this.settle;
    this.settle = undefined;
    if (!settle) return;
    settle.reject(err);
    if (err instanceof SessionProtocolError && /Timeout$/.test(err.code)) {
      // A silent far end would not answer a close either.
      this.conn?.terminate();
    } else if (this.conn && !this.conn.ending) {
      const code = err instanceof SessionProtocolError ? (err.code === "FrameTooLarge" ? 1009 : 1002) : 1000;
      this.closedByUs = true;
      this.conn.close(code, err instanceof SessionProtocolError ? err.code : "client closed");
    }
  }

  private stopTimers(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private finish(end: SsmSessionEnd): void {
    const settle = this.settle;
    this.settle = undefined;
    this.stopTimers();
    settle?.resolve(end);
  }
}

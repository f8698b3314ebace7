/**
 * The local SSM agent of one session: the agent's half of the data-channel protocol (stream
 * sequence numbers, acknowledgements, resends, the handshake) and what the session runs behind
 * it (a terminal, a command, or TCP connections multiplexed with smux).
 *
 * It outlives WebSocket connections: when the client reconnects (after ResumeSession) the
 * sequence numbers continue and every unacknowledged message is sent again, as on AWS.
 */
import { openPipe, type Pipe } from "../pipes";
import {
  Flag,
  MalformedMessage,
  MessageType,
  PayloadType,
  acknowledgeMessage,
  acknowledgedSequence,
  channelClosedMessage,
  decodeMessage,
  outputMessage,
  type AgentMessage,
} from "./codec";
import { SmuxServer, type SmuxServerStream } from "./smux";
import { Terminal } from "./terminal";
import type { SsmSessionKind } from "./types";

/** Above 3.1.1511.0: the plugin multiplexes with smux and turns smux keepalive off. */
export const AGENT_VERSION = "3.3.1611.0";
/** The agent's largest stream payload (the plugin sends at most this much too). */
const MAX_PAYLOAD = 1024;
/** Messages in flight before the session's sources pause, and where they resume. */
const HIGH_WATER = 512;
const LOW_WATER = 128;
/** Out-of-order messages kept while waiting for a gap to fill. */
const EARLY_CAPACITY = 10000;
const RESEND_TICK_MS = 100;
const RESENDS_PER_TICK = 64;
/** How long the end of a session waits for the client to acknowledge what is still in flight. */
const DRAIN_MS = 3000;

export interface AgentSink {
  send(frame: Buffer): void;
}

export interface AgentOptions {
  sessionId: string;
  target: string;
  kind: SsmSessionKind;
  idleTimeoutMs: number;
  /** The session should end (process exit, idle timeout, the client's TerminateSession flag). */
  onFinished(reason: string): void;
}

interface InFlight {
  frame: Buffer;
  sentAt: number;
  resent: boolean;
}

export class SessionAgent {
  private phase: "new" | "handshake" | "running" | "finished" = "new";
  private nextSequence = 0;
  private expectedSequence = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly early = new Map<number, AgentMessage>();
  private sink?: AgentSink;
  private resendTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private handshakeStartedAt = 0;
  private srtt = 100;
  private rttvar = 0;
  private rto = 200;
  private paused = false;
  private drained?: () => void;

  private terminal?: Terminal;
  private pipe?: Pipe;
  private smux?: SmuxServer;
  private readonly portPipes = new Set<Pipe>();

  constructor(private readonly opts: AgentOptions) {}

  /** A client connected (first time: the handshake starts; later: resend what is unacknowledged). */
  attach(sink: AgentSink): void {
    this.sink = sink;
    if (this.phase === "new") {
      this.phase = "handshake";
      this.handshakeStartedAt = Date.now();
      this.sendHandshakeRequest();
    } else {
      for (const m of this.inFlight.values()) this.transmit(m);
    }
    this.touch();
  }

  detach(sink: AgentSink): void {
    if (this.sink === sink) this.sink = undefined;
  }

  /** One binary frame from the client. Throws MalformedMessage for a frame that breaks the protocol. */
  receive(frame: Buffer): void {
    const m = decodeMessage(frame);
    switch (m.messageType) {
      case MessageType.acknowledge:
        return this.onAcknowledge(acknowledgedSequence(m));
      case MessageType.input:
        this.sink?.send(acknowledgeMessage(m, Date.now()));
        return this.onInput(m);
      case MessageType.startPublication:
      case MessageType.pausePublication:
      case MessageType.channelClosed:
        return;
      default:
        throw new MalformedMessage(`message type "${m.messageType}" is not one a client sends`);
    }
  }

  /**
   * Ends the session's work: stops what runs, waits (bounded) until the client has acknowledged
   * what is in flight, then sends `channel_closed`.
   */
  async finish(output: string): Promise<void> {
    if (this.phase === "finished") return;
    this.phase = "finished";
    clearTimeout(this.idleTimer);
    this.stopSources();
    if (this.sink && this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_MS);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.sink?.send(channelClosedMessage(this.opts.sessionId, this.opts.target, output, Date.now()));
    clearInterval(this.resendTimer);
    this.inFlight.clear();
  }

  /** Stops everything at once (local cloud shutdown). */
  destroy(): void {
    this.phase = "finished";
    clearTimeout(this.idleTimer);
    clearInterval(this.resendTimer);
    this.stopSources();
  }

  private onInput(m: AgentMessage): void {
    if (m.sequenceNumber < this.expectedSequence) return; // a resend we already processed
    if (m.sequenceNumber > this.expectedSequence) {
      if (this.early.size < EARLY_CAPACITY) this.early.set(m.sequenceNumber, m);
      return;
    }
    this.handle(m);
    this.expectedSequence++;
    for (
      let next = this.early.get(this.expectedSequence);
      next;
      next = this.early.get(this.expectedSequence)
    ) {
      this.early.delete(this.expectedSequence);
      this.handle(next);
      this.expectedSequence++;
    }
  }

  private handle(m: AgentMessage): void {
    if (this.phase === "finished") return;
    switch (m.payloadType) {
      case PayloadType.handshakeResponse:
        if (this.phase === "handshake") this.completeHandshake(m.payload);
        return;
      case PayloadType.output:
        if (this.phase === "running") {
          this.touch();
          this.toTarget(m.payload);
        }
        return;
      case PayloadType.size:
        return this.resize(m.payload);
      case PayloadType.flag:
        if (m.payload.length >= 4 && m.payload.readUInt32BE(0) === Flag.terminateSession) {
          this.opts.onFinished("TerminateSession");
        }
        return;
      default:
        return; // encryption and other payloads are not offered by this agent
    }
  }

  private onAcknowledge(sequence: number): void {
    const entry = this.inFlight.get(sequence);
    if (!entry) return;
    this.inFlight.delete(sequence);
    if (!entry.resent) this.sampleRoundTrip(Date.now() - entry.sentAt);
    if (this.paused && this.inFlight.size <= LOW_WATER) this.setPaused(false);
    if (this.inFlight.size === 0) {
      clearInterval(this.resendTimer);
      this.resendTimer = undefined;
      this.drained?.();
    }
  }

  /** The plugin's own estimate (RFC 6298 style), kept within 200 ms .. 1 s. */
  private sampleRoundTrip(ms: number): void {
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
    this.srtt = 0.875 * this.srtt + 0.125 * ms;
    this.rto = Math.min(1000, Math.max(200, this.srtt + Math.max(10, 4 * this.rttvar)));
  }

  /** Sends stream data to the client, split into messages of at most 1024 bytes. */
  private send(payloadType: number, payload: Buffer): void {
    for (let off = 0; off === 0 || off < payload.length; off += MAX_PAYLOAD) {
      const sequence = this.nextSequence++;
      const entry: InFlight = {
        frame: outputMessage(sequence, payloadType, payload.subarray(off, off + MAX_PAYLOAD), Date.now()),
        sentAt: 0,
        resent: false,
      };
      this.inFlight.set(sequence, entry);
      this.transmit(entry);
    }
    if (payloadType === PayloadType.output) this.touch();
    this.resendTimer ??= setInterval(() => this.resendDue(), RESEND_TICK_MS);
    if (!this.paused && this.inFlight.size >= HIGH_WATER) this.setPaused(true);
  }

  private transmit(entry: InFlight): void {
    entry.sentAt = Date.now();
    this.sink?.send(entry.frame);
  }

  private resendDue(): void {
    if (!this.sink) return;
    const now = Date.now();
    let budget = RESENDS_PER_TICK;
    for (const entry of this.inFlight.values()) {
      if (budget-- === 0) break;
      if (now - entry.sentAt <= this.rto) continue;
      entry.resent = true;
      this.transmit(entry);
    }
  }

  private sendHandshakeRequest(): void {
    const request = {
      AgentVersion: AGENT_VERSION,
      RequestedClientActions: [
        {
          ActionType: "SessionType",
          ActionParameters: {
            SessionType: sessionType(this.opts.kind),
            Properties: properties(this.opts.kind),
          },
        },
      ],
    };
    this.send(PayloadType.handshakeRequest, Buffer.from(JSON.stringify(request)));
  }

  private completeHandshake(payload: Buffer): void {
    let response: {
      ProcessedClientActions?: Array<{ ActionType?: string; ActionStatus?: number; Error?: string }>;
    };
    try {
      response = JSON.parse(payload.toString("utf8")) as typeof response;
    } catch {
      throw new MalformedMessage("HandshakeResponse is not JSON");
    }
    const action = response.ProcessedClientActions?.find((a) => a.ActionType === "SessionType");
    if (action?.ActionStatus !== 1) {
      this.opts.onFinished(
        `HandshakeFailed: ${action?.Error ?? "the client did not accept the session type"}`,
      );
      return;
    }
    this.phase = "running";
    const complete = {
      HandshakeTimeToComplete: (Date.now() - this.handshakeStartedAt) * 1e6,
      CustomerMessage: "",
    };
    this.send(PayloadType.handshakeComplete, Buffer.from(JSON.stringify(complete)));
    this.startTarget();
  }

  private startTarget(): void {
    const { kind, sessionId } = this.opts;
    const fail = (err: Error) => {
      this.send(PayloadType.output, Buffer.from(`${err.message}\r\n`));
      this.opts.onFinished("AgentError");
    };
    switch (kind.kind) {
      case "shell":
        this.terminal = new Terminal(undefined, sessionId, {
          onData: (d) => this.send(PayloadType.output, d),
          onExit: () => this.opts.onFinished("ChannelEnded"),
          onError: fail,
        });
        return;
      case "command": {
        const exited = (code: number | null) => {
          this.send(PayloadType.exitCode, Buffer.from(`EXIT_CODE: ${code ?? 1}`));
          this.opts.onFinished("ChannelEnded");
        };
        if (kind.interactive) {
          this.terminal = new Terminal(kind.commandLine, sessionId, {
            onData: (d) => this.send(PayloadType.output, d),
            onExit: exited,
            onError: fail,
          });
        } else {
          this.pipe = openPipe(
            { kind: "command", commandLine: kind.commandLine },
            {
              onReady: () => undefined,
              onData: (d) => this.send(PayloadType.output, d),
              onEnd: exited,
              onError: fail,
            },
            sessionId,
          );
        }
        return;
      }
      case "port":
        if (kind.localPortForwarding) {
          this.smux = new SmuxServer({
            send: (bytes) => this.send(PayloadType.output, bytes),
            onStream: (stream) => this.forward(stream, kind.port),
            onProtocolError: (reason) => this.opts.onFinished(`InvalidStream: ${reason}`),
          });
        } else {
          this.pipe = openPipe(
            { kind: "port", port: kind.port },
            {
              onReady: () => undefined,
              onData: (d) => this.send(PayloadType.output, d),
              onEnd: () => this.opts.onFinished("ChannelEnded"),
              onError: () => {
                this.sendFlag(Flag.connectToPortError);
                this.opts.onFinished("ConnectToPortError");
              },
            },
            sessionId,
          );
        }
        return;
    }
  }

  /** One smux stream: one TCP connection to the target port. */
  private forward(stream: SmuxServerStream, port: number): void {
    const pipe = openPipe(
      { kind: "port", port },
      {
        onReady: () => undefined,
        onData: (d) => stream.write(d),
        onEnd: () => {
          this.portPipes.delete(pipe);
          stream.end();
        },
        onError: () => {
          this.portPipes.delete(pipe);
          this.sendFlag(Flag.connectToPortError);
          stream.end();
        },
      },
      this.opts.sessionId,
    );
    this.portPipes.add(pipe);
    if (this.paused) pipe.pause();
    stream.events = { onData: (d) => pipe.write(d), onEnd: () => pipe.endInput() };
  }

  private toTarget(data: Buffer): void {
    if (this.terminal) this.terminal.write(data);
    else if (this.smux) this.smux.feed(data);
    else this.pipe?.write(data);
  }

  private resize(payload: Buffer): void {
    let size: { cols?: unknown; rows?: unknown };
    try {
      size = JSON.parse(payload.toString("utf8")) as typeof size;
    } catch {
      throw new MalformedMessage("size payload is not JSON");
    }
    const ok = (n: unknown): n is number =>
      typeof n === "number" && Number.isInteger(n) && n > 0 && n < 10000;
    if (ok(size.cols) && ok(size.rows)) this.terminal?.resize(size.cols, size.rows);
  }

  private sendFlag(flag: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(flag, 0);
    this.send(PayloadType.flag, payload);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const source of [this.terminal, this.pipe, ...this.portPipes]) {
      if (paused) source?.pause();
      else source?.resume();
    }
  }

  /** Stream data either way keeps the session alive; silence for idleTimeoutMs ends it. */
  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.phase === "finished") return;
    this.idleTimer = setTimeout(() => this.opts.onFinished("IdleTimeout"), this.opts.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private stopSources(): void {
    this.terminal?.destroy();
    this.pipe?.destroy();
    this.smux?.closeAll();
    for (const pipe of this.portPipes) pipe.destroy();
    this.portPipes.clear();
  }
}

function sessionType(kind: SsmSessionKind): string {
  if (kind.kind === "port") return "Port";
  if (kind.kind === "command") return kind.interactive ? "InteractiveCommands" : "NonInteractiveCommands";
  return "Standard_Stream";
}

/** The document's properties as the agent passes them on (port numbers are strings, as in documents). */
function properties(kind: SsmSessionKind): Record<string, unknown> {
  switch (kind.kind) {
    case "shell":
      return { linux: { commands: "", runAsElevated: false } };
    case "command":
      return { linux: { commands: kind.commandLine, runAsElevated: false } };
    case "port":
      return {
        portNumber: String(kind.port),
        ...(kind.localPortNumber !== undefined ? { localPortNumber: kind.localPortNumber } : {}),
        ...(kind.host !== undefined ? { host: kind.host } : {}),
        ...(kind.localPortForwarding ? { type: "LocalPortForwarding" } : {}),
      };
  }
}

/**
 * The local SSM agent of one session: the agent's half of the data-channel protocol (stream
 * sequence numbers, acknowledgements, resends, the handshake) and what the session runs behind
 * it (a terminal, a command, or TCP connections multiplexed with smux).
 *
 * It outlives WebSocket connections: when the client reconnects (after ResumeSession) the
 * sequence numbers continue and every unacknowledged message is sent again, as on AWS.
 */
import type { Clock, ClockTimer } from "../../clock";
import { contained } from "../failures";
import { openPortPipe, openTerminal, type Pipe, type PipeEvents, type TerminalPipe } from "../pipes";
import { exitStatus } from "../processPipe";
import {
  Flag,
  HEADER_LENGTH,
  MalformedMessage,
  MessageType,
  PayloadType,
  acknowledgeMessage,
  acknowledgedSequence,
  channelClosedMessage,
  decodeMessage,
  outputMessage,
  parseHandshakeResponse,
  parseSize,
  publicationMessage,
  type AgentMessage,
} from "./codec";
import { NonInteractiveCommand } from "./nonInteractiveCommand";
import { SmuxServer, type SmuxServerStream } from "./smux";
import type { SsmSessionKind } from "./types";

/** Above 3.1.1511.0: the plugin multiplexes with smux and turns smux keepalive off. */
export const AGENT_VERSION = "3.3.1611.0";
/** The agent's largest stream payload (the plugin sends at most this much too). */
const MAX_PAYLOAD = 1024;
/** Messages in flight before the session's sources pause, and where they resume. */
const WINDOW_HIGH = 512;
const WINDOW_LOW = 128;
const RESEND_TICK_MS = 100;
const RESENDS_PER_TICK = 64;
/**
 * The client sends its terminal's size as soon as the handshake completes, usually before `script`
 * has made the terminal: the resize waits for it rather than being dropped.
 */
const RESIZE_WAIT_MS = 2000;

/** What bounds one session's memory and time (docs/protocols/ssm.md lists them). */
export interface AgentLimits {
  /** Bytes of input held while it waits for a missing earlier message; more ends the session. */
  outOfOrderBytes: number;
  /**
   * Bytes of input taken while a target is full or the client's buffer is high, whose
   * acknowledgements wait until that clears; past it input is refused (not acknowledged).
   */
  heldInputBytes: number;
  /** A message unacknowledged this long on one connection ends the session. */
  acknowledgeTimeoutMs: number;
  /** The client must answer the HandshakeRequest within this. */
  handshakeTimeoutMs: number;
  /** How long the end of a session waits for the client to acknowledge what is still in flight. */
  drainMs: number;
}

export const DEFAULT_AGENT_LIMITS: AgentLimits = {
  // About 900 of the plugin's largest messages: a gap only opens when a connection drops.
  outOfOrderBytes: 1024 * 1024,
  // About 900 messages: a target that reads keeps up long before, one that stops costs no more.
  heldInputBytes: 1024 * 1024,
  // The plugin resends for far longer (3000 times); two minutes covers a window of 512 KiB
  // crossing a link of 5 KB/s, and a peer that takes nothing must not hold a session forever.
  acknowledgeTimeoutMs: 120_000,
  handshakeTimeoutMs: 30_000,
  drainMs: 3000,
};

export interface AgentSink {
  send(frame: Buffer): void;
  /** True while the client has not taken what was sent (the WebSocket's buffer is high). */
  readonly congested: boolean;
}

export interface AgentOptions {
  sessionId: string;
  target: string;
  kind: SsmSessionKind;
  /** Read at each countdown, so a changed setting applies to the next one. */
  idleTimeoutMs: number;
  /** The idle countdown runs on it (tests move a ManualClock past 20 minutes). */
  clock: Clock;
  limits?: Partial<AgentLimits>;
  /** The session should end (process exit, idle timeout, the client's TerminateSession flag, a limit). */
  onFinished(reason: string): void;
  /** Something failed that the protocol does not explain (a bug): the session must end at once. */
  onFailure(err: unknown): void;
}

interface InFlight {
  frame: Buffer;
  sentAt: number;
  /** First sent on the current connection: how long the client has had to acknowledge it. */
  firstSentAt: number;
  resent: boolean;
}

/** Something the session writes the client's input to (a terminal, a process, a TCP socket). */
type Target = { write(chunk: Buffer): boolean };

export class SessionAgent {
  private phase: "new" | "handshake" | "running" | "finished" = "new";
  private nextSequence = 0;
  private expectedSequence = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly early = new Map<number, AgentMessage>();
  private earlyBytes = 0;
  private sink?: AgentSink;
  private resendTimer?: NodeJS.Timeout;
  private idleTimer?: ClockTimer;
  /** When stream data last flowed, on the clock. */
  private lastActive = 0;
  private handshakeTimer?: NodeJS.Timeout;
  private handshakeStartedAt = 0;
  private srtt = 100;
  private rttvar = 0;
  private rto = 200;
  /** Why the sources are paused: the window of unacknowledged messages, the client's buffer, its pause_publication. */
  private windowFull = false;
  private peerPaused = false;
  private sourcesPaused = false;
  /** Targets whose input is full: what is taken meanwhile is acknowledged only once they drain. */
  private readonly fullTargets = new Set<Target>();
  /** Acknowledgements of input taken while holding back (a target full, the client's buffer high). */
  private heldAcks: Buffer[] = [];
  private heldBytes = 0;
  /**
   * The highest input refused on this connection: until everything up to it has come again, later
   * input is refused too. Keeping it as out-of-order would acknowledge it, the client would send
   * on, and the queue would fill long before the refused message is resent.
   */
  private refusedUpTo = -1;
  /** pause_publication was sent (input is being refused) and start_publication not yet. */
  private publicationPaused = false;
  private ending = false;
  private drained?: () => void;
  private readonly limits: AgentLimits;

  private terminal?: TerminalPipe;
  private pipe?: Pipe;
  private smux?: SmuxServer;
  private readonly portPipes = new Set<Pipe>();

  constructor(private readonly opts: AgentOptions) {
    this.limits = { ...DEFAULT_AGENT_LIMITS, ...opts.limits };
  }

  /** A client connected (first time: the handshake starts; later: resend what is unacknowledged). */
  attach(sink: AgentSink): void {
    this.sink = sink;
    // A new connection starts unpaused; the client resends what the old one left unacknowledged.
    this.peerPaused = false;
    this.publicationPaused = false;
    this.heldAcks = [];
    this.heldBytes = 0;
    this.refusedUpTo = -1;
    if (this.phase === "new") {
      this.phase = "handshake";
      this.handshakeStartedAt = Date.now();
      this.handshakeTimer = setTimeout(
        this.guarded(() => {
          if (this.phase === "handshake")
            this.end(
              `HandshakeTimeout: no HandshakeResponse within ${seconds(this.limits.handshakeTimeoutMs)}`,
            );
        }),
        this.limits.handshakeTimeoutMs,
      );
      this.sendHandshakeRequest();
    } else {
      const now = Date.now();
      for (const m of this.inFlight.values()) {
        m.firstSentAt = now;
        this.transmit(m);
      }
    }
    this.touch();
    this.refreshFlow();
  }

  detach(sink: AgentSink): void {
    if (this.sink === sink) this.sink = undefined;
  }

  /** The client's side took what was queued (or fell behind): pause or resume what flows. */
  sinkChanged(): void {
    this.refreshFlow();
  }

  /** One binary frame from the client. Throws MalformedMessage for a frame that breaks the protocol. */
  receive(frame: Buffer): void {
    const m = decodeMessage(frame);
    switch (m.messageType) {
      case MessageType.acknowledge:
        return this.onAcknowledge(acknowledgedSequence(m));
      case MessageType.input:
        return this.onInput(m);
      case MessageType.pausePublication:
      case MessageType.startPublication:
        // The client cannot take more output for now (or can again): the sources follow.
        this.peerPaused = m.messageType === MessageType.pausePublication;
        return this.refreshFlow();
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
    this.clearTimers();
    this.stopSources();
    if (this.sink && this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.limits.drainMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.sink?.send(channelClosedMessage(this.opts.sessionId, this.opts.target, output, Date.now()));
    clearInterval(this.resendTimer);
    this.resendTimer = undefined;
    this.inFlight.clear();
  }

  /** Stops everything at once (local cloud shutdown, a failure). */
  destroy(): void {
    this.phase = "finished";
    this.clearTimers();
    clearInterval(this.resendTimer);
    this.resendTimer = undefined;
    this.stopSources();
    this.inFlight.clear();
    this.early.clear();
    this.heldAcks = [];
  }

  private clearTimers(): void {
    this.idleTimer?.clear();
    this.idleTimer = undefined;
    clearTimeout(this.handshakeTimer);
  }

  /** Asks (once) for the session to end with `reason`. */
  private end(reason: string): void {
    if (this.ending || this.phase === "finished") return;
    this.ending = true;
    this.opts.onFinished(reason);
  }

  /**
   * Input is taken in order; while the session holds back (a target full, the client's buffer
   * high) its acknowledgements wait, up to `heldInputBytes`. Input not taken is not acknowledged:
   * the client sends it again later.
   */
  private onInput(m: AgentMessage): void {
    const seq = m.sequenceNumber;
    if (seq < this.expectedSequence) return this.takenAgain(m);
    if (this.refusedUpTo >= this.expectedSequence && seq > this.expectedSequence) {
      this.refusedUpTo = Math.max(this.refusedUpTo, seq);
      return;
    }
    if (this.holding && this.heldBytes + m.payload.length > this.limits.heldInputBytes)
      return this.refuse(seq);
    if (seq > this.expectedSequence) {
      if (this.early.has(seq)) return this.takenAgain(m);
      const size = HEADER_LENGTH + 4 + m.payload.length;
      if (this.earlyBytes + size > this.limits.outOfOrderBytes) {
        return this.end(
          `OutOfOrderQueueFull: more than ${this.limits.outOfOrderBytes} bytes wait for message ${this.expectedSequence}`,
        );
      }
      this.early.set(seq, m);
      this.earlyBytes += size;
      return this.taken(m);
    }
    this.taken(m);
    this.handle(m);
    this.expectedSequence++;
    for (
      let next = this.early.get(this.expectedSequence);
      next;
      next = this.early.get(this.expectedSequence)
    ) {
      this.early.delete(this.expectedSequence);
      this.earlyBytes -= HEADER_LENGTH + 4 + next.payload.length;
      this.handle(next);
      this.expectedSequence++;
    }
  }

  private acknowledge(m: AgentMessage): void {
    this.sink?.send(acknowledgeMessage(m, Date.now()));
  }

  /** While a target is full or the client's buffer is high. */
  private get holding(): boolean {
    return this.fullTargets.size > 0 || this.sink?.congested === true;
  }

  /** Acknowledges input taken now, or later while holding back. */
  private taken(m: AgentMessage): void {
    if (!this.holding) return this.acknowledge(m);
    this.heldAcks.push(acknowledgeMessage(m, Date.now()));
    this.heldBytes += m.payload.length;
  }

  /** A resend of one already taken: acknowledged again, unless its acknowledgement is held. */
  private takenAgain(m: AgentMessage): void {
    if (!this.holding) this.acknowledge(m);
  }

  /** Refuses input, and tells the client to hold what follows until start_publication. */
  private refuse(seq: number): void {
    this.refusedUpTo = Math.max(this.refusedUpTo, seq);
    if (this.publicationPaused || this.phase === "finished") return;
    this.publicationPaused = true;
    this.sink?.send(publicationMessage(MessageType.pausePublication, Date.now()));
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
    if (this.windowFull && this.inFlight.size <= WINDOW_LOW) {
      this.windowFull = false;
      this.refreshFlow();
    }
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
    // A process that exits after its session ended has no one to tell: a resend timer started
    // now would never stop.
    if (this.phase === "finished") return;
    const now = Date.now();
    for (let off = 0; off === 0 || off < payload.length; off += MAX_PAYLOAD) {
      const sequence = this.nextSequence++;
      const entry: InFlight = {
        frame: outputMessage(sequence, payloadType, payload.subarray(off, off + MAX_PAYLOAD), now),
        sentAt: 0,
        firstSentAt: now,
        resent: false,
      };
      this.inFlight.set(sequence, entry);
      this.transmit(entry);
    }
    if (payloadType === PayloadType.output) this.touch();
    this.resendTimer ??= setInterval(
      this.guarded(() => this.resendDue()),
      RESEND_TICK_MS,
    );
    if (!this.windowFull && this.inFlight.size >= WINDOW_HIGH) {
      this.windowFull = true;
      this.refreshFlow();
    }
  }

  private transmit(entry: InFlight): void {
    entry.sentAt = Date.now();
    this.sink?.send(entry.frame);
  }

  private resendDue(): void {
    if (!this.sink) return;
    const now = Date.now();
    const oldest = this.inFlight.values().next().value;
    if (oldest && now - oldest.firstSentAt > this.limits.acknowledgeTimeoutMs) {
      return this.end(
        `AcknowledgeTimeout: a message stayed unacknowledged for ${seconds(this.limits.acknowledgeTimeoutMs)}`,
      );
    }
    // Resending into a buffer the client is not emptying would only grow it.
    if (this.sink.congested) return;
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
    const response = parseHandshakeResponse(payload);
    const action = response.ProcessedClientActions?.find((a) => a.ActionType === "SessionType");
    if (action?.ActionStatus !== 1) {
      this.opts.onFinished(
        `HandshakeFailed: ${action?.Error || "the client did not accept the session type"}`,
      );
      return;
    }
    this.phase = "running";
    clearTimeout(this.handshakeTimer);
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
    const output = this.guarded((d: Buffer) => this.send(PayloadType.output, d));
    const terminal = (commandLine: string | undefined, onEnd: PipeEvents["onEnd"]) =>
      openTerminal(
        commandLine,
        {
          onReady: () => undefined,
          onData: output,
          onEnd,
          onError: this.guarded(fail),
          onDrain: this.guarded(() => this.targetDrained(this.terminal)),
        },
        sessionId,
        { resizeWaitMs: RESIZE_WAIT_MS },
      );
    switch (kind.kind) {
      case "shell":
        this.terminal = terminal(
          undefined,
          this.guarded(() => this.opts.onFinished("ChannelEnded")),
        );
        return;
      case "command": {
        const exited = this.guarded((code: number | null, signal?: NodeJS.Signals | null) => {
          this.send(PayloadType.exitCode, Buffer.from(`EXIT_CODE: ${exitStatus(code, signal)}`));
          this.opts.onFinished("ChannelEnded");
        });
        if (kind.interactive) this.terminal = terminal(kind.commandLine, exited);
        else {
          this.pipe = new NonInteractiveCommand(kind.commandLine, sessionId, {
            onReady: () => undefined,
            onData: output,
            onStderr: this.guarded((d: Buffer) => this.send(PayloadType.stdErr, d)),
            onEnd: exited,
            onError: this.guarded(fail),
          });
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
          this.pipe = openPortPipe(kind.port, {
            onReady: () => undefined,
            onData: output,
            onEnd: this.guarded(() => this.opts.onFinished("ChannelEnded")),
            onError: this.guarded(() => {
              this.sendFlag(Flag.connectToPortError);
              this.opts.onFinished("ConnectToPortError");
            }),
            onDrain: this.guarded(() => this.targetDrained(this.pipe)),
          });
        }
        return;
    }
  }

  /** One smux stream: one TCP connection to the target port. */
  private forward(stream: SmuxServerStream, port: number): void {
    const gone = () => {
      this.portPipes.delete(pipe);
      this.targetDrained(pipe);
    };
    const pipe = openPortPipe(port, {
      onReady: () => undefined,
      onData: this.guarded((d: Buffer) => stream.write(d)),
      onEnd: this.guarded(() => {
        gone();
        stream.end();
      }),
      onError: this.guarded(() => {
        gone();
        this.sendFlag(Flag.connectToPortError);
        stream.end();
      }),
      onDrain: this.guarded(() => this.targetDrained(pipe)),
    });
    this.portPipes.add(pipe);
    if (this.sourcesPaused) pipe.pause();
    stream.events = { onData: (d) => this.toTargetOf(pipe, d), onEnd: () => pipe.endInput() };
  }

  private toTarget(data: Buffer): void {
    if (this.smux) this.smux.feed(data);
    else {
      const target = this.terminal ?? this.pipe;
      if (target) this.toTargetOf(target, data);
    }
  }

  private toTargetOf(target: Target, data: Buffer): void {
    if (target.write(data)) return;
    this.fullTargets.add(target);
    this.refreshFlow();
  }

  private targetDrained(target: Target | undefined): void {
    if (target && this.fullTargets.delete(target)) this.refreshFlow();
  }

  private resize(payload: Buffer): void {
    const size = parseSize(payload);
    const ok = (n: number) => Number.isInteger(n) && n > 0 && n < 10000;
    if (ok(size.cols) && ok(size.rows)) this.terminal?.resize(size.rows, size.cols);
  }

  private sendFlag(flag: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(flag, 0);
    this.send(PayloadType.flag, payload);
  }

  /**
   * Applies back-pressure both ways. Output: the sources (terminal, process, sockets) pause while
   * the window of unacknowledged messages is full, the client's WebSocket buffer is high, or the
   * client sent pause_publication. Input: once nothing holds back, the held acknowledgements go
   * out, and a client that was refused input is told start_publication.
   */
  private refreshFlow(): void {
    const pause = this.windowFull || this.peerPaused || this.sink?.congested === true;
    if (pause !== this.sourcesPaused) {
      this.sourcesPaused = pause;
      for (const source of [this.terminal, this.pipe, ...this.portPipes]) {
        if (pause) source?.pause();
        else source?.resume();
      }
    }
    if (this.holding) return;
    const acks = this.heldAcks;
    this.heldAcks = [];
    this.heldBytes = 0;
    for (const ack of acks) this.sink?.send(ack);
    if (this.publicationPaused && this.phase !== "finished") {
      this.publicationPaused = false;
      this.sink?.send(publicationMessage(MessageType.startPublication, Date.now()));
    }
  }

  /**
   * Stream data either way keeps the session alive; silence for idleTimeoutMs ends it. Touching
   * only notes the time (it runs per message): one timer looks at it when it could be due.
   */
  private touch(): void {
    if (this.phase === "finished") return;
    this.lastActive = this.opts.clock.now().getTime();
    this.idleTimer ??= this.idleCheck(this.opts.idleTimeoutMs);
  }

  private idleCheck(ms: number): ClockTimer {
    return this.opts.clock.setTimeout(
      this.guarded(() => {
        this.idleTimer = undefined;
        if (this.phase === "finished") return;
        const left = this.lastActive + this.opts.idleTimeoutMs - this.opts.clock.now().getTime();
        if (left > 0) this.idleTimer = this.idleCheck(left);
        else this.opts.onFinished("IdleTimeout");
      }),
      ms,
    );
  }

  /** Timer and event callbacks: what they throw ends this session, never the process. */
  private guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return contained(
      () => `SSM session ${this.opts.sessionId}`,
      fn,
      (err) => this.opts.onFailure(err),
    );
  }

  private stopSources(): void {
    this.terminal?.destroy();
    this.pipe?.destroy();
    this.smux?.closeAll();
    for (const pipe of this.portPipes) pipe.destroy();
    this.portPipes.clear();
    this.fullTargets.clear();
  }
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
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

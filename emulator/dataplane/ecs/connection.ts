/**
 * One accepted WebSocket of an ECS session and what it is wired to: a shell or command on a
 * pseudo-terminal, or a TCP connection to the forwarded port. Speaks the frames of frames.ts.
 *
 * Endings, each with the status message the official client prints, the WebSocket close code
 * our own client reads, and the connection's Status/ClosedReason in DescribeTerminalSessions:
 *   the shell or command exits     status 5 "Exit"             1000 "exit-status:N"   Disconnected AgentSocketClosed
 *   the forwarded target closes    status 5 "Exit"             1000 "Exit"            Disconnected AgentSocketClosed
 *   the client sends close (3)     (shell/command: none)       1000 "ClientClosed"    Disconnected ClientClosed
 *   the client goes away           -                           -                      Disconnected ClientClosed
 *   nothing from the client (idle) status 5 "AgentTimeout"     4001 "IdleTimeout"     Disconnected DeliveryTimeout
 *   the periodic close (a setting) status 5 "Exit"             1001 "PeriodicClose"   Disconnected PeriodicClose
 *   a drop fault (no close frame)  -                           -                      Disconnected ClientClosed
 *   EndTerminalSession             status 5 "Exit"             4002 "SessionEnded"    Terminated (reason from the backend)
 *   refused after the upgrade      status 2 + reason           4003 reason            Failed <reason>
 *   a malformed frame              status 5 "ProcessDataError" 4400 the rule broken   Failed MessageFormatInvalid
 *   the target cannot be reached   status 5 "OpenChannelFailed" 1011 "DeliveryTimeout" Failed DeliveryTimeout
 *   the local cloud stops          status 5 "Exit"             1001 "Exit"            Disconnected AgentSocketClosed
 *   too many connections at once   status 2 + reason           4003 reason            Failed ConnectionCountExceedLimit
 *   serving it failed unexpectedly status 5 "InternalError"    1011 "InternalError"   Failed InternalError
 *
 * Back-pressure both ways: the far end's output pauses while the WebSocket holds more than the
 * high-water mark the client has not taken (and while the bandwidth limit holds output back);
 * reading the WebSocket pauses while the far end's input is full (and while input is over the
 * bandwidth). The protocol has no acknowledgements, so TCP carries the pause to the client.
 *
 * The idle countdown and the periodic close run on the local cloud's clock.
 */
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { WebSocket, type RawData } from "ws";
import type { Clock, ClockTimer } from "../../clock";
import type { ConnectionFaults, DataPlaneFaults } from "../faults";
import { contained, logFailure } from "../failures";
import { WebSocketOutflow, type WaterMarks } from "../outflow";
import { openPortPipe, openTerminal, type Pipe, type TerminalPipe } from "../pipes";
import type { TokenBucket } from "../tokenBucket";
import type { EcsChannelSpec, ChannelState } from "../types";
import {
  decodeFrame,
  decodeSetSize,
  encodeFrame,
  FrameFormatError,
  MESSAGE_TYPES,
  sendRatePayload,
  STATUS_CODES,
  statusPayload,
} from "./frames";

/** What a session's connections share. */
export interface EcsChannel {
  spec: EcsChannelSpec;
  ended: boolean;
  connections: Set<EcsConnection>;
  /** The session's bandwidth (absent: unlimited), per direction, shared by its connections. */
  rate?: number;
  down?: TokenBucket;
  up?: TokenBucket;
}

/** One connection's bounds (docs/protocols/ecs.md lists them). */
export interface EcsConnectionLimits {
  /** Live connections per session: one more is refused (ConnectionCountExceedLimit). */
  maxConnectionsPerSession: number;
  /** Bytes queued towards the client above which the far end's output pauses. */
  sendMarks: WaterMarks;
}

/** A connection's clock and the settings it reads as it opens and at each idle countdown. */
export interface EcsConnectionTiming {
  clock: Clock;
  idleTimeoutMs(): number;
  /** The service closes the connection this long after it opened; absent: never. */
  periodicCloseMs?: number;
  faults?: DataPlaneFaults;
}

/** Port forwarding sends at most 2048 B per frame, shells 1024 B (as the agent does). */
const PORT_FRAME_BYTES = 2048;
const TERMINAL_FRAME_BYTES = 1024;
/** The smallest send rate worth announcing: the client divides by (rate / 8 / 2048). */
const MIN_ANNOUNCED_RATE = 4096;

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length <= 123 ? text : bytes.subarray(0, 120).toString("utf8") + "...";
}

export class EcsConnection {
  readonly id = `c-${randomBytes(8).toString("hex")}`;
  private pipe?: Pipe;
  private terminal?: TerminalPipe;
  private idleTimer?: ClockTimer;
  /** When the connection opened or the client last sent a message, on the clock. */
  private lastActive = 0;
  private periodicClose?: ClockTimer;
  private faults?: ConnectionFaults;
  private finished = false;
  private sequence = 0n;
  /** Output held back by the bandwidth limit, sent in order; the end waits behind it. */
  private outbound: Promise<void> = Promise.resolve();
  private held = 0;
  /** The client said its side is done (close message): the end that follows is its doing. */
  private clientEnded = false;
  private readonly outflow: WebSocketOutflow;
  /** Why the far end's output is paused (bandwidth, a client behind) and why reading the WebSocket is. */
  private readonly sourcePausedBy = new Set<"bandwidth" | "client">();
  private readonly intakePausedBy = new Set<"bandwidth" | "target">();

  private readonly ws: WebSocket;

  constructor(
    private readonly channel: EcsChannel,
    /** The WebSocket and the upgraded connection it runs on. */
    upgraded: { ws: WebSocket; socket: Duplex },
    private readonly timing: EcsConnectionTiming,
    private readonly limits: EcsConnectionLimits,
    private readonly onFinished: (c: EcsConnection) => void,
  ) {
    this.ws = upgraded.ws;
    this.outflow = new WebSocketOutflow(upgraded.ws, upgraded.socket, limits.sendMarks, {
      onFull: this.guarded(() => this.pauseSource("client")),
      onDrained: this.guarded(() => this.resumeSource("client")),
    });
  }

  start(): void {
    const { spec } = this.channel;
    this.report("Connecting");
    const refusal =
      this.channel.connections.size > this.limits.maxConnectionsPerSession
        ? "ConnectionCountExceedLimit"
        : spec.admit?.();
    if (refusal !== undefined) {
      this.sendStatus(STATUS_CODES.connectFailed, refusal);
      this.finish("Failed", refusal, 4003, refusal);
      return;
    }
    this.ws.on(
      "message",
      this.guarded((data: RawData, isBinary: boolean) => this.fromClient(data, isBinary)),
    );
    this.ws.on(
      "close",
      this.guarded(() => this.finish("Disconnected", "ClientClosed")),
    );
    // `ws` reports broken WebSocket framing (bad opcode, oversized message) as an error.
    this.ws.on(
      "error",
      this.guarded((err: Error & { code?: string }) =>
        err.code?.startsWith("WS_ERR_")
          ? this.finish("Failed", "MessageFormatInvalid")
          : this.finish("Disconnected", "ClientClosed"),
      ),
    );
    this.faults = this.timing.faults?.watch({
      plane: "ecs",
      sessionId: spec.sessionId,
      drop: () => this.ws.terminate(),
    });
    const periodic = this.timing.periodicCloseMs;
    if (periodic !== undefined)
      this.periodicClose = this.timing.clock.setTimeout(
        this.guarded(() => {
          this.sendStatus(STATUS_CODES.closed, "Exit");
          this.finish("Disconnected", "PeriodicClose", 1001, "PeriodicClose");
        }),
        periodic,
      );
    const events = {
      onReady: this.guarded(() => {
        if (this.finished) return;
        this.report("Connected");
        const rate = this.channel.rate;
        if (rate !== undefined && rate >= MIN_ANNOUNCED_RATE)
          this.send(MESSAGE_TYPES.status, sendRatePayload(rate));
        this.touch();
      }),
      onData: this.guarded((chunk: Buffer) => this.toClient(chunk)),
      onEnd: this.guarded((exitCode: number | null) =>
        this.afterOutput(() => {
          this.sendStatus(STATUS_CODES.closed, "Exit");
          const why = spec.mode.kind === "port" || exitCode === null ? "Exit" : `exit-status:${exitCode}`;
          this.finish("Disconnected", this.clientEnded ? "ClientClosed" : "AgentSocketClosed", 1000, why);
        }),
      ),
      onError: this.guarded(() => {
        this.sendStatus(STATUS_CODES.closed, "OpenChannelFailed");
        this.finish("Failed", "DeliveryTimeout", 1011, "DeliveryTimeout");
      }),
      onDrain: this.guarded(() => this.resumeIntake("target")),
    };
    const { mode } = spec;
    if (mode.kind === "port") {
      this.pipe = openPortPipe(mode.port, events);
    } else {
      this.terminal = openTerminal(
        mode.kind === "command" ? mode.commandLine : undefined,
        events,
        spec.sessionId,
      );
      this.pipe = this.terminal;
    }
  }

  /** Ends the connection because its session ended (EndTerminalSession). */
  terminate(reason: string): void {
    this.sendStatus(STATUS_CODES.closed, "Exit");
    this.finish("Terminated", reason, 4002, "SessionEnded");
  }

  /**
   * Ends the connection because the local cloud stops: Disconnected, not Terminated (the session
   * was not ended, and with a state dir it is still there after a restart).
   */
  shutdown(): void {
    this.sendStatus(STATUS_CODES.closed, "Exit");
    this.finish("Disconnected", "AgentSocketClosed", 1001, "Exit");
  }

  /**
   * Something failed that no rule of the protocol explains: this connection ends (status 5
   * "InternalError", which the official client prints, then close 1011) and the failure is logged.
   */
  fail(err: unknown): void {
    logFailure(`ECS session ${this.channel.spec.sessionId} connection ${this.id}`, err);
    this.sendStatus(STATUS_CODES.closed, "InternalError");
    this.finish("Failed", "InternalError", 1011, "InternalError");
  }

  private fromClient(data: RawData, isBinary: boolean): void {
    if (this.finished) return;
    if (!isBinary) {
      this.malformed("text frames are not part of the protocol");
      return;
    }
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.faults?.carried(buf.length);
    let frame;
    try {
      frame = decodeFrame(buf);
    } catch (err) {
      if (!(err instanceof FrameFormatError)) throw err;
      this.malformed(err.message);
      return;
    }
    this.touch();
    this.throttleInput(buf.length);
    switch (frame.type) {
      case MESSAGE_TYPES.input:
        // An empty input frame is the client's keep-alive. A full far end stops the reading.
        if (frame.payload.length > 0 && this.pipe?.write(frame.payload) === false) this.pauseIntake("target");
        return;
      case MESSAGE_TYPES.setSize: {
        if (!this.terminal) return; // port forwarding has no terminal
        try {
          const size = decodeSetSize(frame.payload);
          if (size) this.terminal.resize(size.rows, size.cols);
        } catch (err) {
          if (!(err instanceof FrameFormatError)) throw err;
          this.malformed(err.message);
        }
        return;
      }
      case MESSAGE_TYPES.close:
        // The client's local TCP connection ended: pass the FIN on and let the target finish.
        this.clientEnded = true;
        if (this.channel.spec.mode.kind === "port") this.pipe?.endInput();
        else this.finish("Disconnected", "ClientClosed", 1000, "ClientClosed");
        return;
      case MESSAGE_TYPES.status:
        // The client may announce its own rate (7); nothing else is defined in this direction.
        if (frame.payload.length === 0) this.malformed("a status message needs a status code");
        return;
      default:
        this.malformed("output frames flow from the instance only");
    }
  }

  private malformed(rule: string): void {
    this.sendStatus(STATUS_CODES.closed, "ProcessDataError");
    this.finish("Failed", "MessageFormatInvalid", 4400, rule);
  }

  /** Output towards the client, in frames of the agent's size, within the session's bandwidth. */
  private toClient(chunk: Buffer): void {
    const max = this.terminal ? TERMINAL_FRAME_BYTES : PORT_FRAME_BYTES;
    for (let at = 0; at < chunk.length; at += max) this.paced(chunk.subarray(at, at + max));
  }

  /**
   * Within the bandwidth a piece goes at once; over it, it waits its turn and reading from the far
   * end pauses meanwhile (backpressure).
   */
  private paced(piece: Buffer): void {
    const wait = this.channel.down?.take(piece.length) ?? 0;
    if (wait === 0 && this.held === 0) {
      this.send(MESSAGE_TYPES.output, piece);
      return;
    }
    const due = Date.now() + wait;
    this.held++;
    this.pauseSource("bandwidth");
    this.afterOutput(async () => {
      await new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now())));
      this.send(MESSAGE_TYPES.output, piece);
      if (--this.held === 0) this.resumeSource("bandwidth");
    });
  }

  private send(type: number, payload: Buffer): void {
    const frame = encodeFrame(type, this.sequence++, payload);
    this.outflow.send(frame);
    this.faults?.carried(frame.length);
  }

  private sendStatus(code: number, reason: string): void {
    if (!this.finished) this.send(MESSAGE_TYPES.status, statusPayload(code, reason));
  }

  /** Runs `fn` once the output held back by the bandwidth limit has been sent; a failure ends this connection. */
  private afterOutput(fn: () => void | Promise<void>): void {
    this.outbound = this.outbound.then(fn).catch((err: unknown) => this.fail(err));
  }

  private pauseSource(why: "bandwidth" | "client"): void {
    this.sourcePausedBy.add(why);
    this.pipe?.pause();
  }

  private resumeSource(why: "bandwidth" | "client"): void {
    if (this.sourcePausedBy.delete(why) && this.sourcePausedBy.size === 0 && !this.finished)
      this.pipe?.resume();
  }

  private pauseIntake(why: "bandwidth" | "target"): void {
    this.intakePausedBy.add(why);
    this.ws.pause();
  }

  private resumeIntake(why: "bandwidth" | "target"): void {
    if (this.intakePausedBy.delete(why) && this.intakePausedBy.size === 0 && !this.finished) this.ws.resume();
  }

  /** Input over the bandwidth: stop reading the WebSocket until the bucket refills. */
  private throttleInput(bytes: number): void {
    const wait = this.channel.up?.take(bytes) ?? 0;
    if (wait === 0 || this.finished) return;
    this.pauseIntake("bandwidth");
    setTimeout(
      this.guarded(() => this.resumeIntake("bandwidth")),
      wait,
    ).unref();
  }

  /**
   * A message from the client restarts the idle countdown; output does not. So does the agent: its
   * session channel zeroes its 180 s count only on a message it reads from the client
   * (aliyun_assist_client agent/session/channel/sessionchannel.go, `input_stream_cnt`), and
   * WebSocket pings never reach it. Touching only notes the time (it runs per frame): one timer
   * looks at it when it could be due.
   */
  private touch(): void {
    if (this.finished) return;
    this.lastActive = this.timing.clock.now().getTime();
    this.idleTimer ??= this.idleCheck(this.timing.idleTimeoutMs());
  }

  private idleCheck(ms: number): ClockTimer {
    return this.timing.clock.setTimeout(
      this.guarded(() => {
        this.idleTimer = undefined;
        if (this.finished) return;
        const left = this.lastActive + this.timing.idleTimeoutMs() - this.timing.clock.now().getTime();
        if (left > 0) return void (this.idleTimer = this.idleCheck(left));
        this.sendStatus(STATUS_CODES.closed, "AgentTimeout");
        this.finish("Disconnected", "DeliveryTimeout", 4001, "IdleTimeout");
      }),
      ms,
    );
  }

  /** Listener and timer callbacks: what they throw ends this connection, never the process. */
  private guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return contained(
      () => `ECS session ${this.channel.spec.sessionId} connection ${this.id}`,
      fn,
      (err) => this.fail(err),
    );
  }

  /** The backend hears of the change; a failure there is logged, and the connection goes on ending. */
  private report(state: ChannelState, reason?: string): void {
    try {
      this.channel.spec.onConnectionState(this.id, state, reason);
    } catch (err) {
      logFailure(`ECS session ${this.channel.spec.sessionId} connection ${this.id}`, err);
    }
  }

  private finish(state: ChannelState, reason: string, closeCode?: number, why?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.idleTimer?.clear();
    this.periodicClose?.clear();
    this.faults?.close();
    this.report(state, reason);
    this.pipe?.destroy();
    if (closeCode !== undefined && this.ws.readyState === WebSocket.OPEN)
      this.ws.close(closeCode, closeReason(why ?? ""));
    else if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    // Reading again (what arrives is ignored now) lets the client's close frame in: intake paused
    // for a full target would otherwise hold the connection for the whole close timeout.
    this.ws.resume();
    this.onFinished(this);
  }
}

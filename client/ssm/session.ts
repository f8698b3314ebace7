/**
 * What a program does with an AWS Session Manager session: an interactive shell over given
 * streams, a command's output and exit code, or a local port forwarded through the session.
 * Works against AWS (StreamUrl/TokenValue from StartSession) and against the local cloud.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { SsmFlag, SsmPayloadType } from "./codec";
import {
  SsmDataChannel,
  SsmSessionError,
  type SsmHandshake,
  type SsmSessionEnd,
  type SsmSessionOptions,
  type SsmSessionTarget,
} from "./dataChannel";
import { MuxClient } from "./smux";
import type { ForwardOptions, ShellOptions, TerminalSize } from "../options";
import { SessionProtocolError } from "../protocolError";

export type SsmShellOptions = ShellOptions & SsmSessionOptions;

export interface SsmShell {
  handshake: SsmHandshake;
  /** Tells the far terminal its new size. */
  resize(size: TerminalSize): void;
  /**
   * Resolves when the session ends (the shell exited, TerminateSession, or the client closed it);
   * rejects with a SessionProtocolError when the far end broke the protocol or went silent.
   */
  done: Promise<SsmSessionEnd>;
}

/**
 * Writes the far end's output to `output`, and stops reading the session while `output` drains:
 * what it does not take stays unacknowledged with the service instead of in memory here.
 */
function writeHolding(channel: SsmDataChannel, output: Writable, payload: Buffer): void {
  // A closed output takes nothing: holding for it would stop the session for a drain that never comes.
  if (!output.writable) return;
  if (output.write(payload) || channel.holding(output)) return;
  channel.holdIntake(output);
  output.once("drain", () => channel.releaseIntake(output));
}

/** `closed` with the caller's cleanup, handled here so that a failure nobody awaits ends no process. */
function settled(channel: SsmDataChannel, cleanup: () => void): Promise<SsmSessionEnd> {
  const done = channel.closed.finally(cleanup);
  void done.catch(() => undefined);
  return done;
}

/**
 * Runs an interactive shell (or an interactive command's session): bytes from `input` go to the
 * far terminal as they are (put a local TTY in raw mode first), its output goes to `output`.
 */
export async function openShell(target: SsmSessionTarget, options: SsmShellOptions): Promise<SsmShell> {
  const { input, output } = options;
  const { channel, handshake } = await SsmDataChannel.open(target, options, {
    onMessage: (type, payload) => {
      if (type === SsmPayloadType.Output || type === SsmPayloadType.StdErr)
        writeHolding(channel, output, payload);
    },
    onPressure: (paused) => (paused ? input?.pause() : input?.resume()),
  });
  if (handshake.sessionType === "Port") {
    channel.close();
    throw new SsmSessionError("Unsupported", "this is a port-forwarding session: use forwardPort");
  }
  const resize = ({ cols, rows }: TerminalSize) =>
    channel.send(SsmPayloadType.Size, Buffer.from(JSON.stringify({ cols, rows })));
  if (options.size) resize(options.size);
  const onInput = (chunk: Buffer | string) => channel.send(SsmPayloadType.Output, Buffer.from(chunk));
  input?.on("data", onInput);
  const done = settled(channel, () => input?.off("data", onInput));
  return { handshake, resize, done };
}

export interface SsmCommandResult {
  /** Everything the command wrote (on a terminal, stdout and stderr are one stream). */
  output: Buffer;
  /** Written separately by NonInteractiveCommands sessions. */
  stderr: Buffer;
  /** The `EXIT_CODE: n` the agent reports; undefined when the session ended without one. */
  exitCode: number | undefined;
  end: SsmSessionEnd;
}

export interface SsmCommandOptions extends SsmSessionOptions {
  /** Bytes sent to the command as typed. */
  input?: Readable;
}

/** Collects a command session's output and exit code (AWS-StartInteractiveCommand and the like). */
export async function runCommand(
  target: SsmSessionTarget,
  options: SsmCommandOptions = {},
): Promise<SsmCommandResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exitCode: number | undefined;
  const { channel } = await SsmDataChannel.open(target, options, {
    onMessage: (type, payload) => {
      if (type === SsmPayloadType.Output) out.push(payload);
      else if (type === SsmPayloadType.StdErr) err.push(payload);
      else if (type === SsmPayloadType.ExitCode) {
        const m = /EXIT_CODE:\s*(-?\d+)/.exec(payload.toString("utf8"));
        if (m) exitCode = Number(m[1]);
      }
    },
  });
  options.input?.on("data", (chunk: Buffer | string) =>
    channel.send(SsmPayloadType.Output, Buffer.from(chunk)),
  );
  const end = await channel.closed;
  return { output: Buffer.concat(out), stderr: Buffer.concat(err), exitCode, end };
}

export type SsmForwardOptions = ForwardOptions & SsmSessionOptions;

export interface SsmSocketForward {
  handshake: SsmHandshake;
  /** Resolves when the session ends; rejects with a SessionProtocolError as the shell's `done` does. */
  done: Promise<SsmSessionEnd>;
  /**
   * Carries a connection the caller accepted (on a listener of its own) as a smux stream of its
   * own; from here the forward owns the socket and destroys it when the session ends. False, with
   * the socket untouched, once the session has ended: the caller may hand it to another.
   */
  accept(socket: Socket): boolean;
  /**
   * Ends the connections and asks the agent to end the session. Never rejects: a session that had
   * already failed resolves with how its connection closed (`done` says why).
   */
  close(): Promise<SsmSessionEnd>;
}

export interface SsmForward extends SsmSocketForward {
  /** The local port that forwards (the one asked for, or the one the system picked). */
  port: number;
  /** Stops listening, then closes as `SsmSocketForward.close` does. */
  close(): Promise<SsmSessionEnd>;
}

/** Agents above this multiplex TCP connections with smux. */
const MUX_AFTER = [3, 0, 196, 0];

/**
 * A port-forwarding session (AWS-StartPortForwardingSession*) that carries the TCP connections it
 * is handed, each as its own smux stream, without a listener of its own.
 */
export async function forwardSockets(
  target: SsmSessionTarget,
  options: SsmSessionOptions = {},
): Promise<SsmSocketForward> {
  const sockets = new Set<Socket>();
  // The multiplexer needs the channel, and the channel's handler needs the multiplexer.
  const holder: { mux?: MuxClient; pressured?: boolean } = {};
  const { channel, handshake } = await SsmDataChannel.open(target, options, {
    onMessage: (type, payload) => {
      if (type === SsmPayloadType.Output) holder.mux?.receive(payload);
    },
    onPressure: (paused) => {
      holder.pressured = paused;
      sockets.forEach((s) => (paused ? s.pause() : s.resume()));
    },
  });
  const props = (handshake.properties ?? {}) as { type?: string };
  if (handshake.sessionType !== "Port" || props.type !== "LocalPortForwarding") {
    channel.close();
    throw new SsmSessionError(
      "Unsupported",
      `session type ${handshake.sessionType} is not local port forwarding`,
    );
  }
  if (!versionAbove(handshake.agentVersion, MUX_AFTER)) {
    channel.close();
    throw new SsmSessionError(
      "Unsupported",
      `agent ${handshake.agentVersion} does not multiplex connections (needs above 3.0.196.0)`,
    );
  }
  const muxClient = new MuxClient(
    (bytes) => channel.send(SsmPayloadType.Output, bytes),
    (why) => channel.fail(new SessionProtocolError("MalformedFrame", why)),
  );
  holder.mux = muxClient;
  let ended = false;

  const accept = (socket: Socket): boolean => {
    if (ended) return false;
    sockets.add(socket);
    const stream = muxClient.open();
    // One slow local reader holds the whole session, as in the official plugin: smux v1 has no
    // per-stream flow control, and dropping bytes would corrupt the stream.
    stream.onData = (data) => writeHolding(channel, socket, data);
    stream.onEnd = () => socket.end();
    socket.on("data", (data: Buffer) => stream.write(data));
    socket.on("end", () => stream.end());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      sockets.delete(socket);
      channel.releaseIntake(socket);
      stream.end();
    });
    // A connection accepted while the session is pressed waits with the others; one handed over
    // paused (a listener's pauseOnConnect) starts flowing here.
    if (holder.pressured) socket.pause();
    else socket.resume();
    return true;
  };
  const endConnections = () => {
    ended = true;
    for (const s of sockets) s.destroy();
  };
  const done = settled(channel, endConnections);
  return {
    handshake,
    done,
    accept,
    close: async () => {
      endConnections();
      channel.sendFlag(SsmFlag.TerminateSession);
      return done.catch((err: Error): SsmSessionEnd => ({
        closedBy: "connection",
        output: "",
        closeCode: err instanceof SessionProtocolError ? err.closeCode : undefined,
      }));
    },
  };
}

/**
 * Listens on `host:localPort` (default 127.0.0.1, a free port) and carries every TCP connection as
 * its own smux stream over the one session (AWS-StartPortForwardingSession*).
 */
export async function forwardPort(
  target: SsmSessionTarget,
  options: SsmForwardOptions = {},
): Promise<SsmForward> {
  const forward = await forwardSockets(target, options);
  const server = createServer((socket) => {
    if (!forward.accept(socket)) socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.localPort ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
  } catch (err) {
    await forward.close(); // nothing will use this session
    throw err;
  }
  void forward.done.finally(() => server.close()).catch(() => undefined);
  return {
    ...forward,
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      return forward.close();
    },
  };
}

function versionAbove(version: string, floor: number[]): boolean {
  const parts = version.split(".").map(Number);
  for (let i = 0; i < floor.length; i++) {
    const a = parts[i] ?? 0;
    const b = floor[i] ?? 0;
    if (Number.isNaN(a)) return false;
    if (a !== b) return a > b;
  }
  return false;
}

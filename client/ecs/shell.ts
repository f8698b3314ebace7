/**
 * An interactive shell (or a command) on an ECS instance through Session Manager: raw terminal
 * bytes in, terminal output out, resizes passed on. The far end runs it on a pseudo-terminal,
 * so nothing is echoed here and Enter is `\r`.
 */
import { EcsChannel, HIGH_WATER_BYTES, type EcsChannelEnd, type EcsChannelOptions } from "./channel";
import { EcsSessionError } from "./errors";
import type { ShellOptions, TerminalSize } from "../options";

export type EcsShellOptions = ShellOptions & EcsChannelOptions;

export interface EcsShell {
  /** Sends a new terminal size. */
  resize(size: TerminalSize): void;
  /** Sends bytes as if typed. */
  write(data: string | Uint8Array): void;
  /** Closes the connection (the far end ends the shell). */
  close(): void;
  /**
   * Settles when the far end closes: rejects with EcsSessionError when it refused the connection,
   * SessionProtocolError when it broke the protocol or went silent.
   */
  done: Promise<EcsChannelEnd>;
}

/**
 * Opens a shell on the session's WebSocketUrl. The terminal size goes out once the far end first
 * speaks (as the official client does); the end of `input` sends Ctrl-D.
 */
export async function openShell(url: string, options: EcsShellOptions): Promise<EcsShell> {
  const { input, output } = options;
  let size = options.size;
  let started = false;
  const held: Buffer[] = [];
  let settle!: { resolve(end: EcsChannelEnd): void; reject(err: Error): void };
  const done = new Promise<EcsChannelEnd>((resolve, reject) => (settle = { resolve, reject }));
  // A failure nobody awaits must not end the process.
  void done.catch(() => undefined);

  const channel = await EcsChannel.open(
    url,
    {
      onOutput(data) {
        channel.deliver(output, data);
        if (started) return;
        started = true;
        if (size) void channel.resize(size.rows, size.cols);
        for (const chunk of held.splice(0)) send(chunk);
        input?.resume();
      },
      onDrain: () => input?.resume(),
      onEnd(end) {
        input?.off("data", onData);
        input?.off("end", onEnd);
        const failure = endFailure(end);
        if (failure) settle.reject(failure);
        else settle.resolve(end);
      },
    },
    options,
  );

  function send(data: Buffer): void {
    if (!started) {
      // Held until the far end speaks; past the high-water mark, the source waits too.
      held.push(data);
      if (held.reduce((n, b) => n + b.length, 0) > HIGH_WATER_BYTES) input?.pause();
      return;
    }
    if (!channel.write(data)) input?.pause();
  }
  const onData = (chunk: Buffer | string) => send(Buffer.from(chunk));
  const onEnd = () => send(Buffer.from([4]));
  input?.on("data", onData);
  input?.once("end", onEnd);

  return {
    resize(next) {
      size = next;
      if (started) void channel.resize(next.rows, next.cols);
    },
    write: (data) => send(Buffer.from(data)),
    close: () => channel.close(),
    done,
  };
}

/** Why a channel's end is a failure: the far end refused it, or broke the protocol. */
function endFailure(end: EcsChannelEnd): Error | undefined {
  return end.error ?? (end.refusal !== undefined ? refusedError(end.refusal) : undefined);
}

/** A status-2 refusal: its text starts with the reason's name. */
export function refusedError(text: string): EcsSessionError {
  const code = /^[A-Za-z.]+/.exec(text)?.[0] ?? "ConnectFailed";
  return new EcsSessionError(code, `The session refused the connection: ${text}`);
}

export interface EcsCommandResult extends EcsChannelEnd {
  /** Everything the command printed (through a terminal: lines end in \r\n). */
  output: Buffer;
}

/** Connects to a command session (StartTerminalSession with CommandLine) and collects its output. */
export async function runCommand(url: string, options: EcsChannelOptions = {}): Promise<EcsCommandResult> {
  const chunks: Buffer[] = [];
  const end = await new Promise<EcsChannelEnd>((resolve, reject) => {
    EcsChannel.open(
      url,
      {
        onOutput: (data) => chunks.push(Buffer.from(data)),
        onEnd: (e) => {
          const failure = endFailure(e);
          if (failure) reject(failure);
          else resolve(e);
        },
      },
      options,
    ).catch(reject);
  });
  return { ...end, output: Buffer.concat(chunks) };
}

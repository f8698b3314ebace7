/**
 * An interactive shell (or a command) on an ECS instance through Session Manager: raw terminal
 * bytes in, terminal output out, resizes passed on. The far end runs it on a pseudo-terminal,
 * so nothing is echoed here and Enter is `\r`.
 */
import type { Readable, Writable } from "node:stream";
import { EcsChannel, type EcsChannelEnd, type EcsChannelOptions } from "./channel";
import { EcsSessionError } from "./errors";

/** The agent ignores input until its pseudo-terminal is up; input frames stay this small. */
const MAX_INPUT_FRAME = 2048;

export interface EcsShellOptions extends EcsChannelOptions {
  /** Raw TTY bytes (a terminal in raw mode, or any stream). Its end sends Ctrl-D. */
  input?: Readable;
  /** Where the terminal output goes. */
  output: Writable;
  /** The terminal size, sent once the far end first speaks (as the official client does). */
  size?: { rows: number; cols: number };
}

export interface EcsShell {
  /** Sends a new terminal size. */
  resize(rows: number, cols: number): void;
  /** Sends bytes as if typed. */
  write(data: string | Uint8Array): void;
  /** Closes the connection (the far end ends the shell). */
  close(): void;
  /** Settles when the far end closes: rejects with EcsSessionError when it refused the connection. */
  done: Promise<EcsChannelEnd>;
}

/** Opens a shell on the session's WebSocketUrl. */
export async function openShell(url: string, options: EcsShellOptions): Promise<EcsShell> {
  const { input, output } = options;
  let size = options.size;
  let started = false;
  const held: Buffer[] = [];
  let settle!: { resolve(end: EcsChannelEnd): void; reject(err: Error): void };
  const done = new Promise<EcsChannelEnd>((resolve, reject) => (settle = { resolve, reject }));

  const channel = await EcsChannel.open(
    url,
    {
      onOutput(data) {
        if (!output.write(data)) {
          channel.pause();
          output.once("drain", () => channel.resume());
        }
        if (started) return;
        started = true;
        if (size) void channel.resize(size.rows, size.cols);
        for (const chunk of held.splice(0)) send(chunk);
      },
      onEnd(end) {
        input?.off("data", onData);
        input?.off("end", onEnd);
        if (end.refusal !== undefined) settle.reject(refusedError(end.refusal));
        else settle.resolve(end);
      },
    },
    options,
  );

  function send(data: Buffer): void {
    if (!started) {
      held.push(data);
      return;
    }
    for (let at = 0; at < data.length; at += MAX_INPUT_FRAME) {
      void channel.input(data.subarray(at, at + MAX_INPUT_FRAME));
    }
  }
  const onData = (chunk: Buffer | string) => send(Buffer.from(chunk));
  const onEnd = () => send(Buffer.from([4]));
  input?.on("data", onData);
  input?.once("end", onEnd);

  return {
    resize(rows, cols) {
      size = { rows, cols };
      if (started) void channel.resize(rows, cols);
    },
    write: (data) => send(Buffer.from(data)),
    close: () => channel.close(),
    done,
  };
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
        onEnd: (e) => (e.refusal !== undefined ? reject(refusedError(e.refusal)) : resolve(e)),
      },
      options,
    ).catch(reject);
  });
  return { ...end, output: Buffer.concat(chunks) };
}

/**
 * What sits behind a data-plane connection: a TCP socket to a loopback port (`openPortPipe`), or
 * a shell or command on a pseudo-terminal (`openTerminal`: util-linux `script`, no native addon),
 * as both agents run them. Each is a `Pipe`: bytes in, bytes out, one end event. On the
 * terminal, keystrokes arrive raw (Enter is `\r`), the terminal echoes and translates them, and
 * the size can be set.
 *
 * Processes run apart from the emulator's environment (see `ProcessPipe`). Port forwarding dials
 * 127.0.0.1 only, whatever TargetServer said.
 */
import { execFile } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { ProcessPipe } from "./processPipe";
import { PtySizer, type TerminalSize } from "./ptySize";
import { batchedPerTick } from "./tickWrites";

export interface PipeEvents {
  /** The far end is ready (process spawned, socket connected). */
  onReady(): void;
  onData(chunk: Buffer): void;
  /** The far end finished: the process's exit code, or null and the signal that killed it; null for a socket. */
  onEnd(exitCode: number | null, signal?: NodeJS.Signals | null): void;
  /** The far end could not be reached (spawn failure, connection refused). */
  onError(error: Error): void;
  /** Optional: the input side took everything a `write` returning false had left waiting. */
  onDrain?(): void;
}

export interface Pipe {
  /** False when the far end's input is full: hold further input until `onDrain`. */
  write(chunk: Buffer): boolean;
  /** Closes the input side (EOF on stdin, FIN on the socket). */
  endInput(): void;
  /** Stops reading output for a while (bandwidth limit, a slow peer); `resume` starts again. */
  pause(): void;
  resume(): void;
  /** Tears everything down; idempotent. */
  destroy(): void;
}

class PortPipe implements Pipe {
  private readonly socket: Socket;
  private connected = false;
  /** What one tick writes (the frames of one read of the session) goes out in one system call. */
  private readonly batch: () => void;

  constructor(port: number, events: PipeEvents) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.batch = batchedPerTick(this.socket);
    this.socket.on("connect", () => {
      this.connected = true;
      events.onReady();
    });
    this.socket.on("data", (d: Buffer) => events.onData(d));
    this.socket.on("drain", () => events.onDrain?.());
    this.socket.on("error", (err) => {
      if (!this.connected) events.onError(err);
    });
    this.socket.on("close", () => {
      if (this.connected) events.onEnd(null);
    });
  }

  write(chunk: Buffer): boolean {
    if (!this.socket.writable) return true;
    this.batch();
    return this.socket.write(chunk);
  }

  endInput(): void {
    this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A pipe to 127.0.0.1:`port`, whatever host the session named. */
export function openPortPipe(port: number, events: PipeEvents): Pipe {
  return new PortPipe(port, events);
}

/** A pipe to a process on a pseudo-terminal. */
export interface TerminalPipe extends Pipe {
  /** Sets the terminal's size; the process gets SIGWINCH. */
  resize(rows: number, cols: number): void;
}

export interface TerminalOptions {
  /** The size until the client sets its own; default 80x24. */
  size?: TerminalSize;
  /**
   * How long a resize waits for the terminal to exist with its starting size (the first
   * milliseconds); keystrokes sent after it wait too. Default 0: a resize that comes first is dropped.
   */
  resizeWaitMs?: number;
}

/**
 * `script -q -e -c CMD /dev/null` puts CMD on a new pty and relays our stdin/stdout to its master
 * side (`-e`: its exit status is CMD's). CMD first sets the starting size, then execs the shell or
 * `/bin/sh -c` of the command, taken from the environment so no quoting can break it.
 */
class ScriptPipe extends ProcessPipe implements TerminalPipe {
  private readonly sizer: PtySizer;
  /** The slave side, once it had its starting size (it stays the same device). */
  private sizedTty?: string;

  constructor(
    commandLine: string | undefined,
    events: PipeEvents,
    sessionId: string,
    size: TerminalSize,
    resizeWaitMs: number,
  ) {
    const start =
      `stty rows ${size.rows} cols ${size.cols} 2>/dev/null; ` +
      (commandLine === undefined ? "exec /bin/sh" : 'exec /bin/sh -c "$SESSION_COMMAND"');
    super("script", ["-q", "-e", "-c", start, "/dev/null"], events, {
      env: {
        TERM: "xterm-256color",
        SHELL: "/bin/sh",
        SESSION_ID: sessionId,
        ...(commandLine === undefined ? {} : { SESSION_COMMAND: commandLine }),
      },
    });
    this.sizer = new PtySizer(
      () => this.sizedSlave(resizeWaitMs),
      (chunk) => super.write(chunk),
      () => events.onDrain?.(),
    );
  }

  override write(chunk: Buffer): boolean {
    return this.sizer.write(chunk);
  }

  /**
   * The pty's slave side is the stdin of `script`'s child; `stty -F` on it sets the size (the
   * kernel signals the foreground process group). Linux-only: it reads /proc. Before the child
   * exists (the first milliseconds) a resize waits up to `resizeWaitMs`, then is dropped.
   */
  resize(rows: number, cols: number): void {
    this.sizer.resize({ rows, cols });
  }

  /** The session on the pty has its own process group, which killing `script` does not reach. */
  override destroy(): void {
    const child = this.ptyChild();
    if (child !== undefined) {
      try {
        process.kill(-child, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    super.destroy();
  }

  private ptyChild(): number | undefined {
    const pid = this.child.pid;
    if (pid === undefined) return undefined;
    try {
      const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
      return child ? Number(child) : undefined;
    } catch {
      return undefined; // not started yet, or already gone
    }
  }

  /**
   * The slave side, once the start command has set the starting size: a resize before that would
   * be undone by it. Polled for until `waitMs` passed or the process ended, then taken as it is.
   * Once found sized it is kept: later resizes need no look at /proc or the size.
   */
  private async sizedSlave(waitMs: number): Promise<string | undefined> {
    if (this.sizedTty !== undefined) return this.sizedTty;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const tty = this.slave();
      if (tty !== undefined && (waitMs === 0 || (await sized(tty)))) return (this.sizedTty = tty);
      if (this.exited || Date.now() >= deadline) return tty;
      await sleep(10);
    }
  }

  private slave(): string | undefined {
    const child = this.ptyChild();
    if (child === undefined) return undefined;
    try {
      const tty = readlinkSync(`/proc/${child}/fd/0`);
      return tty.startsWith("/dev/pts/") ? tty : undefined;
    } catch {
      return undefined;
    }
  }
}

/** `script` makes the terminal 0x0 (its stdin is a pipe, not a terminal to copy the size of). */
async function sized(tty: string): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)("stty", ["-F", tty, "size"]);
    return stdout.trim() !== "0 0";
  } catch {
    return false; // the terminal went away meanwhile
  }
}

/** A shell (no `commandLine`) or a command on a pseudo-terminal. */
export function openTerminal(
  commandLine: string | undefined,
  events: PipeEvents,
  sessionId: string,
  { size = { rows: 24, cols: 80 }, resizeWaitMs = 0 }: TerminalOptions = {},
): TerminalPipe {
  return new ScriptPipe(commandLine, events, sessionId, size, resizeWaitMs);
}

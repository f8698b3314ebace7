/**
 * A shell or command on a pseudo-terminal, as the SSM agent runs them: keystrokes arrive raw
 * (Enter is `\r`), the terminal echoes and translates, and the size follows the client's.
 * No native addon: util-linux `script` owns the pseudo-terminal and relays it over pipes.
 *
 * The process runs in a fresh scratch folder with a minimal environment, so the local cloud's
 * own environment (its cloud credentials) never reaches a session.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PtySizer } from "../ptySize";

export interface TerminalEvents {
  onData(chunk: Buffer): void;
  /** The process ended: its exit status (128 + signal number when killed). */
  onExit(code: number): void;
  onError(error: Error): void;
  /** The terminal took the input a `write` returning false had left waiting. */
  onDrain(): void;
}

/** The size a terminal has until the client sends its own. */
const DEFAULT_SIZE = { cols: 80, rows: 24 };
/** How long a resize waits for `script` to have made the terminal. */
const TTY_WAIT_MS = 2000;

export class Terminal {
  private readonly child: ChildProcess;
  private readonly scratch: string;
  private exited = false;
  private readonly sizer: PtySizer;

  /** `commandLine` undefined: an interactive `/bin/sh`. */
  constructor(commandLine: string | undefined, sessionId: string, events: TerminalEvents) {
    this.scratch = mkdtempSync(join(tmpdir(), "pulumi-sessions-ssm-"));
    // -q no banner, -f flush at once, -e exit with the command's status; the log goes nowhere.
    this.child = spawn("script", ["-q", "-f", "-e", "-c", commandLine ?? "exec /bin/sh", "/dev/null"], {
      cwd: this.scratch,
      env: {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        HOME: this.scratch,
        LANG: "C.UTF-8",
        TERM: "xterm",
        SHELL: "/bin/sh",
        SESSION_ID: sessionId,
      },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    this.child.on("error", (err) => events.onError(err));
    this.child.stdout?.on("data", (d: Buffer) => events.onData(d));
    this.child.stderr?.on("data", (d: Buffer) => events.onData(d));
    this.child.stdin?.on("error", () => undefined);
    this.child.stdin?.on("drain", () => events.onDrain());
    this.child.on("close", (code, signal) => {
      this.exited = true;
      this.cleanup();
      events.onExit(code ?? 128 + signalNumber(signal));
    });
    this.sizer = new PtySizer(
      () => this.waitForTty(),
      (chunk) => this.writeNow(chunk),
      () => events.onDrain(),
    );
    this.resize(DEFAULT_SIZE.cols, DEFAULT_SIZE.rows);
  }

  /** False when the terminal's input is full: hold further input until `onDrain`. */
  write(chunk: Buffer): boolean {
    return this.sizer.write(chunk);
  }

  private writeNow(chunk: Buffer): boolean {
    // Input for a process that is gone is dropped: there is nothing to wait for.
    if (this.exited || !this.child.stdin?.writable) return true;
    return this.child.stdin.write(chunk);
  }

  pause(): void {
    this.child.stdout?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
  }

  /**
   * Sets the terminal's size (the shell gets SIGWINCH); keystrokes sent after it wait for it, and
   * a burst of resizes runs `stty` once with the latest size.
   */
  resize(cols: number, rows: number): void {
    this.sizer.resize({ cols, rows });
  }

  private async waitForTty(): Promise<string | undefined> {
    const deadline = Date.now() + TTY_WAIT_MS;
    for (;;) {
      const tty = this.slaveTty();
      if (tty || this.exited || Date.now() > deadline) return tty;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  destroy(): void {
    if (!this.exited && this.child.pid !== undefined) {
      // The command runs in script's own session: it gets SIGHUP when the terminal goes away.
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    this.cleanup();
  }

  /** The pseudo-terminal `script` made for its child, read from /proc. */
  private slaveTty(): string | undefined {
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return undefined;
    try {
      const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
      if (!child) return undefined;
      const tty = readlinkSync(`/proc/${child}/fd/0`);
      return tty.startsWith("/dev/pts/") ? tty : undefined;
    } catch {
      return undefined;
    }
  }

  private cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 0;
}

/**
 * A command as the SSM agent's NonInteractiveCommands plugin runs it: no terminal and no stdin;
 * stdout and stderr read apart (the agent sends them as Output and StdErr payloads, with the
 * document's separateOutputStream) and the exit code reported at the end. The client's input is
 * not the command's: the agent only looks in it for Ctrl-C and Ctrl-\, which it turns into
 * SIGINT and SIGQUIT.
 *
 * The agent splits the command like a shell and runs it without one; here `/bin/sh -c` runs it
 * (quoting behaves the same; shell syntax such as pipes works here and not there). It runs in a
 * fresh scratch folder with a minimal environment, so the local cloud's own environment (its cloud
 * credentials) never reaches a session.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pipe } from "../pipes";

export interface NonInteractiveEvents {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** The command ended and its output was read: its exit status (128 + signal number when killed). */
  onExit(code: number): void;
  onError(error: Error): void;
}

/** The input bytes the agent turns into signals (appconfig.ByteControlSignalsLinux). */
const CONTROL_SIGNALS: ReadonlyMap<number, NodeJS.Signals> = new Map([
  [0x03, "SIGINT"],
  [0x1c, "SIGQUIT"],
]);
const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

export class NonInteractiveCommand implements Pipe {
  private readonly child: ChildProcess;
  private readonly scratch: string;
  private exited = false;

  constructor(commandLine: string, sessionId: string, events: NonInteractiveEvents) {
    this.scratch = mkdtempSync(join(tmpdir(), "pulumi-sessions-ssm-"));
    this.child = spawn("/bin/sh", ["-c", commandLine], {
      cwd: this.scratch,
      env: {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        HOME: this.scratch,
        LANG: "C.UTF-8",
        TERM: "xterm-256color",
        SESSION_ID: sessionId,
      },
      // The agent's exec.Cmd has no Stdin: the command reads /dev/null.
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: a signal or the end of the session reaches all it started.
      detached: true,
    });
    this.child.on("error", (err) => events.onError(err));
    this.child.stdout?.on("data", (d: Buffer) => events.onStdout(d));
    this.child.stderr?.on("data", (d: Buffer) => events.onStderr(d));
    // `close` fires once the process exited and both pipes are read to the end.
    this.child.on("close", (code, signal) => {
      this.exited = true;
      this.cleanup();
      events.onExit(code ?? 128 + ((signal && SIGNAL_NUMBERS[signal]) ?? 0));
    });
  }

  /** The client's input: only the control bytes count, as signals to the command. */
  write(chunk: Buffer): boolean {
    for (const byte of chunk) {
      const signal = CONTROL_SIGNALS.get(byte);
      if (signal) {
        this.signal(signal);
        break;
      }
    }
    return true;
  }

  /** There is no stdin to close. */
  endInput(): void {}

  pause(): void {
    this.child.stdout?.pause();
    this.child.stderr?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
    this.child.stderr?.resume();
  }

  destroy(): void {
    this.signal("SIGKILL");
    this.cleanup();
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/**
 * A process behind a data-plane connection. It runs in a fresh scratch folder with a minimal
 * environment (PATH, HOME=scratch, LANG, plus what the caller adds): the emulator's own
 * environment (cloud credentials) never leaks into a session. It has its own process group, so a
 * signal or the end of the session reaches everything it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import type { Pipe, PipeEvents } from "./pipes";

export interface ProcessEvents extends PipeEvents {
  /** Optional: stderr apart; without it stderr goes to `onData` with stdout. */
  onStderr?(chunk: Buffer): void;
}

export interface ProcessOptions {
  /** Added to the minimal environment. */
  env: Record<string, string>;
  /** `ignore`: the process reads /dev/null and `write` drops the client's input. Default `pipe`. */
  stdin?: "pipe" | "ignore";
}

export class ProcessPipe implements Pipe {
  protected readonly child: ChildProcess;
  private readonly scratch: string;
  private destroyed = false;

  constructor(program: string, args: string[], events: ProcessEvents, options: ProcessOptions) {
    this.scratch = mkdtempSync(join(tmpdir(), "pulumi-sessions-"));
    this.child = spawn(program, args, {
      cwd: this.scratch,
      env: {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        HOME: this.scratch,
        LANG: "C.UTF-8",
        ...options.env,
      },
      stdio: [options.stdin ?? "pipe", "pipe", "pipe"],
      detached: true,
    });
    this.child.on("spawn", () => events.onReady());
    this.child.on("error", (err) => events.onError(err));
    this.child.stdout?.on("data", (d: Buffer) => events.onData(d));
    const onStderr = events.onStderr ?? events.onData;
    this.child.stderr?.on("data", (d: Buffer) => onStderr(d));
    // Writes after the process exited raise EPIPE on stdin; the exit is reported through `close`.
    this.child.stdin?.on("error", () => undefined);
    this.child.stdin?.on("drain", () => events.onDrain?.());
    // `close` fires after the process exited and its output streams drained.
    this.child.on("close", (code, signal) => {
      this.cleanup();
      events.onEnd(code, signal);
    });
  }

  write(chunk: Buffer): boolean {
    // Input for a process that is gone (or reads no stdin) is dropped: there is nothing to wait for.
    if (this.destroyed || !this.child.stdin?.writable) return true;
    return this.child.stdin.write(chunk);
  }

  endInput(): void {
    this.child.stdin?.end();
  }

  pause(): void {
    this.child.stdout?.pause();
    this.child.stderr?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
    this.child.stderr?.resume();
  }

  /** The process exited (it may still be flushing output). */
  protected get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Signals the process group; nothing once the process exited (its group id may be reused). */
  signal(signal: NodeJS.Signals): void {
    const { pid } = this.child;
    if (this.exited || pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.signal("SIGKILL");
    this.cleanup();
  }

  private cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** An exit as a shell reports it: the code, or 128 + the number of the signal that killed the process. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null | undefined): number {
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}

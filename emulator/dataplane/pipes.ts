/**
 * What sits behind a data-plane connection: a command (`/bin/sh -c`), a shell (`/bin/sh`), or a
 * TCP socket to a loopback port. Each is a `Pipe`: bytes in, bytes out, one end event.
 *
 * Processes run in a fresh scratch folder with a minimal environment (PATH, HOME=scratch, LANG,
 * TERM=dumb): the emulator's own environment (cloud credentials) never leaks into a session.
 * Port forwarding dials 127.0.0.1 only, whatever TargetServer said.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChannelMode } from "./types";

export interface PipeEvents {
  /** The far end is ready (process spawned, socket connected). */
  onReady(): void;
  onData(chunk: Buffer): void;
  /** The far end finished: process exit code, or null for a socket / signal. */
  onEnd(exitCode: number | null): void;
  /** The far end could not be reached (spawn failure, connection refused). */
  onError(error: Error): void;
}

export interface Pipe {
  write(chunk: Buffer): void;
  /** Closes the input side (EOF on stdin, FIN on the socket). */
  endInput(): void;
  /** Stops reading output for a while (bandwidth limit); `resume` starts again. */
  pause(): void;
  resume(): void;
  /** Tears everything down; idempotent. */
  destroy(): void;
}

class ProcessPipe implements Pipe {
  private readonly child: ChildProcess;
  private readonly scratch: string;
  private destroyed = false;

  constructor(args: string[], events: PipeEvents, sessionId: string) {
    this.scratch = mkdtempSync(join(tmpdir(), "pulumi-sessions-"));
    this.child = spawn("/bin/sh", args, {
      cwd: this.scratch,
      env: {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        HOME: this.scratch,
        LANG: "C.UTF-8",
        TERM: "dumb",
        SESSION_ID: sessionId,
      },
      stdio: ["pipe", "pipe", "pipe"],
      // Own process group, so destroy() can kill the whole tree the command started.
      detached: true,
    });
    this.child.on("spawn", () => events.onReady());
    this.child.on("error", (err) => events.onError(err));
    this.child.stdout?.on("data", (d: Buffer) => events.onData(d));
    this.child.stderr?.on("data", (d: Buffer) => events.onData(d));
    // Writes after the process exited raise EPIPE on stdin; the exit is reported through `close`.
    this.child.stdin?.on("error", () => undefined);
    // `close` fires after the process exited and its output streams drained.
    this.child.on("close", (code) => {
      events.onEnd(code);
      this.cleanup();
    });
  }

  write(chunk: Buffer): void {
    if (!this.destroyed && this.child.stdin?.writable) this.child.stdin.write(chunk);
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

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    this.cleanup();
  }

  private cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

class PortPipe implements Pipe {
  private readonly socket: Socket;
  private connected = false;

  constructor(port: number, events: PipeEvents) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.socket.on("connect", () => {
      this.connected = true;
      events.onReady();
    });
    this.socket.on("data", (d: Buffer) => events.onData(d));
    this.socket.on("error", (err) => {
      if (!this.connected) events.onError(err);
    });
    this.socket.on("close", () => {
      if (this.connected) events.onEnd(null);
    });
  }

  write(chunk: Buffer): void {
    if (this.socket.writable) this.socket.write(chunk);
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

export function openPipe(mode: ChannelMode, events: PipeEvents, sessionId: string): Pipe {
  switch (mode.kind) {
    case "command":
      return new ProcessPipe(["-c", mode.commandLine], events, sessionId);
    case "shell":
      return new ProcessPipe([], events, sessionId);
    case "port":
      return new PortPipe(mode.port, events);
  }
}

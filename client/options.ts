/**
 * The options both clouds' session calls take, under the same names: `ecs.forwardPort` and
 * `ssm.forwardPort` differ only in where the session is (a URL, or a StreamUrl and its token).
 */
import type { Readable, Writable } from "node:stream";

/** The time limits of one session; every field has a default. */
export interface SessionTimeouts {
  /**
   * Milliseconds for the WebSocket upgrade and, for SSM, for the agent's handshake up to its
   * HandshakeComplete. Default 30 000.
   */
  handshakeTimeoutMs?: number;
  /**
   * Milliseconds without anything from the far end (a message, a ping or a pong) before the session
   * ends with `IdleTimeout`. The client pings every third of it, so a live far end, however quiet
   * its program, always answers in time. Default 90 000.
   */
  idleTimeoutMs?: number;
}

/** What every session call takes besides where the session is. */
export interface SessionOptions extends SessionTimeouts {
  /** Aborting closes the connection. */
  signal?: AbortSignal;
}

export interface TerminalSize {
  rows: number;
  cols: number;
}

/** A shell's streams. */
export interface ShellOptions extends SessionOptions {
  /** Raw TTY bytes (a terminal in raw mode, or any stream). */
  input?: Readable;
  /** Where the terminal output goes. */
  output: Writable;
  /** The terminal size to start with. */
  size?: TerminalSize;
}

/** Where a forward listens. */
export interface ForwardOptions extends SessionOptions {
  /** Local port to listen on (default 0: any free port). */
  localPort?: number;
  /** Local address to listen on (default 127.0.0.1). */
  host?: string;
}

/**
 * What both clients do to their WebSocket so that a silent or broken far end ends the session
 * instead of hanging it: the socket options (message size, handshake time), a keepalive that
 * notices a far end gone quiet, and the reading of `ws`'s own framing errors.
 */
import type { SessionTimeouts } from "./options";
import { SessionProtocolError } from "./protocolError";

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;

/** `ws`'s options that bound a session (declared here so that no public type names `ws`). */
export interface SocketOptions {
  maxPayload: number;
  handshakeTimeout: number;
  perMessageDeflate: false;
}

/** The WebSocket options of a session: `maxPayload` sized to the protocol's real frames. */
export function socketOptions(maxPayload: number, timeouts: SessionTimeouts): SocketOptions {
  return {
    maxPayload,
    handshakeTimeout: timeouts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    // Neither service compresses; without it no message costs more to read than its size.
    perMessageDeflate: false,
  };
}

export const upgradeTimeout = () =>
  new SessionProtocolError("HandshakeTimeout", "the WebSocket upgrade was not answered in time");

/** The protocol failure behind one of `ws`'s own errors, if it is one. */
export function socketFailure(
  err: Error & { code?: string },
  maxPayload: number,
): SessionProtocolError | undefined {
  if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH")
    return new SessionProtocolError("FrameTooLarge", `a WebSocket message over ${maxPayload} bytes`);
  if (err.code?.startsWith("WS_ERR_"))
    return new SessionProtocolError("MalformedFrame", `broken WebSocket framing (${err.code})`);
  if (err.message === "Opening handshake has timed out") return upgradeTimeout();
  return undefined;
}

export interface Liveness {
  /** The caller stopped reading (back-pressure): silence is then its doing, not the far end's. */
  pause(): void;
  resume(): void;
  stop(): void;
}

/** The part of a `ws` WebSocket the watch uses. */
export interface WatchedSocket {
  on(event: "message" | "ping" | "pong", listener: () => void): unknown;
  off(event: "message" | "ping" | "pong", listener: () => void): unknown;
  readonly readyState: number;
  readonly OPEN: number;
  ping(): void;
}

/** Pings the far end and calls `onSilent` once nothing has come from it for `idleTimeoutMs`. */
export function watchLiveness(
  ws: WatchedSocket,
  timeouts: SessionTimeouts,
  onSilent: (err: SessionProtocolError) => void,
): Liveness {
  const idleMs = timeouts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  let heardAt = Date.now();
  let paused = false;
  const heard = () => (heardAt = Date.now());
  ws.on("message", heard);
  ws.on("ping", heard);
  ws.on("pong", heard);
  const timer = setInterval(
    () => {
      if (paused) return;
      if (Date.now() - heardAt >= idleMs) {
        stop();
        onSilent(new SessionProtocolError("IdleTimeout", `nothing for ${idleMs} ms, pings unanswered`));
      } else if (ws.readyState === ws.OPEN) {
        ws.ping();
      }
    },
    Math.max(1, Math.floor(idleMs / 3)),
  );
  // The WebSocket keeps the process alive while it is open; the watch alone must not.
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    ws.off("message", heard);
    ws.off("ping", heard);
    ws.off("pong", heard);
  };
  return {
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      heard();
    },
    stop,
  };
}

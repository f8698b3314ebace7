/**
 * How one session ends when its far end breaks the protocol or goes silent. Both clients (ECS and
 * SSM) end only that session with this error, never the process; a program branches on `code`
 * (match by `name` and `code`: a serialized provider can load a second copy of this module).
 */

/** What was wrong, one code per kind of failure. */
export type SessionProtocolCode =
  /** Bytes that are not a message of the protocol, or a payload that does not parse. */
  | "MalformedFrame"
  /** A well-formed message the protocol does not allow (an unknown type, or out of order). */
  | "UnexpectedMessage"
  /** A WebSocket message larger than the client accepts. */
  | "FrameTooLarge"
  /** The WebSocket upgrade, or the protocol's own handshake, did not finish in time. */
  | "HandshakeTimeout"
  /** Nothing (not even a pong) came from the far end for too long. */
  | "IdleTimeout"
  /** More unacknowledged data than the client keeps. */
  | "QueueFull"
  /** A message stayed unacknowledged for too long, however often it was resent. */
  | "ResendTimeout"
  /** The connection closed while the session was running, without the far end ending it. */
  | "UnexpectedClose"
  /** The connection was lost and could not be made again within the reconnection budget. */
  | "ReconnectFailed";

/** The first half of each message: what happened, as the user sees it. */
const SUMMARY: Record<SessionProtocolCode, string> = {
  MalformedFrame: "the far end sent a malformed message",
  UnexpectedMessage: "the far end sent a message the protocol does not allow here",
  FrameTooLarge: "the far end sent a message larger than this client accepts",
  HandshakeTimeout: "the session's handshake did not finish in time",
  IdleTimeout: "nothing came from the far end for too long",
  QueueFull: "the far end left more data unacknowledged than this client keeps",
  ResendTimeout: "the far end did not acknowledge a message in time",
  UnexpectedClose: "the connection closed before the session ended",
  ReconnectFailed: "the connection was lost and could not be made again in time",
};

/** Bytes no Session Manager endpoint would send: the URL may point somewhere else. */
const WRONG_PEER = "Open a new session; if it happens again, the URL is not a Session Manager data channel.";

/** The second half: what the user can do about it. */
const ACTION: Record<SessionProtocolCode, string> = {
  MalformedFrame: WRONG_PEER,
  UnexpectedMessage: WRONG_PEER,
  FrameTooLarge: WRONG_PEER,
  HandshakeTimeout:
    "Check that the URL is the session's and that the network reaches it, then open a new session.",
  IdleTimeout: "The connection is lost: open a new session.",
  QueueFull: "The far end stopped acknowledging: open a new session.",
  ResendTimeout: "The connection is lost: open a new session.",
  UnexpectedClose: "Open a new session.",
  ReconnectFailed:
    "Check that the network reaches the service and that the credentials may call ResumeSession, then open a new session.",
};

export class SessionProtocolError extends Error {
  override readonly name = "SessionProtocolError";

  constructor(
    readonly code: SessionProtocolCode,
    /** Which rule was broken or which limit was reached; never any bytes or secret of the session. */
    readonly detail: string,
    /** The WebSocket close code, when the far end sent one. */
    readonly closeCode?: number,
  ) {
    super(`${SUMMARY[code]} (${detail}). ${ACTION[code]}`);
  }
}

/** True for a SessionProtocolError from any copy of this module. */
export function isSessionProtocolError(err: unknown): err is SessionProtocolError {
  return err instanceof Error && err.name === "SessionProtocolError" && "code" in err;
}

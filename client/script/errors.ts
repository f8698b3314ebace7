/** Why a script run ended without an exit code. A non-zero exit is a result, not this error. */
export type ScriptErrorCode =
  /** The run went past its `timeoutMs`. */
  | "Timeout"
  /** The caller's AbortSignal fired. */
  | "Aborted"
  /** The session ended before the script reported its exit code. */
  | "SessionEnded"
  /** The far end sent what this protocol does not allow (or the session's own protocol broke). */
  | "Protocol";

/** A script run that ended without an exit code; the connection is closed when this is thrown. */
export class ScriptError extends Error {
  override readonly name = "ScriptError";

  constructor(
    readonly code: ScriptErrorCode,
    message: string,
    /** The last lines the run printed (stdout and stderr as they came), unmasked: mask before showing. */
    readonly outputTail: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

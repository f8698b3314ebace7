/** Why an ECS session channel could not be opened. */
export class EcsSessionError extends Error {
  override readonly name = "EcsSessionError";

  constructor(
    /** The service's code (e.g. `InvalidToken`, `SessionEnded`), or `ConnectFailed`. */
    readonly code: string,
    message: string,
    /** The HTTP status of a refused handshake, when there was one. */
    readonly httpStatus?: number,
    /** The request id the service returned, when it returned one. */
    readonly requestId?: string,
  ) {
    super(message);
  }

  /** A handshake answered with an HTTP error instead of the WebSocket upgrade. */
  static fromHandshake(status: number, body: string): EcsSessionError {
    let parsed: { Code?: unknown; Message?: unknown; RequestId?: unknown } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      // Not JSON: the status alone says what happened.
    }
    const code = typeof parsed.Code === "string" ? parsed.Code : `Http${status}`;
    const detail = typeof parsed.Message === "string" ? parsed.Message : `HTTP ${status}`;
    const hint =
      status === 403
        ? " Check the token: use the session's own WebSocketUrl and SecurityToken."
        : status === 404 || status === 410
          ? " Start a new session (the URL is valid for 10 minutes and dies with EndTerminalSession)."
          : "";
    const requestId = typeof parsed.RequestId === "string" ? parsed.RequestId : undefined;
    return new EcsSessionError(
      code,
      `The session refused the connection: ${code}: ${detail}${hint}`,
      status,
      requestId,
    );
  }

  /** The far end could not be reached at all. */
  static unreachable(cause: Error): EcsSessionError {
    const error = new EcsSessionError(
      "Unreachable",
      `Cannot reach the session's WebSocket URL: ${cause.message}. Check the URL and the network.`,
    );
    error.cause = cause;
    return error;
  }
}

/** Why an SSM session could not start; `code` says what failed. */
export class SsmSessionError extends Error {
  constructor(
    readonly code:
      | "ConnectionRefused"
      | "ConnectionClosed"
      | "HandshakeFailed"
      | "Aborted"
      | "Unsupported"
      /** ResumeSession says the session is over (terminated, timed out): no retry can bring it back. */
      | "SessionEnded",
    message: string,
    readonly closeCode?: number,
  ) {
    super(message);
    this.name = "SsmSessionError";
  }
}

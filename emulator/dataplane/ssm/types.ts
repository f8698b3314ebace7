/** What the SSM backend hands the SSM data plane for each session, and what it hears back. */

/**
 * What the local agent runs for a session, decided by the session document:
 * - `shell`: a login shell on a pseudo-terminal (`Standard_Stream`, the default document);
 * - `command`: one command on a pseudo-terminal (`InteractiveCommands`), or with plain pipes
 *   and stdout/stderr apart (`NonInteractiveCommands`); both report the exit code. A
 *   NonInteractive command reads no stdin (the agent gives it none; the client's input only
 *   carries Ctrl-C / Ctrl-\), so a script that needs input runs as an InteractiveCommand;
 * - `port`: TCP to 127.0.0.1:`port` (`Port`); `localPortForwarding` selects smux multiplexing
 *   (the AWS-StartPortForwardingSession* documents), otherwise the session is one byte stream
 *   (AWS-StartSSHSession).
 */
export type SsmSessionKind =
  | { kind: "shell" }
  | { kind: "command"; commandLine: string; interactive: boolean }
  | { kind: "port"; port: number; localPortNumber?: string; host?: string; localPortForwarding: boolean };

/** The connection states DescribeSessions folds into a session's Status. */
export type SsmConnectionState = "Connecting" | "Connected" | "Disconnected" | "Terminated" | "Failed";

export interface SsmChannelSpec {
  sessionId: string;
  /** The managed node, for `channel_closed`'s DestinationId. */
  target: string;
  /** The TokenValue the client must present in OpenDataChannel. */
  token: string;
  kind: SsmSessionKind;
  /** The token accepts new connections until then. */
  tokenExpiresAt: Date;
  /** A connection idle this long (no stream data either way) ends the session. */
  idleTimeoutMs: number;
  onConnectionState(connectionId: string, state: SsmConnectionState, reason?: string): void;
  /** Asked on each connection after the token check; a reason refuses it (e.g. TargetNotConnected). */
  admit?(): string | undefined;
}

export interface SsmChannels {
  /**
   * Registers a session, or, for a session already registered (ResumeSession), replaces its
   * token: the StreamUrl stays the same and the agent's state (process, sequence numbers,
   * unacknowledged messages) carries over to the next connection.
   */
  open(spec: SsmChannelSpec): { url: string };
  /** Ends the session: `channel_closed` to the client, its process or sockets stopped. */
  close(sessionId: string, reason: string): void;
}

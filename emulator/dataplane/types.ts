/** What a session's WebSocket does once a client connects with the session's token. */
export type ChannelMode =
  { kind: "command"; commandLine: string } | { kind: "port"; port: number } | { kind: "shell" };

/** The connection states Describe calls report (ECS `Connections[].Status`, SSM `Status`). */
export type ChannelState = "Connecting" | "Connected" | "Disconnected" | "Terminated" | "Failed";

/** What the ECS backend hands the ECS data plane for each session, and what it hears back. */
export interface EcsChannelSpec {
  sessionId: string;
  /** Secret the client must present (in the URL, or a header the protocol names). */
  token: string;
  mode: ChannelMode;
  /** The URL stops accepting new connections after this (ECS: 10 minutes after start). */
  urlExpiresAt: Date;
  /** An idle connection closes after this many ms (ECS: 3 minutes). */
  idleTimeoutMs: number;
  /** Optional: bytes per second per direction for the whole session (ECS: 200 KB/s); unlimited when absent. */
  bandwidthBytesPerSec?: number;
  /** Told of each connection's state changes, so the backend's Describe reflects them. */
  onConnectionState(connectionId: string, state: ChannelState, closedReason?: string): void;
  /**
   * Optional: asked once per accepted connection, after the token and URL checks. Returning a
   * reason (e.g. `AgentNotOnline`) refuses it: the connection is reported `Failed` with that reason
   * and the socket closed with code 4003 (ECS: after a status message naming the reason).
   */
  admit?(): string | undefined;
}

/** The ECS data plane as the ECS backend sees it (the SSM one is `SsmChannels`). */
export interface EcsChannels {
  /** Registers a session's channel and returns its `ws://127.0.0.1:PORT/...` URL. */
  open(spec: EcsChannelSpec): { url: string };
  /** Ends the session: closes its connections and refuses new ones. */
  close(sessionId: string, reason: string): void;
}

/** The AWS Session Manager client: shells, commands and port forwarding over a session's StreamUrl. */
export { openShell, runCommand, forwardPort, forwardSockets } from "./session";
export type {
  SsmShell,
  SsmShellOptions,
  SsmCommandResult,
  SsmCommandOptions,
  SsmForward,
  SsmForwardOptions,
  SsmSocketForward,
} from "./session";
export { SsmSessionError } from "./errors";
export { resumeWith } from "./resume";
export type {
  SsmSessionTarget,
  SsmSessionOptions,
  SsmHandshake,
  SsmSessionEnd,
  SsmReconnectEvent,
} from "./dataChannel";
export type { ReconnectOptions } from "./backoff";
export { SessionProtocolError, isSessionProtocolError, type SessionProtocolCode } from "../protocolError";

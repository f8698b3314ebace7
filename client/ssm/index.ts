/** The AWS Session Manager client: shells, commands and port forwarding over a session's StreamUrl. */
export { openShell, runCommand, forwardPort } from "./session";
export type {
  SsmShell,
  SsmShellOptions,
  SsmCommandResult,
  SsmCommandOptions,
  SsmForward,
  SsmForwardOptions,
} from "./session";
export { SsmSessionError } from "./dataChannel";
export type { SsmSessionTarget, SsmSessionOptions, SsmHandshake, SsmSessionEnd } from "./dataChannel";
export { SessionProtocolError, isSessionProtocolError, type SessionProtocolCode } from "../protocolError";

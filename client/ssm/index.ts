/** The AWS Session Manager client: shells, commands and port forwarding over a session's StreamUrl. */
export { openSsmShell, runSsmCommand, forwardSsmPort } from "./session";
export type { SsmShell, SsmTerminalSize, SsmCommandResult, SsmPortForward } from "./session";
export { SsmSessionError } from "./dataChannel";
export type { SsmSessionTarget, SsmHandshake, SsmSessionEnd } from "./dataChannel";
export { SessionProtocolError, isSessionProtocolError, type SessionProtocolCode } from "../protocolError";

/** Clients for the sessions this package creates: connect to them, run commands, forward ports. */
export * as ecs from "./ecs";
export * as ssm from "./ssm";
export { SessionProtocolError, isSessionProtocolError, type SessionProtocolCode } from "./protocolError";
export type { SessionOptions, SessionTimeouts, ShellOptions, ForwardOptions, TerminalSize } from "./options";

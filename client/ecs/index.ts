/** Our client for Alibaba Cloud ECS Session Manager sessions (the protocol of `ali-instance-cli`). */
export { EcsChannel, type EcsChannelEnd, type EcsChannelEvents, type EcsChannelOptions } from "./channel";
export { EcsSessionError } from "./errors";
export { forwardPort, type EcsForward, type EcsForwardOptions } from "./forward";
export { openShell, runCommand, type EcsCommandResult, type EcsShell, type EcsShellOptions } from "./shell";
export { SessionProtocolError, isSessionProtocolError, type SessionProtocolCode } from "../protocolError";

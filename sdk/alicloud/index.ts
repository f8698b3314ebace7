/** Alibaba Cloud resources. */
export {
  TerminalSession,
  type TerminalSessionArgs,
  type TerminalSessionConnection,
  type TerminalSessionEncryptionOptions,
} from "./terminalSession";
export * from "./killInstanceSessionTask";
export * from "./terminalSessionRevocation";
export { Tunnel, type TunnelArgs } from "./tunnel";
export { Command, type CommandArgs } from "./command";

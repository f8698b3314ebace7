/** AWS resources. */
export { SsmSession, type SsmSessionArgs } from "./ssmSession";
export {
  SsmSessionRevocation,
  type SsmSessionRevocationArgs,
  type RevokedSession,
} from "./ssmSessionRevocation";
export { Tunnel, type TunnelArgs } from "./tunnel";
export { Command, type CommandArgs } from "./command";

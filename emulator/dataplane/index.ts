export { WsDataPlane, type WsDataPlaneOptions } from "./wsDataPlane";
export type { ChannelMode, ChannelSpec, ChannelState, DataPlane } from "./types";

export { EcsDataPlane, type EcsDataPlaneOptions } from "./ecs/ecsDataPlane";
export type { ChannelMode, ChannelSpec, ChannelState, DataPlane } from "./types";

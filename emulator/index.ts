/** The local cloud's public API. */
export { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "./server";
export {
  localCloudConfigSchema,
  type LocalCloudConfig,
  type LocalCloudConfigInput,
  type Credential,
  type EcsInstance,
  type SsmTarget,
  type DasInstance,
} from "./config";
export { ManualClock, systemClock, type Clock } from "./clock";
export { AdminClient, AdminError, type AdminTarget } from "./admin/client";
export type { FaultRule, FaultRuleInput } from "./admin/faults";
export type { InventoryChange } from "./admin/inventory";
export type { RequestLogEntry } from "./admin/requestLog";
export { ApiError } from "./protocol/apiError";
export type { Service, ActionHandler, CallContext } from "./services/types";
export type { ServiceDeps } from "./services";
export type { EcsChannels, EcsChannelSpec, ChannelMode, ChannelState } from "./dataplane/types";

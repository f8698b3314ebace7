/** ECS (2014-05-26) Session Manager: StartTerminalSession, DescribeTerminalSessions, EndTerminalSession. */
import type { LocalCloudConfig } from "../../config";
import type { ServiceDeps } from "../index";
import type { Service } from "../types";
import { EcsBackend, type EcsBackendOptions } from "./backend";
import { createEcsHandlers } from "./handlers";

export const ECS_VERSION = "2014-05-26";

/** The ECS service, with its backend exposed so tests can tune it (e.g. `dispatchDelayMs`). */
export interface EcsService extends Service {
  backend: EcsBackend;
}

export function createEcsService(
  config: LocalCloudConfig,
  deps: ServiceDeps,
  options: EcsBackendOptions = {},
): EcsService {
  const backend = new EcsBackend(config, deps, options);
  return {
    name: "ecs",
    version: ECS_VERSION,
    actions: createEcsHandlers(backend),
    backend,
    snapshot: () => backend.snapshot(),
  };
}

export { EcsBackend } from "./backend";
export { ECS_LIMITS } from "./model";

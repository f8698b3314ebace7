/** ECS (2014-05-26) Session Manager: StartTerminalSession, DescribeTerminalSessions, EndTerminalSession. */
import type { LocalCloudConfig } from "../../config";
import type { ServiceDeps } from "../index";
import type { Service } from "../types";
import { EcsBackend } from "./backend";
import { createHandlers } from "./handlers";

export const ECS_VERSION = "2014-05-26";

/** The ECS service, with its backend exposed to tests. */
export interface EcsService extends Service {
  backend: EcsBackend;
}

export function createEcsService(config: LocalCloudConfig, deps: ServiceDeps): EcsService {
  const backend = new EcsBackend(config, deps);
  return {
    name: "ecs",
    version: ECS_VERSION,
    actions: createHandlers(backend),
    backend,
    snapshot: () => backend.snapshot(),
    persistence: { save: () => backend.save(), restore: (saved) => backend.restore(saved) },
  };
}

export { EcsBackend } from "./backend";
export { ECS_LIMITS } from "./model";

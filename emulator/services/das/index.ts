/**
 * DAS (2020-01-16) for the local cloud: CreateKillInstanceSessionTask and
 * GetKillInstanceSessionTaskResult, ending sessions on real MySQL-compatible servers
 * (config `das.instances`).
 */
import { accountOf, type LocalCloudConfig } from "../../config";
import type { ServiceDeps } from "../index";
import type { Service } from "../types";
import { DasBackend, type DasBackendOptions } from "./backend";
import { createHandlers } from "./handlers";
import { DAS_VERSION } from "./model";

export { DasBackend, userIdFor } from "./backend";
export type { CreatedTasks, DasBackendOptions, DasCaller } from "./backend";
export { DasFailure, INVALID_PARAMS, NO_PERMISSION } from "./errors";
export { DAS_VERSION } from "./model";
export type { SessionReason, SessionResult, TaskResultData, TaskState } from "./model";
export { mysqlDriver } from "./mysqlSessions";
export type { SessionDriver } from "./mysqlSessions";

/** Behaviour knobs beyond the configuration file, mainly for tests (see backend.ts). */
export type DasServiceOptions = Pick<DasBackendOptions, "driver" | "minRunningMs" | "taskTimeoutMs">;

/** The DAS service, with its backend exposed so tests can wait for tasks (`backend.idle()`). */
export interface DasService extends Service {
  backend: DasBackend;
}

export function createDasService(
  config: LocalCloudConfig,
  deps: ServiceDeps,
  options: DasServiceOptions = {},
): DasService {
  const backend = new DasBackend({
    ...options,
    clock: deps.clock,
    // Read through the config object, so an instance the admin API adds is seen at once.
    instances: () => config.das.instances,
    changed: deps.changed,
  });
  return {
    name: "das",
    version: DAS_VERSION,
    // Read live: the admin API may add credentials and their accounts.
    actions: createHandlers(backend, (accessKeyId) => accountOf(config.credentials, accessKeyId)),
    backend,
    secretParameters: ["DbUserPassword"],
    snapshot: () => backend.snapshot(),
    close: () => backend.close(),
    persistence: { save: () => backend.save(), restore: (saved) => backend.restore(saved) },
  };
}

/**
 * The registry of services the local cloud serves. Every service has the same shape: a folder
 * with `index.ts` (its `ServiceFactory`), `handlers.ts` (`createHandlers`: the actions, no
 * state) and `backend.ts` (the state).
 */
import type { Clock } from "../clock";
import type { LocalCloudConfig } from "../config";
import type { SsmChannels } from "../dataplane/ssm/types";
import type { EcsChannels } from "../dataplane/types";
import { createDasService } from "./das";
import { createEcsService } from "./ecs";
import { createSsmService } from "./ssm";
import type { Service } from "./types";

/** What every service may use besides its config. */
export interface ServiceDeps {
  /** Time for state (creation times, expiry, retention); tests inject a ManualClock. */
  clock: Clock;
  /** The ECS data plane (Alibaba's Session Manager protocol) behind each WebSocketUrl. */
  dataPlane: EcsChannels;
  /** The SSM data plane (AWS's data-channel protocol) behind each SSM StreamUrl. */
  ssmDataPlane: SsmChannels;
  /** Called after every change of a service's records (saves them when there is a state dir). */
  changed(): void;
}

/**
 * A service's factory: the live config (arrays the admin API may grow at run time) and the shared
 * dependencies. A service with knobs for tests takes them as a third, optional argument.
 */
export type ServiceFactory = (config: LocalCloudConfig, deps: ServiceDeps) => Service;

const FACTORIES: readonly ServiceFactory[] = [createEcsService, createSsmService, createDasService];

export function createServices(config: LocalCloudConfig, deps: ServiceDeps): Service[] {
  return FACTORIES.map((create) => create(config, deps));
}

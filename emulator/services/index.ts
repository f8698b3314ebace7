/**
 * The registry of services the local cloud serves. Each service factory takes the live config
 * (arrays the admin API may grow at run time) and the shared dependencies below.
 */
import type { Clock } from "../clock";
import type { LocalCloudConfig } from "../config";
import type { SsmChannels } from "../dataplane/ssm/types";
import type { DataPlane } from "../dataplane/types";
import { createDasService } from "./das";
import { createEcsService } from "./ecs";
import { createSsmService } from "./ssm";
import type { Service } from "./types";

/** What every service may use besides its config. */
export interface ServiceDeps {
  /** Time for state (creation times, expiry, retention); tests inject a ManualClock. */
  clock: Clock;
  /** The ECS data plane (Alibaba's Session Manager protocol) behind each WebSocketUrl. */
  dataPlane: DataPlane;
  /** The SSM data plane (AWS's data-channel protocol) behind each SSM StreamUrl. */
  ssmDataPlane: SsmChannels;
  /** Called after every change of a service's records (saves them when there is a state dir). */
  changed(): void;
}

export function createServices(config: LocalCloudConfig, deps: ServiceDeps): Service[] {
  return [createEcsService(config, deps), createSsmService(config, deps), createDasService(config, deps)];
}

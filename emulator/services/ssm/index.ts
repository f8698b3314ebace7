/**
 * AWS Systems Manager Session Manager (`AmazonSSM`, JSON 1.1) for the local cloud:
 * StartSession, DescribeSessions, TerminateSession, ResumeSession.
 */
import type { Clock } from "../../clock";
import { accountOf, type LocalCloudConfig } from "../../config";
import type { SsmChannels } from "../../dataplane/ssm/types";
import type { Service } from "../types";
import { SsmBackend, type SsmBackendOptions } from "./backend";
import { createHandlers } from "./handlers";

export { SsmBackend } from "./backend";
export type { SessionFilter, SessionState, SessionStatus, SessionView, SsmBackendOptions } from "./backend";
export { KNOWN_SESSION_DOCUMENTS } from "./documents";

/** Behaviour knobs beyond the configuration file, mainly for tests (see backend.ts). */
export type SsmServiceOptions = Pick<
  SsmBackendOptions,
  | "terminateUnknown"
  | "terminateEnded"
  | "terminatingMs"
  | "maxSessionDurationMinutes"
  | "tokenTtlMs"
  | "idleTimeoutMs"
  | "historyRetentionMs"
>;

export interface SsmDeps {
  clock: Clock;
  /** The SSM data plane (emulator/dataplane/ssm) that stands behind each StreamUrl. */
  ssmDataPlane: SsmChannels;
  /** Called after every change of the records (see ServiceDeps). */
  changed?: () => void;
  options?: SsmServiceOptions;
}

export function createSsmService(config: LocalCloudConfig, deps: SsmDeps): Service & { snapshot(): unknown } {
  const backend = new SsmBackend({
    ...deps.options,
    clock: deps.clock,
    dataPlane: deps.ssmDataPlane,
    // Read through the config object, so a target the admin API appends is seen at once.
    targets: () => config.ssm.targets,
    // Read live too: the admin API may add credentials and their accounts.
    accountOf: (accessKeyId) => accountOf(config.credentials, accessKeyId),
    changed: deps.changed,
  });
  return {
    name: "ssm",
    version: "AmazonSSM",
    actions: createHandlers(backend),
    snapshot: () => backend.snapshot(),
    close: async () => backend.close(),
    persistence: { save: () => backend.save(), restore: (saved) => backend.restore(saved) },
  };
}

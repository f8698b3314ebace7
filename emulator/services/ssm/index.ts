/**
 * AWS Systems Manager Session Manager (`AmazonSSM`, JSON 1.1) for the local cloud:
 * StartSession, DescribeSessions, TerminateSession, ResumeSession.
 */
import { accountOf, type LocalCloudConfig } from "../../config";
import type { ServiceDeps } from "../index";
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

/** The SSM service, with its backend exposed to tests. */
export interface SsmService extends Service {
  backend: SsmBackend;
}

export function createSsmService(
  config: LocalCloudConfig,
  deps: ServiceDeps,
  options: SsmServiceOptions = {},
): SsmService {
  const backend = new SsmBackend({
    ...options,
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
    backend,
    snapshot: () => backend.snapshot(),
    close: async () => backend.close(),
    persistence: { save: () => backend.save(), restore: (saved) => backend.restore(saved) },
  };
}

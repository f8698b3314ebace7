import { z } from "zod";
import { limitsSchema } from "./limits";

/**
 * The local cloud's configuration: who may call it and what exists in it.
 * One file (`--config local-cloud.json`) or an object passed to `startLocalCloud`.
 */
export const credentialSchema = z
  .object({
    /** Access key id (Alibaba `LTAI...`, AWS `AKIA...`; any string works locally). */
    accessKeyId: z.string().min(1),
    /** The secret the signature is verified with. */
    accessKeySecret: z.string().min(1),
    /** When set, the key is an STS key and every request must carry this token. */
    securityToken: z.string().min(1).optional(),
    /**
     * An STS key's expiry (ISO time, judged by the local cloud's clock): from then on its requests
     * are refused as expired (AWS `ExpiredTokenException`, ACS `InvalidSecurityToken.Expired`), so
     * tests rotate keys with `POST /_admin/inventory` as temporary credentials are rotated.
     */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    /**
     * The account the key belongs to (default: one shared local account). Keys of one account (its
     * RAM or IAM users) see and end each other's ECS and SSM sessions and read each other's DAS
     * tasks; keys of another account do not. Shown as the account id where the clouds show one
     * (SSM `Owner`, DAS `UserId`): as given when it has the right digits (AWS 12, Alibaba 16),
     * derived from it otherwise.
     */
    accountId: z.string().min(1).optional(),
    /**
     * Services (`das`) or actions (`das:CreateKillInstanceSessionTask`) this key may not call: they
     * answer DAS 403 NoPermission, ECS 403 Forbidden.RAM, SSM AccessDeniedException.
     */
    deny: z
      .array(z.string().regex(/^(ecs|das|ssm)(:[A-Za-z]+)?$/, "a service (ecs, das, ssm) or service:Action"))
      .optional(),
  })
  .refine((c) => c.expiresAt === undefined || c.securityToken !== undefined, {
    message: "expiresAt goes with a securityToken (only STS keys expire)",
    path: ["expiresAt"],
  });

/** Whether an STS key has expired at `now`. */
export function credentialExpired(credential: Credential, now: Date): boolean {
  return credential.expiresAt !== undefined && now.getTime() >= Date.parse(credential.expiresAt);
}

export const ecsInstanceSchema = z.object({
  instanceId: z.string().min(1),
  regionId: z.string().min(1),
  status: z.enum(["Running", "Stopped", "Starting", "Stopping"]).default("Running"),
  /** Whether the Cloud Assistant agent is online (Session Manager needs it). */
  agentOnline: z.boolean().default(true),
  /**
   * Cloud Assistant agent version (default: recent enough for everything). Older than 2.2.3.256
   * (Linux) fails connections with `AgentNeedUpgrade`; encryption needs a newer one (see the ECS backend).
   */
  agentVersion: z
    .string()
    .regex(/^\d+(\.\d+)*$/)
    .optional(),
  /** `classic` network: no Intranet WebSocket URL and no port forwarding. Default `vpc`. */
  networkType: z.enum(["vpc", "classic"]).optional(),
  /** The instance's security group inbound rules deny Session Manager traffic. */
  securityGroupDenied: z.boolean().optional(),
});

export const ssmTargetSchema = z.object({
  /** Instance id (`i-...`) or managed node id (`mi-...`). */
  target: z.string().min(1),
  region: z.string().min(1),
  /** Whether the SSM agent is connected; a disconnected target yields TargetNotConnected. */
  connected: z.boolean().default(true),
});

export const dasNodeSchema = z.object({
  nodeId: z.string().min(1),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(1).max(65535),
});

export const dasInstanceSchema = z.object({
  /** `rm-...` for RDS MySQL, `pc-...` for a PolarDB MySQL cluster. */
  instanceId: z.string().min(1),
  engine: z.enum(["MySQL", "PolarDBMySQL"]),
  /** RDS MySQL: the server the instance maps to. */
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(1).max(65535).optional(),
  /** PolarDB MySQL: one server per node (`pi-...`). */
  nodes: z.array(dasNodeSchema).default([]),
  /** Accounts treated as internal O&M accounts (spared by KillAllSessions). */
  internalUsers: z.array(z.string()).default(["aliyun_root", "root@localhost_internal", "event_scheduler"]),
});

/** The account of keys that name none. */
export const DEFAULT_ACCOUNT_ID = "local";

/** The account `accessKeyId` belongs to (the default one for an unknown key). */
export function accountOf(credentials: readonly Credential[], accessKeyId: string): string {
  return credentials.find((c) => c.accessKeyId === accessKeyId)?.accountId ?? DEFAULT_ACCOUNT_ID;
}

export const ecsDispatchDelaySchema = z.number().int().min(0).max(60_000);

export const localCloudConfigSchema = z.object({
  /** Loopback only: the local cloud never listens anywhere else. */
  host: z.enum(["127.0.0.1", "::1", "localhost"]).default("127.0.0.1"),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
  /**
   * Other names the local cloud may be reached by (a proxy, a container's name for the host), as
   * `name` (any port) or `name:port`. Every other `Host` but its own loopback ones is refused.
   */
  allowedHosts: z
    .array(
      z
        .string()
        .regex(
          /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/,
          "a host name or address, optionally with :port (no scheme, no path)",
        ),
    )
    .default([]),
  /**
   * A folder for what survives a restart, every file mode 0600: the admin token (`admin-token`),
   * the generated key (`credentials.json`) and the services' records (`state.json`: ECS and SSM
   * sessions, DAS tasks, the admin API's inventory changes). Without it the token changes at
   * every start and a restart forgets every session.
   */
  stateDir: z.string().min(1).optional(),
  /** The keys requests may be signed with. Absent: a random key is generated at start (never a fixed one). */
  credentials: z.array(credentialSchema).optional(),
  ecs: z
    .object({
      instances: z.array(ecsInstanceSchema).default([]),
      /** Regions where the account turned Session Manager off (`UserBehavior.SessionManagerDisabled`). */
      sessionManagerDisabledRegions: z.array(z.string()).optional(),
      /**
       * How long StartTerminalSession spends dispatching to the agent (default 0). A retry with the
       * same ClientToken meanwhile gets 403 IdempotentProcessing, as on the real service.
       */
      dispatchDelayMs: ecsDispatchDelaySchema.optional(),
    })
    .default({ instances: [] }),
  ssm: z.object({ targets: z.array(ssmTargetSchema).default([]) }).default({ targets: [] }),
  das: z.object({ instances: z.array(dasInstanceSchema).default([]) }).default({ instances: [] }),
  /** Bounds on connections, sizes and time (emulator/limits.ts); each absent one keeps its default. */
  limits: limitsSchema.prefault({}),
});

export type LocalCloudConfigInput = z.input<typeof localCloudConfigSchema>;
/** The config a started local cloud runs with: `credentials` is always set (generated when absent). */
export type LocalCloudConfig = Omit<z.output<typeof localCloudConfigSchema>, "credentials"> & {
  credentials: Credential[];
};
export type Credential = z.output<typeof credentialSchema>;
export type EcsInstance = z.output<typeof ecsInstanceSchema>;
export type SsmTarget = z.output<typeof ssmTargetSchema>;
export type DasInstance = z.output<typeof dasInstanceSchema>;

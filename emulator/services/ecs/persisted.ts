/**
 * The ECS backend's records as `state.json` keeps them (emulator/persistence/store.ts): what
 * `EcsBackend.save()` writes, validated when read back. Dates are ISO strings, connections a list.
 */
import { z } from "zod";
import { savedDate } from "../../persistence/store";

const startRequestSchema = z.object({
  regionId: z.string(),
  instanceIds: z.array(z.string()),
  portNumber: z.number().int().optional(),
  commandLine: z.string().optional(),
  targetServer: z.string().optional(),
  username: z.string().optional(),
  passwordName: z.string().optional(),
  clientToken: z.string().optional(),
  connectionType: z.enum(["Internet", "Intranet"]),
  encryption: z
    .object({
      enabled: z.boolean(),
      mode: z.enum(["Auto", "Kms"]).optional(),
      kmsKeyId: z.string().optional(),
    })
    .optional(),
});

const connectionSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  status: z.enum(["Connecting", "Connected", "Disconnected", "Terminating", "Terminated", "Failed"]),
  startTime: savedDate,
  endTime: savedDate.optional(),
  closedReason: z.string().optional(),
});

const sessionSchema = z.object({
  seq: z.number().int(),
  sessionId: z.string(),
  securityToken: z.string(),
  webSocketUrl: z.string(),
  request: startRequestSchema,
  fingerprint: z.string(),
  accessKeyId: z.string(),
  accountId: z.string(),
  principalId: z.string(),
  identityType: z.enum(["Account", "RAMUser", "AssumedRoleUser"]),
  clientIp: z.string(),
  createdAt: savedDate,
  urlExpiresAt: savedDate,
  state: z.enum(["Open", "Ended"]),
  endedAt: savedDate.optional(),
  connections: z.array(connectionSchema),
});

export const savedEcsSchema = z.object({ sessions: z.array(sessionSchema) });

export type SavedEcsSession = z.output<typeof sessionSchema>;

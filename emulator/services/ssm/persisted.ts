/**
 * The SSM backend's records as `state.json` keeps them (emulator/persistence/store.ts): what
 * `SsmBackend.save()` writes, validated when read back. Dates are ISO strings.
 */
import { z } from "zod";
import { savedDate } from "../../persistence/store";

const kindSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("shell") }),
  z.object({ kind: z.literal("command"), commandLine: z.string(), interactive: z.boolean() }),
  z.object({
    kind: z.literal("port"),
    port: z.number().int(),
    localPortNumber: z.string().optional(),
    host: z.string().optional(),
    localPortForwarding: z.boolean(),
  }),
]);

const sessionSchema = z.object({
  sessionId: z.string(),
  region: z.string(),
  target: z.string(),
  documentName: z.string().optional(),
  reason: z.string().optional(),
  accountId: z.string(),
  owner: z.string(),
  ownerName: z.string(),
  kind: kindSchema,
  tokenValue: z.string(),
  tokenExpiresAt: savedDate,
  status: z.enum(["Connecting", "Connected", "Disconnected", "Terminating", "Terminated", "Failed"]),
  startDate: savedDate,
  endDate: savedDate.optional(),
  terminatedAt: savedDate.optional(),
  generation: z.number().int(),
  everConnected: z.boolean(),
});

export const savedSsmSchema = z.object({ sessions: z.array(sessionSchema) });

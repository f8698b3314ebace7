/**
 * The DAS backend's tasks as `state.json` keeps them (emulator/persistence/store.ts): what
 * `DasBackend.save()` writes, validated when read back. Dates are ISO strings.
 */
import { z } from "zod";
import { savedDate } from "../../persistence/store";

const reasonSchema = z.enum([
  "SESSION_KILLED",
  "SESSION_EXPIRED",
  "SESSION_NO_PERMISSION",
  "SESSION_ACCOUNT_ERROR",
  "SESSION_IGNORED_USER",
  "SESSION_INTERNAL_USER_OR_COMMAND",
  "SESSION_KILL_TASK_TIMEOUT",
  "SESSION_OTHER_ERROR",
]);

const rowSchema = z.object({
  Id: z.number().int(),
  User: z.string(),
  Host: z.string(),
  Db: z.string().optional(),
  Command: z.string(),
  Time: z.number(),
  State: z.string().optional(),
  Info: z.string().optional(),
  Active: z.boolean(),
  Reason: reasonSchema,
  TaskId: z.string(),
});

const taskSchema = z.object({
  taskId: z.string(),
  accountId: z.string(),
  userId: z.string(),
  instanceId: z.string(),
  nodeId: z.string().optional(),
  dbUser: z.string(),
  createdAt: savedDate,
  finishedAt: savedDate.optional(),
  state: z.enum(["RUNNING", "SUCCESS", "FAILURE", "ERROR"]),
  sessions: z.array(z.number().int()),
  result: z.array(rowSchema),
  message: z.string().optional(),
});

export const savedDasSchema = z.object({ tasks: z.array(taskSchema) });

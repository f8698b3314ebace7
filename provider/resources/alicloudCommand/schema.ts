/**
 * `alicloud.Command`'s inputs and outputs: the shared Command fields (`../command/schema.ts`)
 * plus the instance, the region and the session's user. schema.json and the docs are generated
 * from them and their doc comments. Loaded on first use by the lifecycle, never by the SDK.
 */
import { z } from "zod";
import { commandFields, commandRules } from "../command/schema";

const notEmpty = (field: string) => ({ error: `${field} must not be empty: leave it unset instead` });

/** The inputs of an alicloud.Command, as users write them (see the field docs). */
export const alicloudCommandInputsSchema = z
  .object({
    /** The instance the scripts run on (`InstanceId` of StartTerminalSession). A change replaces the command. */
    instanceId: z
      .string({
        error: (issue) =>
          issue.input === undefined ? "instanceId is required" : "instanceId must be an instance id string",
      })
      .min(1, notEmpty("instanceId")),
    /** The region of the instance (`RegionId`). Defaults to the stack's `alicloud:region`. A change replaces the command. */
    region: z.string().min(1, notEmpty("region")).optional(),
    /**
     * The user the scripts run as (`Username` of StartTerminalSession); default: the Cloud
     * Assistant's (root on Linux). A change replaces the command.
     */
    username: z.string().min(1, notEmpty("username")).optional(),
    ...commandFields,
  })
  .strict();

/** The inputs of an alicloud.Command. */
export type AlicloudCommandInputs = z.input<typeof alicloudCommandInputsSchema>;

/** Input names. */
export const ALICLOUD_COMMAND_INPUT_KEYS = Object.keys(alicloudCommandInputsSchema.shape);

/** Cross-field rules; unknown values never fail a rule. */
export const alicloudCommandRules = commandRules;

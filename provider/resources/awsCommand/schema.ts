/**
 * `aws.Command`'s inputs and outputs: the shared Command fields (`../command/schema.ts`) plus
 * the managed node and the region. schema.json and the docs are generated from them and their
 * doc comments. Loaded on first use by the lifecycle, never by the SDK.
 *
 * No run-as input: `AWS-StartInteractiveCommand` takes only `command` (its `runAsElevated` is
 * false), and StartSession takes no user. A session runs as Session Manager's run-as setting says (the account's preference,
 * or the caller's `SSMSessionRunAs` tag; `ssm-user` by default): use `sudo -u` in the script.
 */
import { z } from "zod";
import { commandFields, commandRules } from "../command/schema";
import { boundedString, SSM_SESSION_LIMITS } from "../ssmSession/schema";

/** The inputs of an aws.Command, as users write them (see the field docs). */
export const awsCommandInputsSchema = z
  .object({
    /**
     * The managed node the scripts run on (`Target` of StartSession): an instance id `i-...`
     * or `mi-...`, 1..400 characters. A change replaces the command.
     */
    target: boundedString(1, SSM_SESSION_LIMITS.targetMax, "target"),
    /**
     * The region of the target. Defaults to the stack's `aws:region`, then `AWS_REGION`,
     * `AWS_DEFAULT_REGION`. A change replaces the command.
     */
    region: z.string().min(1, "region must not be empty: leave it unset instead").optional(),
    ...commandFields,
  })
  .strict();

/** The inputs of an aws.Command. */
export type AwsCommandInputs = z.input<typeof awsCommandInputsSchema>;

/** Input names. */
export const AWS_COMMAND_INPUT_KEYS = Object.keys(awsCommandInputsSchema.shape);

/** Cross-field rules; unknown values never fail a rule. */
export const awsCommandRules = commandRules;

/**
 * `alicloud.TerminalSessionRevocation`'s inputs (the outputs are the shared revocation result,
 * `../revocation/schema.ts`). Loaded on first use by the lifecycle, never by the SDK.
 */
import { z } from "zod";
import { idText } from "../../validation";
import { distinctStrings } from "../revocation/schema";

/** The inputs of a TerminalSessionRevocation, as users write them (see the field docs). */
export const terminalSessionRevocationInputsSchema = z
  .object({
    /** The region of the instances (`RegionId`). Defaults to the stack's `alicloud:region`. */
    region: z.string().min(1, "region must not be empty: leave it unset instead").optional(),
    /** The instances whose live sessions are ended (`InstanceId`, one DescribeTerminalSessions listing each). */
    instanceIds: distinctStrings("instanceIds", 1),
    /**
     * Spare sessions started by these principals (`PrincipalId`: account, RAM user or role caller
     * ids). Strings; an id written as a number (as `pulumi config set --path` stores digits) is
     * taken as its decimal text.
     */
    sparePrincipalIds: distinctStrings(
      "sparePrincipalIds",
      0,
      z
        .string({
          error: (iss) =>
            typeof iss.input === "number"
              ? "must be a principal id string: write it as text, e.g. `pulumi config set --path " +
                "'sparePrincipalIds[0]' --type string <id>` (a number counts as its digits only when " +
                "it is a whole number up to 9007199254740991)"
              : "must be a principal id string",
        })
        .min(1, "must not be empty"),
    ).optional(),
    /** Spare sessions that log in as these users (`Username`, e.g. a break-glass account). */
    spareUsernames: distinctStrings("spareUsernames", 0).optional(),
    /** Any values: when they change, the revocation runs again (the resource is replaced). */
    triggers: z.array(z.unknown(), { error: "triggers must be a list" }).optional(),
  })
  .strict();

/** Principal ids written as numbers become their text (see `sparePrincipalIds`). */
export function normalizeTerminalSessionRevocationInputs(inputs: Record<string, unknown>): void {
  if (Array.isArray(inputs.sparePrincipalIds))
    inputs.sparePrincipalIds = inputs.sparePrincipalIds.map(idText);
}

/** The inputs of a TerminalSessionRevocation. */
export type TerminalSessionRevocationInputs = z.input<typeof terminalSessionRevocationInputsSchema>;

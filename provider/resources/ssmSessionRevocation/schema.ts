/**
 * `aws.SsmSessionRevocation`'s inputs (the outputs are the shared revocation result,
 * `../revocation/schema.ts`). Loaded on first use by the lifecycle, never by the SDK.
 */
import { z } from "zod";
import { distinctStrings } from "../revocation/schema";
import { boundedString } from "../ssmSession/schema";

/** A SessionFilter value is 1..400 characters. */
const FILTER_VALUE_MAX = 400;

/** The inputs of an SsmSessionRevocation, as users write them (see the field docs). */
export const ssmSessionRevocationInputsSchema = z
  .object({
    /** The region of the targets. Defaults to the stack's `aws:region`, then `AWS_REGION`, `AWS_DEFAULT_REGION`. */
    region: z.string().min(1, "region must not be empty: leave it unset instead").optional(),
    /** The managed nodes whose live sessions are terminated (`i-...`, `mi-...`; 1..400 characters each). */
    targets: distinctStrings("targets", 1, boundedString(1, FILTER_VALUE_MAX)),
    /**
     * Only sessions of this owner (the `Owner` filter: an IAM ARN as DescribeSessions reports it,
     * e.g. `arn:aws:iam::123456789012:user/alice`), 1..400 characters. Default: every owner.
     */
    owner: boundedString(1, FILTER_VALUE_MAX, "owner").optional(),
    /**
     * Spare sessions of these owners: an owner ARN, or its last segment (the user name or role
     * session name, e.g. `alice` for `arn:aws:iam::123456789012:user/alice`).
     */
    spareOwners: distinctStrings("spareOwners", 0).optional(),
    /** Any values: when they change, the revocation runs again (the resource is replaced). */
    triggers: z.array(z.unknown(), { error: "triggers must be a list" }).optional(),
  })
  .strict();

/** The inputs of an SsmSessionRevocation. */
export type SsmSessionRevocationInputs = z.input<typeof ssmSessionRevocationInputsSchema>;

/**
 * What `alicloud.TerminalSessionRevocation` and `aws.SsmSessionRevocation` share in their
 * schemas: the result outputs and the list-of-distinct-strings input. No cloud client here.
 */
import { z } from "zod";
import { kindOf } from "../../validation";

/** One live session a revocation ended or spared. */
export const revocationSessionSchema = z.object({
  /** The session id. */
  sessionId: z.string(),
  /** The instance (Alibaba Cloud) or managed node (AWS) the session is on. */
  target: z.string(),
  /** Who started it: the Alibaba Cloud PrincipalId, or the AWS Owner ARN. */
  owner: z.string().optional(),
  /** The user the session logs in as (Alibaba Cloud `Username`), when known. */
  username: z.string().optional(),
  /** When the session started (ISO 8601). */
  startedAt: z.string().optional(),
  /** Spared sessions only: the spare rule that kept it, e.g. `principal 1234 is in sparePrincipalIds`. */
  spareReason: z.string().optional(),
});

/** One live session a revocation ended or spared. */
export type RevocationSession = z.infer<typeof revocationSessionSchema>;

/** A live session a revocation left alone. */
export type SparedSession = RevocationSession & { spareReason: string };

/** What a revocation run did: the outputs both revocation resources share. */
export const revocationResultSchema = z.object({
  /** Every session the run ended. */
  endedSessions: z.array(revocationSessionSchema),
  /** The ids of the ended sessions. */
  endedSessionIds: z.array(z.string()),
  /** The distinct owners of the ended sessions. */
  endedOwners: z.array(z.string()),
  /** How many sessions the run ended. */
  endedCount: z.number(),
  /** How many sessions the run ended on each target (every target listed, zeros included). */
  endedCountByTarget: z.record(z.string(), z.number()),
  /** The live sessions a spare rule kept, each with its `spareReason`. */
  sparedSessions: z.array(revocationSessionSchema),
  /** How many live sessions were spared. */
  sparedCount: z.number(),
  /** Sessions that were live when listed but had ended by the time the run reached them. */
  alreadyEndedCount: z.number(),
  /** When the run (or its last retry) finished (ISO 8601). */
  ranAt: z.string(),
});

/** What a revocation run did. */
export type RevocationResult = z.infer<typeof revocationResultSchema>;

/**
 * A list of distinct strings (at least `min`), each checked by `element` (default: non-empty);
 * a repeated value is reported at its index, naming where it first appears, not the value
 * (`instanceIds[2]: repeats instanceIds[0]`).
 */
export function distinctStrings(
  field: string,
  min: number,
  element: z.ZodType<string, string> = z
    .string({ error: (iss) => `must be a string, not ${kindOf(iss.input)}` })
    .min(1, "must not be empty"),
) {
  return z
    .array(element, { error: `${field} must be a list of strings` })
    .min(min, `${field} must list at least ${min}`)
    .superRefine((list, ctx) => {
      list.forEach((value, index) => {
        if (list.indexOf(value) !== index) {
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: `repeats ${field}[${list.indexOf(value)}]`,
          });
        }
      });
    });
}

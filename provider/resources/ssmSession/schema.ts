/**
 * `aws.SsmSession`'s inputs and outputs: the zod schemas (schema.json and the docs are generated
 * from them and their doc comments) and the limits of StartSession. Loaded on first use by the
 * lifecycle, never by the SDK.
 */
import { z } from "zod";
import { ruleMessage } from "../../validation";

/** Limits from the SSM model (StartSession). Lengths count Unicode code points, as AWS does. */
export const SSM_SESSION_LIMITS = {
  targetMax: 400,
  reasonMax: 256,
  parameterNameMax: 255,
  parameterValueMax: 65535,
} as const;

/** `DocumentName`'s pattern in the SSM model (name or ARN). */
export const DOCUMENT_NAME_PATTERN = /^[a-zA-Z0-9_\-.:/]{3,128}$/;

const L = SSM_SESSION_LIMITS;

/**
 * A string of `min..max` code points. `field` starts the messages; leave it out inside maps and
 * lists, where `validate` prefixes the property path (`parameters.portNumber[0]: ...`).
 */
export function boundedString(min: number, max: number, field?: string) {
  const rule = `${min}..${max} characters`;
  const subject = field ? `${field} ` : "";
  return z
    .string({
      error: (iss) => (iss.input === undefined ? `${subject}is required` : `${subject}must be a string`),
    })
    .refine((s) => [...s].length >= min, {
      error: ruleMessage(min === 1 ? `${subject}must not be empty` : `${subject}is too short`, rule),
    })
    .refine((s) => [...s].length <= max, {
      error: ruleMessage(`${subject}must be at most ${max} characters`, rule),
    });
}

/** `Parameters`: names 1..255 characters, each mapped to a list of values of 1..65535 characters. */
const parametersSchema = z
  .record(
    z.string(),
    z.array(boundedString(1, L.parameterValueMax), {
      error: 'must be a list of strings, e.g. { portNumber: ["22"] }',
    }),
    { error: 'parameters must be a map of lists of strings, e.g. { portNumber: ["22"] }' },
  )
  .superRefine((map, ctx) => {
    // Key rules are checked here: zod reports a bad record key with the record's message.
    for (const name of Object.keys(map)) {
      const length = [...name].length;
      if (length >= 1 && length <= L.parameterNameMax) continue;
      ctx.addIssue({
        code: "custom",
        message: ruleMessage(
          `parameters names must be 1 to ${L.parameterNameMax} characters (one has ${length})`,
          `1..${L.parameterNameMax} characters`,
        ),
      });
    }
  });

/** The inputs of an SsmSession, as users write them (see the field docs). */
export const ssmSessionInputsSchema = z
  .object({
    /** The region of the target. Defaults to the stack's `aws:region`, then `AWS_REGION`, `AWS_DEFAULT_REGION`. */
    region: z.string().min(1, "region must not be empty: leave it unset instead").optional(),
    /** The managed node to open the session on (`Target`): an instance id `i-...` or `mi-...`, 1..400 characters. */
    target: boundedString(1, L.targetMax, "target"),
    /**
     * The Session document (`DocumentName`), by name or ARN, e.g. `AWS-StartPortForwardingSession`,
     * `AWS-StartInteractiveCommand`. 3..128 of `a-z A-Z 0-9 _ - . : /`. Default: a shell.
     */
    documentName: z
      .string({ error: "documentName must be a string" })
      .regex(
        DOCUMENT_NAME_PATTERN,
        ruleMessage(
          "documentName must be 3 to 128 characters of letters, digits and _ - . : /",
          "pattern ^[a-zA-Z0-9_\\-.:/]{3,128}$",
        ),
      )
      .optional(),
    /** Why the session is started (`Reason`), shown in the session history: one line, 1..256 characters. */
    reason: boundedString(1, L.reasonMax, "reason")
      .refine((s) => !/[\n\r\u0085\u2028\u2029]/.test(s), {
        error: ruleMessage("reason must be a single line", "pattern ^.{1,256}$"),
      })
      .optional(),
    /**
     * The document's parameters (`Parameters`): a map of parameter name (1..255 characters) to a
     * list of values (each 1..65535 characters), e.g. `{ portNumber: ["5432"], localPortNumber: ["15432"] }`.
     */
    parameters: parametersSchema.optional(),
  })
  .strict();

/** The inputs of an SsmSession. */
export type SsmSessionInputs = z.input<typeof ssmSessionInputsSchema>;

/** Outputs computed by the cloud (in addition to the inputs, which are outputs too). */
export const ssmSessionComputedSchema = z.object({
  /** The session id (`<caller>-0<16 hex>`), also the resource id. */
  sessionId: z.string(),
  /** The token that opens the session's data channel. Secret. */
  tokenValue: z.string().optional(),
  /** The WebSocket URL of the data channel (`wss://ssmmessages.<region>.amazonaws.com/v1/data-channel/...`). Secret. */
  streamUrl: z.string().optional(),
  /** Connecting, Connected or Disconnected, as of the last create or refresh. */
  status: z.string().optional(),
  /** When the session started (ISO 8601). */
  startDate: z.string().optional(),
  /** When it ended (ISO 8601); empty while it is live. */
  endDate: z.string().optional(),
  /** The ARN of the IAM identity that started the session. */
  owner: z.string().optional(),
  /** Reserved by AWS (`Details`). */
  details: z.string().optional(),
  /** The account's maximum session duration in minutes, when one is set. */
  maxSessionDuration: z.string().optional(),
});

/** Outputs computed by the cloud. */
export type SsmSessionComputed = z.infer<typeof ssmSessionComputedSchema>;

/** Inputs after `check`: `region` always set. */
export type SsmSessionCheckedInputs = SsmSessionInputs & { region: string };

/** Input names; all of them force replacement when they change. */
export const SSM_SESSION_INPUT_KEYS = Object.keys(ssmSessionInputsSchema.shape) as Array<
  keyof SsmSessionInputs
>;

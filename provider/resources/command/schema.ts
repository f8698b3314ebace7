/**
 * The fields both Command resources share (`alicloud.Command`, `aws.Command`): the scripts, what
 * they get (environment, stdin), when they run again, how long they may take and what of their
 * output streams to the engine's log; and their outputs. Each cloud's schema adds the instance,
 * the region and what its session takes. Loaded on first use by the lifecycles, never by the SDK.
 */
import { z } from "zod";
import { isKnown, ruleMessage, type Fail } from "../../validation";
import { COMMAND_LIMITS } from "./limits";

/** What `logging` takes; `stdoutAndStderr` when unset. */
export const LOGGING_MODES = ["stdout", "stderr", "stdoutAndStderr", "none"] as const;

/** A name a POSIX shell accepts for a variable. */
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const notEmpty = (field: string) => ({ error: `${field} must not be empty: leave it unset instead` });

const script = (field: string) =>
  z.string({ error: `${field} must be a string (a shell script)` }).min(1, notEmpty(field));

/** The fields of both clouds' Command inputs (each cloud's schema spreads them). */
export const commandFields = {
  /**
   * The script `create` runs (a POSIX shell script, any length and any bytes): on the
   * instance, through a session, with `environment` and `stdin`. It also runs on an update
   * when there is no `update` script.
   */
  create: script("create"),
  /**
   * The script run, instead of `create`, when `create`, `update`, `environment`, `stdin` or
   * `stdinBase64` change. Default: `create` again.
   */
  update: script("update").optional(),
  /**
   * The script `destroy` (and a replacement) runs, with the inputs in state. A failure fails
   * the destroy, and the next destroy runs it again. Default: nothing runs.
   */
  delete: script("delete").optional(),
  /**
   * Variables the scripts get, name to value; values may be secrets. They reach the
   * instance through the session's input, never on a command line or in the cloud's session
   * record. Names are shell variable names.
   */
  environment: z
    .record(z.string(), z.string({ error: "must be a string (use String() for numbers and booleans)" }), {
      error: "environment must be a map of variable names to string values",
    })
    .superRefine((map, ctx) => {
      // Key rules are checked here: zod reports a bad record key with the record's message.
      for (const name of Object.keys(map)) {
        if (ENVIRONMENT_NAME.test(name)) continue;
        ctx.addIssue({
          code: "custom",
          message: ruleMessage(
            "environment names must be shell variable names (letters, digits and _, not starting with a digit)",
            "pattern ^[A-Za-z_][A-Za-z0-9_]*$",
          ),
        });
      }
    })
    .optional(),
  /** Text the script reads on its standard input. May be a secret. Conflicts with `stdinBase64`. */
  stdin: z.string({ error: "stdin must be a string" }).optional(),
  /**
   * Bytes the script reads on its standard input, base64-encoded (for binary input). May be a
   * secret. Conflicts with `stdin`.
   */
  stdinBase64: z
    .string({ error: "stdinBase64 must be a string" })
    .base64(ruleMessage("stdinBase64 must be base64 text", "RFC 4648 base64"))
    .optional(),
  /**
   * Any values: a change of any of them replaces the command (runs `delete` of the old one,
   * if any, and `create` of the new one). Shown in previews.
   */
  triggers: z.array(z.unknown(), { error: "triggers must be a list" }).optional(),
  /**
   * Seconds a script may run before it is stopped and the step fails (its session ended).
   * Default 600 (ten minutes); 1..86400.
   */
  timeout: z
    .number({ error: "timeout must be a number of seconds" })
    .int(ruleMessage("timeout must be a whole number of seconds", "integer"))
    .min(1, ruleMessage("timeout must be at least 1 second", "1..86400"))
    .max(
      COMMAND_LIMITS.maxTimeoutSeconds,
      ruleMessage(`timeout must be at most ${COMMAND_LIMITS.maxTimeoutSeconds} seconds`, "1..86400"),
    )
    .optional(),
  /**
   * What of the script's output streams to the engine's log while it runs: `stdout`,
   * `stderr`, `stdoutAndStderr` (the default) or `none`. Secret environment and stdin values
   * are masked in it.
   */
  logging: z
    .enum(LOGGING_MODES, {
      error: "logging must be stdout, stderr, stdoutAndStderr or none",
    })
    .optional(),
};

/** A Command's outputs (in addition to the inputs, which are outputs too). */
export const commandComputedSchema = z.object({
  /** What the last script run wrote to its standard output. Secret when any input is a secret. */
  stdout: z.string(),
  /**
   * What the last script run wrote to its standard error. Secret when any input is a
   * secret. Empty when the session merges both streams (an ECS session's terminal).
   */
  stderr: z.string(),
  /** The exit code of the last script run (0: a non-zero exit fails the step). */
  exitCode: z.number(),
});

/** A Command's outputs. */
export type CommandComputed = z.infer<typeof commandComputedSchema>;

/** Rules across the shared fields; unknown values never fail a rule. */
export function commandRules(v: Record<string, unknown>, fail: Fail): void {
  if (isKnown(v.stdin) && isKnown(v.stdinBase64)) {
    fail("stdinBase64", ruleMessage("stdin and stdinBase64 cannot both be set", "one stdin"));
  }
}

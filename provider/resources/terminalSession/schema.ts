/**
 * `alicloud.TerminalSession`'s inputs and outputs: the zod schemas (schema.json and the docs are
 * generated from them and their doc comments), the limits of StartTerminalSession and the
 * cross-field rules `check` applies. Loaded on first use by the lifecycle, never by the SDK.
 */
import { z } from "zod";
import { isAbsent, isAscii, isKnown, ruleMessage, type Fail } from "../../validation";

/** Limits from the StartTerminalSession reference. */
export const TERMINAL_SESSION_LIMITS = {
  maxInstances: 1,
  commandLineMax: 512,
  targetServerMax: 128,
  passwordNameMax: 255,
  clientTokenMax: 64,
  portMin: 1,
  portMax: 65535,
} as const;

const L = TERMINAL_SESSION_LIMITS;

const notEmpty = (field: string) => ({ error: `${field} must not be empty: leave it unset instead` });

/** Session encryption (`EncryptionOptions`). */
export const encryptionOptionsSchema = z
  .object({
    /** Whether to enable end-to-end encryption of the session's connection. */
    enabled: z.boolean({ error: "encryptionOptions.enabled must be true or false" }).optional(),
    /**
     * How the key is chosen: `Auto` (negotiated, the default) or `Kms` (a KMS key). Only
     * when `enabled` is true.
     */
    mode: z
      .enum(["Auto", "Kms"], {
        error: ruleMessage(
          "encryptionOptions.mode must be Auto or Kms",
          "InvalidParameter.EncryptionOptionsMode",
        ),
      })
      .optional(),
    /** The KMS key id (symmetric keys only). Required with, and only allowed with, mode `Kms`. */
    kmsKeyId: z.string().min(1, notEmpty("encryptionOptions.kmsKeyId")).optional(),
  })
  .strict();

/** The inputs of a TerminalSession, as users write them (see the field docs). */
export const terminalSessionInputsSchema = z
  .object({
    /** The region of the instance (`RegionId`). Defaults to the stack's `alicloud:region`. */
    region: z.string().min(1, notEmpty("region")).optional(),
    /** The instance to open the session on (`InstanceId.N`); exactly one. */
    instanceIds: z
      .array(
        z.string({ error: "instanceIds must hold instance id strings" }).min(1, notEmpty("instanceIds[]")),
        {
          error: (issue) =>
            issue.input === undefined
              ? ruleMessage("instanceIds is required", "MissingParameter.InstanceId")
              : "instanceIds must be a list of instance ids",
        },
      )
      .min(1, ruleMessage("instanceIds must list one instance id", "MissingParameter.InstanceId")),
    /**
     * Forward the session to this TCP port (`PortNumber`), on the instance or, with
     * `targetServer`, on that server. 1..65535. Conflicts with `commandLine` and encryption.
     */
    portNumber: z
      .number({ error: "portNumber must be a number" })
      .int(ruleMessage("portNumber must be an integer", "PortNumber.Invalid"))
      .min(L.portMin, ruleMessage(`portNumber must be at least ${L.portMin}`, "PortNumber.Invalid"))
      .max(L.portMax, ruleMessage(`portNumber must be at most ${L.portMax}`, "PortNumber.Invalid"))
      .optional(),
    /** Run this command instead of a shell (`CommandLine`), at most 512 characters. */
    commandLine: z
      .string()
      .min(1, notEmpty("commandLine"))
      .max(
        L.commandLineMax,
        ruleMessage(
          `commandLine must be at most ${L.commandLineMax} characters`,
          "InvalidCommandLine.LengthLimitExceeded",
        ),
      )
      .optional(),
    /**
     * A server in the instance's VPC to reach through the instance (`TargetServer`), at
     * most 128 characters. Needs `portNumber`.
     */
    targetServer: z
      .string()
      .min(1, notEmpty("targetServer"))
      .max(
        L.targetServerMax,
        ruleMessage(
          `targetServer must be at most ${L.targetServerMax} characters`,
          "InvalidTargetServer.LengthLimitExceeded",
        ),
      )
      .optional(),
    /** The user to connect as (`Username`). The cloud's length limit is not published. */
    username: z.string().min(1, notEmpty("username")).optional(),
    /** Network of the WebSocket URL (`ConnectionType`): `Internet` (default) or `Intranet`. */
    connectionType: z
      .enum(["Internet", "Intranet"], {
        error: ruleMessage("connectionType must be Internet or Intranet", "InvalidParameter.ConnectionType"),
      })
      .optional(),
    /**
     * Name of a parameter-store entry holding the Windows password of `username`
     * (`PasswordName`), at most 255 characters. Never the password itself.
     */
    passwordName: z
      .string()
      .min(1, notEmpty("passwordName"))
      .max(
        L.passwordNameMax,
        ruleMessage(
          `passwordName must be at most ${L.passwordNameMax} characters`,
          "InvalidPasswordName.LengthLimitExceeded",
        ),
      )
      .optional(),
    /** End-to-end encryption (`EncryptionOptions`). Not with port forwarding. */
    encryptionOptions: encryptionOptionsSchema.optional(),
    /**
     * Idempotency token (`ClientToken`): ASCII, at most 64 characters. Default: derived from
     * the resource's URN and inputs, so retries and repeated deployments reuse it. When the
     * cloud answers with a session an earlier start made with this token (an ended earlier
     * incarnation), create retries once with a token unique to that create (see
     * `effectiveClientToken`).
     */
    clientToken: z
      .string()
      .min(1, notEmpty("clientToken"))
      .max(
        L.clientTokenMax,
        ruleMessage(
          `clientToken must be at most ${L.clientTokenMax} characters`,
          "InvalidClientToken.Malformed",
        ),
      )
      .refine(
        isAscii,
        ruleMessage("clientToken must contain only ASCII characters", "InvalidClientToken.Malformed"),
      )
      .optional(),
    /**
     * Adopt this existing session instead of starting one: create verifies it is live (and
     * on the given instance) and records it; destroy then ends it. Its WebSocket URL and
     * token are not returned by any API, so those outputs stay empty.
     */
    adoptSessionId: z.string().min(1, notEmpty("adoptSessionId")).optional(),
  })
  .strict();

/** The inputs of a TerminalSession. */
export type TerminalSessionInputs = z.input<typeof terminalSessionInputsSchema>;

/** Session encryption settings. */
export type TerminalSessionEncryptionOptions = z.input<typeof encryptionOptionsSchema>;

/** One connection of a session, as DescribeTerminalSessions reports it. */
export const terminalConnectionSchema = z.object({
  /** The instance the connection is to. */
  instanceId: z.string().optional(),
  /** Connecting, Connected, Disconnected, Terminating, Terminated or Failed. */
  status: z.string().optional(),
  /** When the connection started (ISO 8601). */
  startTime: z.string().optional(),
  /** When it closed (ISO 8601). */
  endTime: z.string().optional(),
  /** Why it closed (e.g. ClientClosed, AgentNotOnline), for Disconnected, Terminated, Failed. */
  closedReason: z.string().optional(),
});

/** Outputs computed by the cloud (in addition to the inputs, which are outputs too). */
export const terminalSessionComputedSchema = z.object({
  /** The session id (`s-...`), also the resource id. */
  sessionId: z.string(),
  /** The WebSocket URL to connect to; valid 10 minutes after creation. Secret. */
  webSocketUrl: z.string().optional(),
  /** The token the WebSocket request must carry. Secret. */
  securityToken: z.string().optional(),
  /** When the session was created (ISO 8601). */
  creationTime: z.string().optional(),
  /** The account, RAM user or caller of the role that started the session. */
  principalId: z.string().optional(),
  /** Account, RAMUser or AssumedRoleUser. */
  identityType: z.string().optional(),
  /** The client IP the cloud recorded. */
  clientIp: z.string().optional(),
  /** The username the cloud recorded for the session. */
  reportedUsername: z.string().optional(),
  /** The target server the cloud recorded. */
  reportedTargetServer: z.string().optional(),
  /** The port the cloud recorded. */
  reportedPortNumber: z.number().optional(),
  /** The session's connections and their states, as of the last create/refresh. */
  connections: z.array(terminalConnectionSchema),
  /** True when the session was adopted (`adoptSessionId`) rather than started. */
  adopted: z.boolean(),
  /**
   * The ClientToken the session was started with. Differs from `clientToken` only when that
   * token had already been used by an earlier, ended session of this resource.
   */
  effectiveClientToken: z.string().optional(),
});

/** Outputs computed by the cloud. */
export type TerminalSessionComputed = z.infer<typeof terminalSessionComputedSchema>;

/** Inputs after `check`: `region` and `clientToken` always set. */
export type TerminalSessionCheckedInputs = TerminalSessionInputs & { region: string; clientToken: string };

/** Input names; all of them force replacement when they change. */
export const TERMINAL_SESSION_INPUT_KEYS = Object.keys(terminalSessionInputsSchema.shape) as Array<
  keyof TerminalSessionInputs
>;

// ---------------------------------------------------------------------------------------
// check: validation and defaults
// ---------------------------------------------------------------------------------------

/** Cross-field rules of StartTerminalSession; unknown values never fail a rule. */
export function terminalSessionRules(v: Record<string, unknown>, fail: Fail): void {
  const { portNumber, commandLine, targetServer, instanceIds, username, passwordName } = v;
  if (isKnown(commandLine) && (isKnown(portNumber) || isKnown(targetServer))) {
    fail(
      "commandLine",
      ruleMessage(
        "commandLine cannot be combined with portNumber or targetServer",
        "InvalidCommandLine.Conflict",
      ),
    );
  }
  if (isKnown(targetServer) && isAbsent(portNumber)) {
    fail(
      "portNumber",
      ruleMessage("portNumber is required when targetServer is set", "InvalidTargetServer.MissingPortNumber"),
    );
  }
  if (Array.isArray(instanceIds) && instanceIds.length > L.maxInstances) {
    if (isKnown(targetServer) || isKnown(commandLine)) {
      fail(
        "instanceIds",
        ruleMessage(
          `instanceIds may list only ${L.maxInstances} instance when targetServer or commandLine is set`,
          "InvalidInstanceIds.CountLimitExceeded",
        ),
      );
    } else {
      fail(
        "instanceIds",
        ruleMessage(`instanceIds may list at most ${L.maxInstances} instance`, "InstanceIds.ExceedLimit"),
      );
    }
  }
  if (isKnown(passwordName) && isAbsent(username)) {
    fail(
      "username",
      ruleMessage("username is required when passwordName is set", "PasswordName needs Username"),
    );
  }
  const enc = v.encryptionOptions;
  if (!isKnown(enc) || typeof enc !== "object") return;
  const { enabled, mode, kmsKeyId } = enc as Record<string, unknown>;
  if (isKnown(mode) && (enabled === false || isAbsent(enabled))) {
    fail(
      "encryptionOptions.mode",
      ruleMessage(
        "encryptionOptions.mode can be set only when encryptionOptions.enabled is true",
        "InvalidEncryptionOptionsMode.EncryptionDisabled",
      ),
    );
  }
  // Mode defaults to Auto, so a key id without mode Kms is always out of place.
  if (isKnown(kmsKeyId) && (isAbsent(mode) || (isKnown(mode) && mode !== "Kms"))) {
    fail(
      "encryptionOptions.kmsKeyId",
      ruleMessage(
        "encryptionOptions.kmsKeyId can be set only with encryptionOptions.mode Kms",
        "InvalidParameter.EncryptionOptionsKMSKeyId",
      ),
    );
  }
  if (mode === "Kms" && isAbsent(kmsKeyId)) {
    fail(
      "encryptionOptions.kmsKeyId",
      ruleMessage(
        "encryptionOptions.kmsKeyId is required when encryptionOptions.mode is Kms",
        "MissingParameter.EncryptionOptionsKMSKeyId",
      ),
    );
  }
  if (enabled === true && (isKnown(portNumber) || isKnown(targetServer))) {
    fail(
      "encryptionOptions.enabled",
      ruleMessage(
        "encryptionOptions.enabled cannot be true together with portNumber or targetServer (port forwarding)",
        "InvalidEncryptionOptions.Conflict",
      ),
    );
  }
}

/**
 * `alicloud.TerminalSession`: an ECS Session Manager session (StartTerminalSession) as a
 * Pulumi resource. Immutable: every input change replaces it.
 *
 * Lifecycle: check -> validate, default `region` and `clientToken`; diff -> any input
 * change replaces (delete first); create -> StartTerminalSession (or adopt an existing
 * session) then DescribeTerminalSessions; read -> DescribeTerminalSessions, no id when the
 * session is ended, expired or gone; update -> only after a partial create, re-reads;
 * delete -> EndTerminalSession, `InvalidSessionId.NotFound` counts as done.
 *
 * This module runs inside the dynamic provider process, loaded by name through the stub in
 * `sdk/internal/providerStub.ts`; the SDK imports it only for its schema and types.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  alicloudClientFor,
  endTerminalSession,
  findTerminalSession,
  sessionUsability,
  startTerminalSession,
  type AlicloudRpcClient,
  type StartTerminalSessionRequest,
  type TerminalSessionRecord,
} from "../clients/alicloud";
import {
  resolveProviderSettings,
  type ConfigSource,
  type Environment,
  type ProviderSettings,
} from "../config";
import { DescribeBatcher } from "../batch/describeBatcher";
import { canonicalJson, pickInputs, URN_PROPERTY } from "../inputs";
import { ResourceInitError } from "../errors/base";
import {
  containsUnknown,
  dropNulls,
  isAbsent,
  isAscii,
  isKnown,
  isUnknown,
  ruleMessage,
  UNKNOWN,
  validate,
  type CheckFailure,
  type Fail,
} from "../validation";

/** The Pulumi type token of the resource. */
export const TERMINAL_SESSION_TYPE = "pulumi-nodejs:dynamic/alicloud:TerminalSession";

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

/** Everything in state: the checked inputs plus the computed outputs. */
export type TerminalSessionOutputs = TerminalSessionCheckedInputs & TerminalSessionComputed;

/** Output names the resource class marks secret (`additionalSecretOutputs`). */
export const TERMINAL_SESSION_SECRET_OUTPUTS = ["webSocketUrl", "securityToken"] as const;

/** Input names; all of them force replacement when they change. */
export const TERMINAL_SESSION_INPUT_KEYS = Object.keys(terminalSessionInputsSchema.shape) as Array<
  keyof TerminalSessionInputs
>;

const PROVIDER_PROPERTY = "__provider";

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

/** The user inputs of a property bag, without internal properties, nulls or computed outputs. */
export function userInputs(props: Record<string, unknown>): Record<string, unknown> {
  return pickInputs(TERMINAL_SESSION_INPUT_KEYS, props);
}

/** The inputs a client token stands for: everything sent to StartTerminalSession but the token. */
function tokenBasis(inputs: Record<string, unknown>): Record<string, unknown> {
  const { clientToken: _token, adoptSessionId: _adopt, ...rest } = userInputs(inputs);
  return rest;
}

/**
 * The default client token: `pulumi-` + 40 hex of sha256(URN, inputs). ASCII, 47 chars.
 * Deterministic, so preview and up agree and a repeated `up` sends the same token; the
 * inputs are part of it so a replacement with new inputs never reuses the old token.
 * (A replacement with the same inputs does: create detects that and falls back.)
 */
export function deriveClientToken(urn: string, inputs: Record<string, unknown>): string {
  const digest = createHash("sha256")
    .update(`${urn}\n${canonicalJson(tokenBasis(inputs))}`)
    .digest("hex");
  return `pulumi-${digest.slice(0, 40)}`;
}

// ---------------------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------------------

/** Input names whose change replaces the session (all of them, adoption aside). */
export function changedInputs(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  id?: string,
): string[] {
  const o = userInputs(olds);
  const n = userInputs(news);
  const changed: string[] = [];
  for (const key of TERMINAL_SESSION_INPUT_KEYS) {
    if (key === "adoptSessionId") {
      // Dropping adoptSessionId after adoption, or naming the session already managed, changes nothing.
      const adopt = n.adoptSessionId;
      if (adopt !== undefined && adopt !== (id ?? o.sessionId ?? olds.sessionId)) changed.push(key);
      continue;
    }
    if (isUnknown(n[key]) || containsUnknown(n[key]) || canonicalJson(o[key]) !== canonicalJson(n[key])) {
      changed.push(key);
    }
  }
  return changed;
}

// ---------------------------------------------------------------------------------------
// the provider
// ---------------------------------------------------------------------------------------

/** What the provider needs from its surroundings; tests replace parts. */
export interface TerminalSessionProviderDeps {
  /** The environment to read credentials from (default `process.env`). */
  env?: Environment;
  /** Builds the ECS client (default: the real one from the settings). */
  client?: (settings: ProviderSettings, region: string) => AlicloudRpcClient;
  /** The local clock (default `Date.now`). */
  now?: () => number;
  /** Waits between Describe polls after a start (default `setTimeout`). */
  sleep?: (ms: number) => Promise<void>;
}

/** How stale a replayed session may look and still be ours (clock granularity is 1 s on both sides). */
const FRESHNESS_MARGIN_MS = 3_000;
/** Describe polls after a start, in case the new session is not listed yet. */
const DESCRIBE_POLLS = 3;

/** A session's computed outputs from its Describe record (undefined record: only what Start said). */
function describedOutputs(record: TerminalSessionRecord | undefined): Partial<TerminalSessionComputed> {
  if (!record) return { connections: [] };
  return {
    creationTime: record.creationTime,
    principalId: record.principalId,
    identityType: record.identityType,
    clientIp: record.clientIp,
    reportedUsername: record.username,
    reportedTargetServer: record.targetServer,
    reportedPortNumber: record.portNumber,
    connections: record.connections.map((c) => dropNulls({ ...c })),
  };
}

/** Removes undefined members (the engine's Struct conversion rejects them). */
function defined<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** Thrown when a create cannot be completed and no session of ours exists. */
export class TerminalSessionError extends Error {
  /** A short code for tests and callers (`AdoptNotFound`, `StaleClientToken`, ...). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "TerminalSessionError";
    this.code = code;
  }
}

/**
 * Creates the provider object. One instance per process is enough; `configure` stores the
 * settings on it (the engine calls `configure` before anything else).
 */
export function createTerminalSessionProvider(
  deps: TerminalSessionProviderDeps = {},
): dynamic.ResourceProvider<Record<string, unknown>, Record<string, unknown>> {
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let settings: ProviderSettings | undefined;
  // Refresh reads many sessions at once: share Describe calls between them (one per provider process).
  const describeBatcher = new DescribeBatcher();

  function current(): ProviderSettings {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= resolveProviderSettings({ get: () => undefined }, env);
    return settings;
  }

  function clientFor(region: string): AlicloudRpcClient {
    return deps.client ? deps.client(current(), region) : alicloudClientFor(current(), "ecs", region);
  }

  /** Describe, polling briefly when a just-started session is not listed yet. */
  async function describeAfterStart(client: AlicloudRpcClient, region: string, sessionId: string) {
    let found = await findTerminalSession(client, region, sessionId);
    for (let poll = 1; !found.record && poll < DESCRIBE_POLLS; poll++) {
      await sleep(250 * poll);
      found = await findTerminalSession(client, region, sessionId);
    }
    return found;
  }

  async function adopt(inputs: TerminalSessionCheckedInputs, base: Record<string, unknown>) {
    const sessionId = inputs.adoptSessionId!;
    const client = clientFor(inputs.region);
    // Filtering by the instance too proves the session belongs to it.
    const { record, serverDate } = await findTerminalSession(
      client,
      inputs.region,
      sessionId,
      inputs.instanceIds[0],
    );
    if (!record) {
      throw new TerminalSessionError(
        "AdoptNotFound",
        `adoptSessionId: session ${sessionId} was not found on instance ${inputs.instanceIds[0]} in ${inputs.region} ` +
          "(wrong id, instance or region, or older than four weeks).",
      );
    }
    const usability = sessionUsability(record, serverDate ?? new Date(now()));
    if (usability !== "live") {
      throw new TerminalSessionError(
        "AdoptNotLive",
        `adoptSessionId: session ${sessionId} is ${usability === "ended" ? "ended" : "no longer usable (its WebSocket URL expired and nothing is connected)"}; start a new session instead.`,
      );
    }
    const mismatches: string[] = [];
    if (record.portNumber !== inputs.portNumber)
      mismatches.push(`portNumber (session: ${record.portNumber ?? "unset"})`);
    if (record.targetServer !== inputs.targetServer) {
      mismatches.push(`targetServer (session: ${record.targetServer ?? "unset"})`);
    }
    if (inputs.username !== undefined && record.username !== inputs.username) {
      mismatches.push(`username (session: ${record.username ?? "unset"})`);
    }
    if (mismatches.length > 0) {
      throw new TerminalSessionError(
        "AdoptMismatch",
        `adoptSessionId: session ${sessionId} does not match the inputs: ${mismatches.join(", ")}. ` +
          "Make the inputs describe the session.",
      );
    }
    return {
      id: sessionId,
      outs: defined({ ...base, sessionId, adopted: true, ...describedOutputs(record) }),
    };
  }

  async function start(
    inputs: TerminalSessionCheckedInputs,
    base: Record<string, unknown>,
    provider: unknown,
  ) {
    const client = clientFor(inputs.region);
    const request: StartTerminalSessionRequest = {
      regionId: inputs.region,
      instanceIds: inputs.instanceIds,
      portNumber: inputs.portNumber,
      commandLine: inputs.commandLine,
      targetServer: inputs.targetServer,
      username: inputs.username,
      connectionType: inputs.connectionType,
      passwordName: inputs.passwordName,
      encryptionOptions: inputs.encryptionOptions,
    };
    const startedAt = now();
    let token = inputs.clientToken;
    for (let round = 1; ; round++) {
      const sent = now();
      const started = await startTerminalSession(client, { ...request, clientToken: token });
      const answered = now();
      // The cloud's clock when this create began, corrected by the server's Date header.
      const offset = started.serverDate ? started.serverDate.getTime() - (sent + answered) / 2 : 0;
      const cloudStart = startedAt + offset;
      const outs: Record<string, unknown> = {
        ...base,
        sessionId: started.sessionId,
        webSocketUrl: started.webSocketUrl,
        securityToken: started.securityToken,
        adopted: false,
        effectiveClientToken: token,
        connections: [],
      };
      let found: Awaited<ReturnType<typeof findTerminalSession>>;
      try {
        found = await describeAfterStart(client, inputs.region, started.sessionId);
      } catch (err) {
        // The session exists: record it (partially created) rather than forget it.
        throw new ResourceInitError(
          `session ${started.sessionId} was started but could not be read back: ${(err as Error).message}`,
          started.sessionId,
          defined({ ...outs, [PROVIDER_PROPERTY]: provider }),
          err,
        );
      }
      const { record } = found;
      const created = record?.creationTime ? Date.parse(record.creationTime) : NaN;
      const replayed = !Number.isNaN(created) && created < cloudStart - FRESHNESS_MARGIN_MS;
      const usability = record ? sessionUsability(record, new Date(answered + offset)) : "live";
      if (!replayed && usability === "live") {
        return { id: started.sessionId, outs: defined({ ...outs, ...describedOutputs(record) }) };
      }
      // The cloud replayed a session an earlier start made with this token (an earlier
      // incarnation of this resource, or an earlier failed deployment). Describe cannot tell
      // an ended, never-connected session from a live one, so never hand it out as new.
      const why =
        `clientToken ${token} was already used to start session ${started.sessionId}` +
        (record?.creationTime ? ` at ${record.creationTime}` : "") +
        ` (${usability === "live" ? "before this deployment" : usability})`;
      if (round >= 3)
        throw new TerminalSessionError("StaleClientToken", `${why}, and retrying with a new token failed.`);
      // Unique to this create call, stable across its retries.
      token = `${inputs.clientToken.slice(0, 23)}-${createHash("sha256")
        .update(`${inputs.clientToken}\n${startedAt}\n${round}`)
        .digest("hex")
        .slice(0, 24)}`;
    }
  }

  return {
    async configure(req: dynamic.ConfigureRequest) {
      settings = resolveProviderSettings(req.config as ConfigSource, env);
    },

    async check(olds, news) {
      const urn = typeof news[URN_PROPERTY] === "string" ? (news[URN_PROPERTY] as string) : undefined;
      // Everything but the internal properties: the strict schema reports unknown keys.
      const { [URN_PROPERTY]: _urn, [PROVIDER_PROPERTY]: _provider, ...rest } = news;
      const inputs: Record<string, unknown> = dropNulls(rest);
      if (isAbsent(inputs.region) && current().alicloud.region)
        inputs.region = current().alicloud.region!.value;
      const { failures } = validate(terminalSessionInputsSchema, inputs, terminalSessionRules);
      if (isAbsent(inputs.region)) {
        failures.push({
          property: "region",
          reason: ruleMessage(
            "region is required: set the region input, the stack config alicloud:region, or ALICLOUD_REGION",
            "MissingParameter.RegionId",
          ),
        });
      }
      if (isAbsent(inputs.clientToken)) inputs.clientToken = defaultToken(olds, inputs, urn);
      return { inputs, failures: failures as CheckFailure[] };
    },

    async diff(id, olds, news) {
      const replaces = changedInputs(olds, news, id);
      // Delete first: the old session is useless once replaced (a new session means a new
      // URL anyway), and keeping both would need a second slot under the 20 connected
      // sessions per instance and 100 active sessions per region limits.
      return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },

    async create(props) {
      const inputs = userInputs(props) as TerminalSessionCheckedInputs;
      const parsed = terminalSessionInputsSchema.safeParse(inputs);
      if (!parsed.success) throw new Error(`invalid inputs reached create: ${parsed.error.message}`);
      const base = { ...inputs };
      if (inputs.adoptSessionId !== undefined) return adopt(inputs, base);
      return start(inputs, base, props[PROVIDER_PROPERTY]);
    },

    async read(id, props) {
      const state = props ?? {};
      const region = typeof state.region === "string" ? state.region : current().alicloud.region?.value;
      if (!region)
        throw new Error(
          `cannot read session ${id}: its region is not in state and alicloud:region is not set`,
        );
      const { record, serverDate } = await describeBatcher.find(
        clientFor(region),
        region,
        id,
        current().alicloud.credentials,
      );
      // Ended, expired (nobody can connect any more) or gone: drop it from state.
      if (!record || sessionUsability(record, serverDate ?? new Date(now())) !== "live") return {};
      return { id, props: defined({ ...state, sessionId: id, ...describedOutputs(record) }) };
    },

    async update(id, olds, news) {
      // Every input change replaces, so the engine calls update only to retry a partially
      // created session. Keep every output: the engine keeps only what update returns.
      const region = String(news.region ?? olds.region);
      const { record, serverDate } = await findTerminalSession(clientFor(region), region, id);
      const usability = record ? sessionUsability(record, serverDate ?? new Date(now())) : "gone";
      if (usability !== "live") {
        throw new TerminalSessionError(
          "SessionGone",
          `session ${id} is ${usability}: run \`pulumi refresh\` to drop it, then \`pulumi up\` starts a new one.`,
        );
      }
      return {
        outs: defined({
          ...olds,
          ...userInputs(news),
          sessionId: id,
          adopted: olds.adopted ?? false,
          ...describedOutputs(record),
        }),
      };
    },

    async delete(id, props) {
      const region = typeof props.region === "string" ? props.region : current().alicloud.region?.value;
      if (!region)
        throw new Error(
          `cannot end session ${id}: its region is not in state and alicloud:region is not set`,
        );
      // Not found means already ended long ago or never existed: either way it is gone.
      describeBatcher.forget(region, id);
      await endTerminalSession(clientFor(region), { regionId: region, sessionId: id });
    },
  };
}

/**
 * The client token `check` stores when the user set none: the previous one while the other
 * inputs are unchanged (so no diff appears), else one derived from the URN and inputs, or
 * unknown while inputs are unknown (preview).
 */
function defaultToken(
  olds: Record<string, unknown>,
  inputs: Record<string, unknown>,
  urn: string | undefined,
): string {
  const previous = olds.clientToken;
  if (typeof previous === "string" && canonicalJson(tokenBasis(olds)) === canonicalJson(tokenBasis(inputs))) {
    return previous;
  }
  if (containsUnknown(tokenBasis(inputs))) return UNKNOWN;
  return deriveClientToken(urn ?? `urn:unknown:${canonicalJson(tokenBasis(inputs))}`, inputs);
}

/** The provider instance the stub loads (`terminalSessionProvider` by name). */
export const terminalSessionProvider = createTerminalSessionProvider();

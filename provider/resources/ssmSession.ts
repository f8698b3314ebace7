/**
 * `aws.SsmSession`: an AWS Systems Manager Session Manager session (StartSession) as a Pulumi
 * resource. Immutable: every input change replaces it.
 *
 * Lifecycle: check -> validate against the SSM model, default `region`; diff -> any input
 * change replaces (the new session starts before the old one ends); create -> StartSession,
 * then DescribeSessions for status and owner; read -> DescribeSessions (Active, then
 * History), no id once the session is terminating, terminated, failed or gone; update -> only
 * after a partial create, re-reads; delete -> TerminateSession, an ended or unknown session
 * counts as done.
 *
 * This module runs inside the dynamic provider process, loaded by name through the stub in
 * `sdk/internal/providerStub.ts`; the SDK imports it only for its schema and types.
 */
import { z } from "zod";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  awsSettingsFromEnv,
  findSsmSession,
  isLiveSsmSession,
  resolveAwsSettings,
  ssmClientFor,
  startSession,
  terminateSession,
  type AwsSettings,
  type SsmClient,
  type SsmSessionRecord,
} from "../clients/aws";
import type { ConfigSource, Environment } from "../config";
import { ResourceInitError } from "../errors/base";
import { changedInputKeys, pickInputs } from "../inputs";
import { dropNulls, isAbsent, ruleMessage, validate, type CheckFailure } from "../validation";

/** The Pulumi type token of the resource. */
export const SSM_SESSION_TYPE = "pulumi-nodejs:dynamic/aws:SsmSession";

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
const PROVIDER_PROPERTY = "__provider";

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

/** Shortens a user value quoted in a message. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
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
          `parameters names must be 1 to ${L.parameterNameMax} characters (got ${quote(name)})`,
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

/** Everything in state. */
export type SsmSessionOutputs = SsmSessionCheckedInputs & SsmSessionComputed;

/** Output names the resource class marks secret (`additionalSecretOutputs`). */
export const SSM_SESSION_SECRET_OUTPUTS = ["tokenValue", "streamUrl"] as const;

/** Input names; all of them force replacement when they change. */
export const SSM_SESSION_INPUT_KEYS = Object.keys(ssmSessionInputsSchema.shape) as Array<
  keyof SsmSessionInputs
>;

/** The user inputs of a property bag, without internal properties, nulls or computed outputs. */
export function ssmSessionUserInputs(props: Record<string, unknown>): Record<string, unknown> {
  return pickInputs(SSM_SESSION_INPUT_KEYS, props);
}

/** Input names whose change replaces the session (unknown values count as changed). */
export function ssmSessionChanges(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return changedInputKeys(SSM_SESSION_INPUT_KEYS, olds, news);
}

/** The computed outputs a Describe record gives. */
function describedOutputs(record: SsmSessionRecord): Partial<SsmSessionComputed> {
  return {
    status: record.status,
    startDate: record.startDate,
    endDate: record.endDate,
    owner: record.owner,
    details: record.details,
    maxSessionDuration: record.maxSessionDuration,
  };
}

/** What the provider needs from its surroundings; tests replace parts. */
export interface SsmSessionProviderDeps {
  /** The environment to read settings from (default `process.env`). */
  env?: Environment;
  /** Builds the SSM client (default: the real one from the settings). */
  client?: (settings: AwsSettings, region: string) => SsmClient;
  /** Waits between Describe polls after a start (default `setTimeout`). */
  sleep?: (ms: number) => Promise<void>;
}

/** Describe polls after a start, in case the new session is not listed yet (eventual consistency). */
const DESCRIBE_POLLS = 3;

/** Creates the provider object; `configure` stores the settings on it. */
export function createSsmSessionProvider(
  deps: SsmSessionProviderDeps = {},
): dynamic.ResourceProvider<Record<string, unknown>, Record<string, unknown>> {
  const env = deps.env ?? process.env;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let settings: AwsSettings | undefined;

  function current(): AwsSettings {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= awsSettingsFromEnv(env);
    return settings;
  }

  function clientFor(region: string): SsmClient {
    return deps.client ? deps.client(current(), region) : ssmClientFor(current(), region);
  }

  function regionOf(props: Record<string, unknown>, id: string, doing: string): string {
    const region = typeof props.region === "string" ? props.region : current().region?.value;
    if (!region)
      throw new Error(`cannot ${doing} session ${id}: its region is not in state and aws:region is not set`);
    return region;
  }

  async function describeAfterStart(
    client: SsmClient,
    sessionId: string,
  ): Promise<SsmSessionRecord | undefined> {
    let record = await findSsmSession(client, sessionId);
    for (let poll = 1; !record && poll < DESCRIBE_POLLS; poll++) {
      await sleep(250 * poll);
      record = await findSsmSession(client, sessionId);
    }
    return record;
  }

  return {
    async configure(req: dynamic.ConfigureRequest) {
      settings = resolveAwsSettings(req.config as ConfigSource, env);
    },

    async check(_olds, news) {
      const { [PROVIDER_PROPERTY]: _provider, ...rest } = news;
      const inputs: Record<string, unknown> = dropNulls(rest);
      const region = current().region;
      if (isAbsent(inputs.region) && region) inputs.region = region.value;
      const { failures } = validate(ssmSessionInputsSchema, inputs);
      if (isAbsent(inputs.region)) {
        failures.push({
          property: "region",
          reason: "region is required: set the region input, the stack config aws:region, or AWS_REGION",
        });
      }
      return { inputs, failures: failures as CheckFailure[] };
    },

    async diff(_id, olds, news) {
      const replaces = ssmSessionChanges(olds, news);
      // Create the new session before ending the old one (the default order): if the new one
      // cannot start (agent offline), the old one keeps working. SSM has no per-target session
      // limit that would make two sessions side by side fail.
      return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(props) {
      const inputs = ssmSessionUserInputs(props) as SsmSessionCheckedInputs;
      const parsed = ssmSessionInputsSchema.safeParse(inputs);
      if (!parsed.success) throw new Error(`invalid inputs reached create: ${parsed.error.message}`);
      const client = clientFor(inputs.region);
      const started = await startSession(client, {
        target: inputs.target,
        documentName: inputs.documentName,
        reason: inputs.reason,
        parameters: inputs.parameters,
      });
      const outs: Record<string, unknown> = {
        ...inputs,
        sessionId: started.sessionId,
        tokenValue: started.tokenValue,
        streamUrl: started.streamUrl,
      };
      let record: SsmSessionRecord | undefined;
      try {
        record = await describeAfterStart(client, started.sessionId);
      } catch (err) {
        // The session exists: record it (partially created) rather than forget it.
        throw new ResourceInitError(
          `session ${started.sessionId} was started but could not be read back: ${(err as Error).message}`,
          started.sessionId,
          dropNulls({ ...outs, [PROVIDER_PROPERTY]: props[PROVIDER_PROPERTY] }),
          err,
        );
      }
      return {
        id: started.sessionId,
        outs: dropNulls({ ...outs, ...(record ? describedOutputs(record) : {}) }),
      };
    },

    async read(id, props) {
      const state = props ?? {};
      const record = await findSsmSession(clientFor(regionOf(state, id, "read")), id);
      // Terminating, terminated, failed, or gone (older than 30 days, never existed): drop it.
      if (!record || !isLiveSsmSession(record)) return {};
      return { id, props: dropNulls({ ...state, sessionId: id, ...describedOutputs(record) }) };
    },

    async update(id, olds, news) {
      // Every input change replaces, so the engine calls update only to retry a partially
      // created session. Keep every output (tokens included): the engine keeps only what
      // update returns.
      const region = regionOf({ ...olds, ...news }, id, "update");
      const record = await findSsmSession(clientFor(region), id);
      return {
        outs: dropNulls({
          ...olds,
          ...ssmSessionUserInputs(news),
          sessionId: id,
          ...(record ? describedOutputs(record) : {}),
        }),
      };
    },

    async delete(id, props) {
      // An unknown or already ended session is fine: either way it is gone.
      await terminateSession(clientFor(regionOf(props, id, "terminate")), id);
    },
  };
}

/** The provider instance the stub loads (`ssmSessionProvider` by name). */
export const ssmSessionProvider = createSsmSessionProvider();

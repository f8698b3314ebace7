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
 * This module runs inside the dynamic provider process, loaded by name through the `__provider` module written by
 * `sdk/internal/dynamicResource.ts`; the SDK never imports it.
 * The schemas (zod) load on first use: delete and read (destroy, refresh) never need them.
 */
import "../../compileCache";
import {
  findSsmSession,
  isLiveSsmSession,
  ssmClientFor,
  startSession,
  terminateSession,
  type SsmClient,
  type SsmSessionRecord,
} from "../../clients/aws";
import { settingsFromEnv, type AwsSettings, type Environment, type ProviderSettings } from "../../config";
import { dynamicProvider, onFirstUse, type Lifecycle } from "../../lifecycle";
import { ResourceInitError } from "../../errors/base";
import { changedInputKeys, checkInputs, pickInputs, PROVIDER_PROPERTY } from "../../inputs";
import { dropNulls, isAbsent, validate, type CheckFailure } from "../../validation";
import type * as Schemas from "./schema";
import type { SsmSessionCheckedInputs, SsmSessionComputed } from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

/** The user inputs of a property bag, without internal properties, nulls or computed outputs. */
export function ssmSessionUserInputs(props: Record<string, unknown>): Record<string, unknown> {
  return pickInputs(schemas().SSM_SESSION_INPUT_KEYS, props);
}

/** Input names whose change replaces the session (unknown values count as changed). */
export function ssmSessionChanges(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return changedInputKeys(schemas().SSM_SESSION_INPUT_KEYS, olds, news);
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

/** Creates the lifecycle; `configure` stores the settings on it. */
export function ssmSessionLifecycle(deps: SsmSessionProviderDeps = {}): Lifecycle {
  const env = deps.env ?? process.env;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let settings: ProviderSettings | undefined;

  function current(): AwsSettings {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= settingsFromEnv(env);
    return settings.aws;
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
    configure(resolved) {
      settings = resolved;
    },

    async check(_olds, news) {
      const { inputs } = checkInputs(news);
      const region = current().region;
      if (isAbsent(inputs.region) && region) inputs.region = region.value;
      const { failures } = validate(schemas().ssmSessionInputsSchema, inputs);
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
      const parsed = schemas().ssmSessionInputsSchema.safeParse(inputs);
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

/** The dynamic provider of an SsmSession (see {@link ssmSessionLifecycle}). */
export function createSsmSessionProvider(deps: SsmSessionProviderDeps = {}) {
  return dynamicProvider(ssmSessionLifecycle(deps), deps.env);
}

/** The provider instance `__provider` loads (`ssmSessionProvider` by name). */
export const ssmSessionProvider = createSsmSessionProvider();

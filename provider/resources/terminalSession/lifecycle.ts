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
 * This module runs inside the dynamic provider process, loaded by name through the `__provider` module written by
 * `sdk/internal/dynamicResource.ts`; the SDK never imports it.
 * The schemas (zod) load on first use: delete and read (destroy, refresh) never need them.
 */
import "../../compileCache";
import { createHash } from "node:crypto";
import {
  alicloudClientFor,
  endTerminalSession,
  findTerminalSession,
  sessionUsability,
  startTerminalSession,
  type AlicloudRpcClient,
  type StartTerminalSessionRequest,
  type TerminalSessionRecord,
} from "../../clients/alicloud";
import { settingsFromEnv, type Environment, type ProviderSettings } from "../../config";
import { dynamicProvider, onFirstUse, type Lifecycle } from "../../lifecycle";
import { DescribeBatcher } from "../../batch/describeBatcher";
import { canonicalJson, checkInputs, pickInputs, PROVIDER_PROPERTY } from "../../inputs";
import { ResourceInitError } from "../../errors/base";
import {
  containsUnknown,
  defined,
  dropNulls,
  isAbsent,
  isUnknown,
  ruleMessage,
  UNKNOWN,
  validate,
  type CheckFailure,
} from "../../validation";
import type * as Schemas from "./schema";
import type { TerminalSessionCheckedInputs, TerminalSessionComputed } from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

/** The user inputs of a property bag, without internal properties, nulls or computed outputs. */
export function userInputs(props: Record<string, unknown>): Record<string, unknown> {
  return pickInputs(schemas().TERMINAL_SESSION_INPUT_KEYS, props);
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
  for (const key of schemas().TERMINAL_SESSION_INPUT_KEYS) {
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
 * Creates the lifecycle. One instance per process is enough; `configure` stores the settings on
 * it (every door calls `configure` before anything else).
 */
export function terminalSessionLifecycle(deps: TerminalSessionProviderDeps = {}): Lifecycle {
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let settings: ProviderSettings | undefined;
  // Refresh reads many sessions at once: share Describe calls between them (one per provider process).
  const describeBatcher = new DescribeBatcher();
  // Sessions this process ended. A delete-first replacement with unchanged inputs (`up --replace`)
  // starts again with the old session's client token seconds after ending it: the cloud replays
  // the ended session, and Describe of a session that never had a connection shows no sign of
  // the end, nor is it older than the freshness margin. The engine runs the delete and the create
  // of one replacement in the same provider process, so remembering them here catches it.
  const endedHere = new Set<string>();

  function current(): ProviderSettings {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= settingsFromEnv(env);
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
      const started = await startTerminalSession(client, { ...request, clientToken: token });
      const answered = now();
      // The cloud's clock when this create began, corrected by the server's Date header. The
      // answer's Date was read at or before `answered` (and is cut to the second), so this offset
      // is never above the true one: a session this call made (while retries took their time)
      // never looks older than the call. A midpoint of the whole call, retries included, did.
      const offset = started.serverDate ? started.serverDate.getTime() - answered : 0;
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
      const replayed =
        endedHere.has(started.sessionId) ||
        (!Number.isNaN(created) && created < cloudStart - FRESHNESS_MARGIN_MS);
      const usability = endedHere.has(started.sessionId)
        ? "ended"
        : record
          ? sessionUsability(record, new Date(answered + offset))
          : "live";
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
    configure(resolved) {
      settings = resolved;
    },

    async check(olds, news) {
      const { urn, inputs } = checkInputs(news);
      if (isAbsent(inputs.region) && current().alicloud.region)
        inputs.region = current().alicloud.region!.value;
      const { terminalSessionInputsSchema, terminalSessionRules } = schemas();
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
      const parsed = schemas().terminalSessionInputsSchema.safeParse(inputs);
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
      endedHere.add(id);
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

/** The dynamic provider of a TerminalSession (see {@link terminalSessionLifecycle}). */
export function createTerminalSessionProvider(deps: TerminalSessionProviderDeps = {}) {
  return dynamicProvider(terminalSessionLifecycle(deps), deps.env);
}

/** The provider instance `__provider` loads (`terminalSessionProvider` by name). */
export const terminalSessionProvider = createTerminalSessionProvider();

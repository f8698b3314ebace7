/**
 * Session revocation, shared by `alicloud.TerminalSessionRevocation` and
 * `aws.SsmSessionRevocation`: list every live session on some targets (all pages), spare the
 * ones the spare rules name, end the rest, and record what happened.
 *
 * One-shot, like a kill task: the resource is the record of a run. `create` runs it; a change
 * of any input (`triggers` is there for that) replaces the resource, which runs it again;
 * `read` keeps the record as it is (there is nothing in the cloud to read back); `delete`
 * forgets the record and ends nothing. When some sessions cannot be ended, `create` fails
 * with the sessions it did end recorded (a partially created resource) and the next `up`
 * retries through `update`, which ends only what is still live.
 *
 * Preview cannot run anything, so `check` lists what a run would end when the run is due (a
 * new resource or changed inputs) and every input is known, and prints it: the dynamic
 * provider's stderr reaches the CLI as diagnostics. Listing failures are printed, not
 * raised: preview must not fail because of them.
 *
 * The per-cloud modules supply a {@link RevocationCloud}: settings, a client, listing, the
 * spare rules and ending one session. Retries are the clients' own; paging is `paginate`.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { settingsFromEnv, type Environment, type ProviderSettings } from "../../config";
import { dynamicProvider, onFirstUse, type Lifecycle } from "../../lifecycle";
import { ResourceInitError } from "../../errors/base";
import { canonicalJson, changedInputKeys, checkInputs, pickInputs, PROVIDER_PROPERTY } from "../../inputs";
import {
  containsUnknown,
  dropNulls,
  isAbsent,
  validate,
  type CheckFailure,
  type Fail,
} from "../../validation";
import type * as Schemas from "./schema";
import type { RevocationResult, RevocationSession, SparedSession } from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

/** What ending one session came to: ended now, or it was already gone. */
export type EndOutcome = "ended" | "gone";

/** What to end and what to spare. */
export interface RevocationPlan {
  /** Sessions to end, in listing order. */
  toEnd: RevocationSession[];
  /** Sessions a spare rule keeps. */
  spared: SparedSession[];
}

/** Splits live sessions into those to end and those to spare; a session listed twice counts once. */
export function planRevocation(
  live: Iterable<RevocationSession>,
  spareReason: (session: RevocationSession) => string | undefined,
): RevocationPlan {
  const seen = new Set<string>();
  const plan: RevocationPlan = { toEnd: [], spared: [] };
  for (const session of live) {
    if (seen.has(session.sessionId)) continue;
    seen.add(session.sessionId);
    const reason = spareReason(session);
    if (reason === undefined) plan.toEnd.push(session);
    else plan.spared.push({ ...session, spareReason: reason });
  }
  return plan;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A session that could not be ended, and why. */
export interface RevocationFailure {
  /** The session. */
  session: RevocationSession;
  /** The error (already retried by the client). */
  error: unknown;
}

/** Builds the result from what happened; `targets` are listed in `endedCountByTarget` even at zero. */
export function summarizeRevocation(
  targets: readonly string[],
  ended: readonly RevocationSession[],
  spared: readonly SparedSession[],
  alreadyEndedCount: number,
  ranAt: Date,
): RevocationResult {
  const endedCountByTarget: Record<string, number> = Object.fromEntries(targets.map((t) => [t, 0]));
  for (const s of ended) endedCountByTarget[s.target] = (endedCountByTarget[s.target] ?? 0) + 1;
  const owners = [...new Set(ended.map((s) => s.owner).filter((o): o is string => o !== undefined))];
  return {
    endedSessions: ended.map((s) => dropNulls({ ...s })),
    endedSessionIds: ended.map((s) => s.sessionId),
    endedOwners: owners.sort(),
    endedCount: ended.length,
    endedCountByTarget,
    sparedSessions: spared.map((s) => dropNulls({ ...s })),
    sparedCount: spared.length,
    alreadyEndedCount,
    ranAt: ranAt.toISOString(),
  };
}

/** Ends every planned session (`concurrency` at a time); failures are collected, not thrown. */
export async function executeRevocation(
  plan: RevocationPlan,
  end: (session: RevocationSession) => Promise<EndOutcome>,
  concurrency: number,
): Promise<{ ended: RevocationSession[]; alreadyEndedCount: number; failures: RevocationFailure[] }> {
  const outcomes = await mapLimit(plan.toEnd, concurrency, async (session) => {
    try {
      return { session, outcome: await end(session) };
    } catch (error) {
      return { session, error };
    }
  });
  const ended: RevocationSession[] = [];
  const failures: RevocationFailure[] = [];
  let alreadyEndedCount = 0;
  for (const o of outcomes) {
    if ("error" in o) failures.push({ session: o.session, error: o.error });
    else if (o.outcome === "ended") ended.push(o.session);
    else alreadyEndedCount++;
  }
  return { ended, alreadyEndedCount, failures };
}

/** The most lines a preview listing prints before summing up the rest. */
const PREVIEW_LINES = 50;

function sessionLabel(s: RevocationSession): string {
  const who = [
    s.owner ? `owner ${s.owner}` : undefined,
    s.username ? `user ${s.username}` : undefined,
  ].filter(Boolean);
  return `${s.sessionId} on ${s.target}${who.length > 0 ? ` (${who.join(", ")})` : ""}`;
}

/** The preview text: what a run would end and spare, one session per line. */
export function describePlan(title: string, plan: RevocationPlan): string {
  const lines = [
    ...plan.toEnd.map((s) => `  end   ${sessionLabel(s)}`),
    ...plan.spared.map((s) => `  spare ${sessionLabel(s)}: ${s.spareReason}`),
  ];
  const shown = lines.slice(0, PREVIEW_LINES);
  if (lines.length > shown.length) shown.push(`  ... and ${lines.length - shown.length} more`);
  const head =
    `${title} will end ${plan.toEnd.length} live session${plan.toEnd.length === 1 ? "" : "s"}` +
    ` and spare ${plan.spared.length} (as listed now; the run lists again)`;
  return [head + (shown.length > 0 ? ":" : "."), ...shown].join("\n");
}

// ---------------------------------------------------------------------------------------
// the provider, parameterized by cloud
// ---------------------------------------------------------------------------------------

/** Inputs every revocation has, whatever the cloud. */
export interface RevocationBaseInputs {
  /** The region (always set after `check`). */
  region: string;
  /** Re-run the revocation whenever these values change. */
  triggers?: unknown[];
}

/** What a cloud supplies to {@link createRevocationProvider}. */
export interface RevocationCloud<S, C, I extends RevocationBaseInputs> {
  /** The resource's name in messages, e.g. `aws.SsmSessionRevocation`. */
  title: string;
  /** The input schema (strict), loaded on first use (see {@link onFirstUse}). */
  schema(): z.ZodObject;
  /** Cross-field rules; unknown values never fail a rule. */
  rules?: (value: Record<string, unknown>, fail: Fail) => void;
  /** Rewrites inputs a user may write in another natural form, before validation (in place). */
  normalize?: (inputs: Record<string, unknown>) => void;
  /** This cloud's part of the settings. */
  settings(all: ProviderSettings): S;
  /** The stack's default region, if any. */
  defaultRegion(settings: S): string | undefined;
  /** The failure reason when no region is set anywhere (names the config keys to set). */
  missingRegion: string;
  /** The targets of a run (for `endedCountByTarget`). */
  targets(inputs: I): string[];
  /** A client for the region. */
  client(settings: S, region: string): C;
  /** Every live session on the targets, all pages, spare rules not applied. */
  listLive(client: C, inputs: I): Promise<RevocationSession[]>;
  /** Why a session is spared, or undefined to end it. */
  spareReason(inputs: I, session: RevocationSession): string | undefined;
  /** Ends one session. */
  end(client: C, inputs: I, session: RevocationSession): Promise<EndOutcome>;
}

/** What the provider needs from its surroundings; tests replace parts. */
export interface RevocationProviderDeps<S, C> {
  /** The environment (default `process.env`). */
  env?: Environment;
  /** Builds the client (default: the cloud's). */
  client?: (settings: S, region: string) => C;
  /**
   * Where preview listings go. Default: the provider process's stderr, which the engine shows
   * as diagnostics (dynamic providers have no other channel to the engine's log).
   */
  notice?: (message: string) => void;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** End calls in flight at once (default 4: a burst of 100 stays well under API rate limits). */
  concurrency?: number;
}

/** Builds the revocation lifecycle of one cloud. */
export function revocationLifecycle<S, C, I extends RevocationBaseInputs>(
  cloud: RevocationCloud<S, C, I>,
  deps: RevocationProviderDeps<S, C> = {},
): Lifecycle {
  const env = deps.env ?? process.env;
  const notice = deps.notice ?? ((message: string) => process.stderr.write(`${message}\n`));
  const now = deps.now ?? Date.now;
  const concurrency = deps.concurrency ?? 4;
  const keys = onFirstUse(() => Object.keys(cloud.schema().shape));
  let settings: ProviderSettings | undefined;
  // A replacement (new triggers) makes the engine check the inputs twice, with the old inputs
  // and again without them; listing both times showed the plan twice and doubled the calls.
  // One provider process serves one deployment: list and print once per resource and inputs.
  const listedForPreview = new Set<string>();

  function current(): S {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= settingsFromEnv(env);
    return cloud.settings(settings);
  }

  function clientFor(region: string): C {
    return deps.client ? deps.client(current(), region) : cloud.client(current(), region);
  }

  const userInputs = (props: Record<string, unknown>) => pickInputs(keys(), props);
  const changedInputs = (olds: Record<string, unknown>, news: Record<string, unknown>) =>
    changedInputKeys(keys(), olds, news);

  async function plan(inputs: I): Promise<{ client: C; plan: RevocationPlan }> {
    const client = clientFor(inputs.region);
    const live = await cloud.listLive(client, inputs);
    return { client, plan: planRevocation(live, (s) => cloud.spareReason(inputs, s)) };
  }

  /** Lists and ends; returns the result, or throws ResourceInitError carrying it when some End failed. */
  async function run(id: string, inputs: I, previous: RevocationResult | undefined, provider: unknown) {
    const { client, plan: p } = await plan(inputs);
    const done = await executeRevocation(p, (s) => cloud.end(client, inputs, s), concurrency);
    const ended = [...(previous?.endedSessions ?? []), ...done.ended];
    const result = summarizeRevocation(
      cloud.targets(inputs),
      ended,
      p.spared,
      (previous?.alreadyEndedCount ?? 0) + done.alreadyEndedCount,
      new Date(now()),
    );
    const outs: Record<string, unknown> = dropNulls({ ...(inputs as object), ...result });
    if (done.failures.length > 0) {
      const detail = done.failures
        .slice(0, 5)
        .map((f) => `${f.session.sessionId}: ${(f.error as Error)?.message ?? String(f.error)}`)
        .join("; ");
      // Record what was ended; the next `up` retries (update) and ends only what is still live.
      throw new ResourceInitError(
        `${cloud.title}: ended ${done.ended.length} sessions but ${done.failures.length} could not be ended ` +
          `(run pulumi up again to retry them): ${detail}`,
        id,
        { ...outs, [PROVIDER_PROPERTY]: provider },
      );
    }
    return outs;
  }

  return {
    configure(resolved) {
      settings = resolved;
    },

    async check(olds, news) {
      const { urn, inputs } = checkInputs(news);
      cloud.normalize?.(inputs);
      const region = cloud.defaultRegion(current());
      if (isAbsent(inputs.region) && region) inputs.region = region;
      const { failures } = validate(cloud.schema(), inputs, cloud.rules);
      if (isAbsent(inputs.region)) {
        failures.push({ property: "region", reason: cloud.missingRegion });
      }
      const due = Object.keys(userInputs(olds)).length === 0 || changedInputs(olds, inputs).length > 0;
      const listing = canonicalJson({ urn, inputs });
      if (failures.length === 0 && due && !listedForPreview.has(listing)) {
        listedForPreview.add(listing);
        const title = `${cloud.title} ${urn ? JSON.stringify(urn.split("::").pop()) : ""}`.trim();
        if (containsUnknown(inputs)) {
          notice(
            `${title}: some inputs are unknown until apply, so the sessions it will end cannot be listed yet.`,
          );
        } else {
          try {
            notice(describePlan(title, (await plan(inputs as unknown as I)).plan));
          } catch (err) {
            notice(`${title}: could not list the live sessions for preview: ${(err as Error).message}`);
          }
        }
      }
      return { inputs, failures: failures as CheckFailure[] };
    },

    async diff(_id, olds, news) {
      const replaces = changedInputs(olds, news);
      // Replacing runs the revocation again; the old record is dropped afterwards (a no-op).
      return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(props) {
      const inputs = userInputs(props);
      const parsed = cloud.schema().safeParse(inputs);
      if (!parsed.success || isAbsent(inputs.region)) {
        throw new Error(`invalid inputs reached create: ${parsed.error?.message ?? "no region"}`);
      }
      const id = `revocation-${randomUUID()}`;
      return { id, outs: await run(id, inputs as unknown as I, undefined, props[PROVIDER_PROPERTY]) };
    },

    async read(id, props) {
      // The record of a past run: nothing in the cloud to compare it with.
      return { id, props: props ?? {} };
    },

    async update(id, olds, news) {
      // Every input change replaces, so update runs only to retry a partially created run:
      // list again and end what is still live, keeping what the earlier attempt ended.
      const parsedOld = schemas().revocationResultSchema.safeParse(olds);
      const inputs = userInputs(news) as unknown as I;
      return {
        outs: await run(id, inputs, parsedOld.success ? parsedOld.data : undefined, news[PROVIDER_PROPERTY]),
      };
    },

    async delete() {
      // Deleting the record ends nothing: the run already happened.
    },
  };
}

/** The dynamic provider of a revocation (see {@link revocationLifecycle}). */
export function createRevocationProvider<S, C, I extends RevocationBaseInputs>(
  cloud: RevocationCloud<S, C, I>,
  deps: RevocationProviderDeps<S, C> = {},
) {
  return dynamicProvider(revocationLifecycle(cloud, deps), deps.env);
}

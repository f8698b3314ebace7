/**
 * SSM session actions: validate the JSON body against the SSM model's constraints, call the
 * backend, shape the response. No state lives here.
 *
 * Constraint violations are `ValidationException` with AWS's wording (validation.ts); the modeled
 * errors (`InvalidDocument`, `TargetNotConnected`, `InvalidFilterKey`, `InvalidNextToken`,
 * `DoesNotExistException`) come from here or the backend.
 */
import type { ActionHandler, CallContext } from "../types";
import { ApiError } from "../../protocol/apiError";
import type { SessionFilter, SessionState, SessionStatus, SessionView, SsmBackend } from "./backend";
import { DEFAULT_SESSION_DOCUMENT, findDocument, resolveParameters } from "./documents";
import { Constraints } from "./validation";

const DOCUMENT_NAME_PATTERN = /^[a-zA-Z0-9_\-.:/]{3,128}$/;
const REASON_PATTERN = /^.{1,256}$/;
const SESSION_STATES = ["Active", "History"] as const;
const FILTER_KEYS = [
  "InvokedAfter",
  "InvokedBefore",
  "Target",
  "Owner",
  "Status",
  "SessionId",
  "AccessType",
] as const;
const STATUSES: readonly SessionStatus[] = [
  "Connected",
  "Connecting",
  "Disconnected",
  "Terminated",
  "Terminating",
  "Failed",
];
/** AWS does not document DescribeSessions' default page size; 20 is our choice. */
const DEFAULT_MAX_RESULTS = 20;

export function createHandlers(backend: SsmBackend): Record<string, ActionHandler> {
  return {
    StartSession: async (params, ctx) => startSession(backend, params, ctx),
    DescribeSessions: async (params, ctx) => describeSessions(backend, params, ctx),
    TerminateSession: async (params, ctx) => {
      const sessionId = requireSessionId(params);
      return { SessionId: backend.terminate(ctx.region, sessionId, ctx.accessKeyId) };
    },
    ResumeSession: async (params, ctx) => {
      const sessionId = requireSessionId(params);
      const resumed = backend.resume(ctx.region, sessionId, ctx.accessKeyId);
      return { SessionId: resumed.sessionId, TokenValue: resumed.tokenValue, StreamUrl: resumed.streamUrl };
    },
  };
}

function startSession(backend: SsmBackend, params: Record<string, unknown>, ctx: CallContext) {
  const c = new Constraints();
  const target = c.string("target", params.Target, { required: true, min: 1, max: 400 });
  const documentName = c.string("documentName", params.DocumentName, { pattern: DOCUMENT_NAME_PATTERN });
  const reason = c.string("reason", params.Reason, { min: 1, max: 256, pattern: REASON_PATTERN });
  const parameters = sessionParameters(c, params.Parameters);
  c.throwIfAny();

  const doc = findDocument(documentName ?? DEFAULT_SESSION_DOCUMENT);
  if (!doc) {
    throw new ApiError(400, "InvalidDocument", `Document with name ${documentName ?? ""} does not exist.`);
  }
  const kind = doc.mode(resolveParameters(doc, parameters));
  const started = backend.start({
    region: ctx.region,
    accessKeyId: ctx.accessKeyId,
    target: target as string,
    documentName,
    reason,
    kind,
  });
  return { SessionId: started.sessionId, TokenValue: started.tokenValue, StreamUrl: started.streamUrl };
}

/** `Parameters`: map of name (1..255) to a list of values (each 1..65535 characters). */
function sessionParameters(c: Constraints, value: unknown): Record<string, string[]> | undefined {
  const map = c.map("parameters", value, {});
  if (!map) return undefined;
  const out: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(map)) {
    if ([...name].length > 255 || name.length === 0) {
      c.add(
        map,
        "parameters",
        "Map keys must satisfy constraint: [Member must have length between 1 and 255]",
      );
    }
    const list = c.list(`parameters.${name}`, raw, { required: true });
    if (!list) continue;
    out[name] = list.map((v, i) => {
      const s = c.string(`parameters.${name}.${i + 1}.member`, v, { required: true, min: 1, max: 65535 });
      return s ?? "";
    });
  }
  return out;
}

function describeSessions(backend: SsmBackend, params: Record<string, unknown>, ctx: CallContext) {
  const c = new Constraints();
  const state = c.string("state", params.State, { required: true, enum: SESSION_STATES }) as SessionState;
  const maxResults = c.integer("maxResults", params.MaxResults, { min: 1, max: 200 });
  const nextToken = c.string("nextToken", params.NextToken, {});
  const rawFilters = c.list("filters", params.Filters, { min: 1, max: 6 }) ?? [];
  const filters = rawFilters.map((f, i) => filterShape(c, f, i + 1));
  c.throwIfAny();

  const typed = filters.map((f) => typedFilter(f as { key: string; value: string }));
  const result = backend.describe(
    { region: ctx.region, state, filters: typed, maxResults: maxResults ?? DEFAULT_MAX_RESULTS, nextToken },
    ctx.accessKeyId,
  );
  return { Sessions: result.sessions.map(toWireSession), NextToken: result.nextToken };
}

/** Structural checks of one SessionFilter (`key` and `value` are lower-case on the wire). */
function filterShape(c: Constraints, raw: unknown, n: number): { key?: string; value?: string } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ApiError(400, "SerializationException", `Expected a SessionFilter structure at 'filters.${n}'`);
  }
  const f = raw as Record<string, unknown>;
  // The key is an enum in the model; an unknown one is the modeled InvalidFilterKey below.
  const key = c.string(`filters.${n}.member.key`, f.key, { required: true });
  const value = c.string(`filters.${n}.member.value`, f.value, { required: true, min: 1, max: 400 });
  return { key, value };
}

/** Key and value semantics. AWS does not document value errors; a bad value is ValidationException here. */
function typedFilter(f: { key: string; value: string }): SessionFilter {
  const { key, value } = f;
  if (!(FILTER_KEYS as readonly string[]).includes(key)) {
    throw new ApiError(400, "InvalidFilterKey", `The specified key isn't valid: ${key}`);
  }
  switch (key) {
    case "InvokedAfter":
    case "InvokedBefore":
      return { key, value: timestamp(key, value) };
    case "Status":
      if (!STATUSES.includes(value as SessionStatus)) {
        throw badFilterValue(key, value, `one of ${STATUSES.join(", ")}`);
      }
      return { key, value: value as SessionStatus };
    case "AccessType":
      if (value !== "Standard" && value !== "JustInTime")
        throw badFilterValue(key, value, "Standard or JustInTime");
      return { key, value };
    default:
      return { key: key as "Target" | "Owner" | "SessionId", value };
  }
}

/** `2024-08-29T00:00:00Z` (ISO 8601, as the model's documentation shows). */
function timestamp(key: string, value: string): Date {
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value);
  const date = new Date(value);
  if (!ok || Number.isNaN(date.getTime())) throw badFilterValue(key, value, "an ISO 8601 timestamp");
  return date;
}

function badFilterValue(key: string, value: string, expected: string): ApiError {
  return new ApiError(
    400,
    "ValidationException",
    `Invalid value '${value}' for filter ${key}: expected ${expected}.`,
  );
}

function requireSessionId(params: Record<string, unknown>): string {
  const c = new Constraints();
  const sessionId = c.string("sessionId", params.SessionId, { required: true, min: 1, max: 96 });
  c.throwIfAny();
  return sessionId as string;
}

/** The wire shape of a Session (JSON 1.1: timestamps as epoch seconds; absent members omitted). */
function toWireSession(s: SessionView): Record<string, unknown> {
  return {
    SessionId: s.sessionId,
    Target: s.target,
    Status: s.status,
    StartDate: s.startDate.getTime() / 1000,
    EndDate: s.endDate === undefined ? undefined : s.endDate.getTime() / 1000,
    DocumentName: s.documentName,
    Owner: s.owner,
    Reason: s.reason,
    // AWS reports an empty OutputUrl when session logging is off, which is always the case here.
    OutputUrl: {},
    MaxSessionDuration: s.maxSessionDuration,
    AccessType: s.accessType,
  };
}

/**
 * Parsing of the two actions' flat RPC query maps. Everything arrives as a string:
 * `KillAllSessions` as `true`/`false`, `IgnoredUsers` and `SessionIds` as JSON-array strings.
 * Any failure is HTTP 400 InvalidParams naming the parameter.
 */
import { z } from "zod";
import { invalidParams } from "./errors";
import type { KillRequest, TaskQuery } from "./model";

/** The SDK leaves unset parameters out; an empty value counts as unset too. */
const optionalText = z.preprocess(
  (v) => (v === undefined || v === null || v === "" ? undefined : v),
  z.string().optional(),
);
const requiredText = z.preprocess(
  (v) => (v === undefined || v === null ? undefined : v),
  z.string({ error: "is required" }).min(1, { error: "is required" }),
);

/**
 * A JSON array, parsed leniently: the API reference's own examples use single quotes
 * (`['db_user1','db_user2']`), which DAS's JSON parser accepts and `JSON.parse` does not.
 */
export function parseLenientArray(raw: string): unknown[] {
  const text = raw.trim();
  const attempts = [
    text,
    // 'abc' -> "abc" (a quote inside a single-quoted item cannot be written this way; fine here).
    text.replace(/'([^'\\]*)'/g, (_m, inner: string) => JSON.stringify(inner)),
  ];
  for (const attempt of attempts) {
    try {
      const value: unknown = JSON.parse(attempt);
      if (Array.isArray(value)) return value;
    } catch {
      // try the next form
    }
  }
  throw new Error("must be a JSON array");
}

const ignoredUsers = optionalText.transform((raw, ctx) => {
  if (raw === undefined) return [];
  try {
    const items = parseLenientArray(raw);
    if (!items.every((u): u is string => typeof u === "string" && u !== ""))
      throw new Error("must hold non-empty account names");
    return items;
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

const sessionIds = optionalText.transform((raw, ctx) => {
  if (raw === undefined) return [];
  try {
    const items = parseLenientArray(raw).map((v) => {
      // Ids may come as numbers or as numeric strings (`['10805639']`).
      const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
      if (!/^\d{1,19}$/.test(s) || Number(s) <= 0 || !Number.isSafeInteger(Number(s)))
        throw new Error(`holds an invalid session id ${JSON.stringify(v)}`);
      return Number(s);
    });
    return [...new Set(items)];
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

const booleanText = z.preprocess(
  (v) => (v === undefined || v === null ? undefined : typeof v === "boolean" ? String(v) : v),
  z.enum(["true", "false"], { error: "must be true or false" }).transform((v) => v === "true"),
);

const createSchema = z
  .object({
    InstanceId: requiredText,
    NodeId: optionalText,
    DbUser: requiredText,
    // A password may be anything but absent; an empty one is still a (wrong) password.
    DbUserPassword: z.preprocess(
      (v) => (v === undefined || v === null ? undefined : v),
      z.string({ error: "is required" }),
    ),
    IgnoredUsers: ignoredUsers,
    KillAllSessions: booleanText,
    SessionIds: sessionIds,
  })
  .superRefine((p, ctx) => {
    if (!p.KillAllSessions && p.SessionIds.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["SessionIds"],
        message: "must list at least one session when KillAllSessions is false",
      });
  });

const resultSchema = z.object({
  InstanceId: requiredText,
  NodeId: optionalText,
  TaskId: requiredText,
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const name = issue.path.length > 0 ? String(issue.path[0]) : "request";
  return `${name} ${issue.message}.`;
}

/** CreateKillInstanceSessionTask parameters; throws HTTP 400 InvalidParams. */
export function parseKillRequest(params: Record<string, unknown>): KillRequest {
  const r = createSchema.safeParse(params);
  if (!r.success) throw invalidParams(firstIssue(r.error));
  const p = r.data;
  return {
    instanceId: p.InstanceId,
    nodeId: p.NodeId,
    dbUser: p.DbUser,
    dbUserPassword: p.DbUserPassword,
    ignoredUsers: p.IgnoredUsers,
    killAllSessions: p.KillAllSessions,
    // "If KillAllSessions is set to true, this parameter does not take effect."
    sessionIds: p.KillAllSessions ? [] : p.SessionIds,
  };
}

/** GetKillInstanceSessionTaskResult parameters; throws HTTP 400 InvalidParams. */
export function parseTaskQuery(params: Record<string, unknown>): TaskQuery {
  const r = resultSchema.safeParse(params);
  if (!r.success) throw invalidParams(firstIssue(r.error));
  return { instanceId: r.data.InstanceId, nodeId: r.data.NodeId, taskId: r.data.TaskId };
}

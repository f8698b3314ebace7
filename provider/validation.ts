/**
 * Input validation shared by every resource's `check`.
 *
 * During `pulumi preview` values that depend on resources not yet created reach `check`
 * as Pulumi's unknown sentinel (a fixed UUID string), at any depth: a whole field, an
 * object member, an array element. Validation must accept those and still reject every
 * value that is already known to be wrong, naming the field and the rule, so a bad
 * program fails at preview before any API call.
 *
 * Field rules live in a zod schema; an issue is dropped when its path runs through an
 * unknown value. Cross-field rules (conflicts, "X needs Y") are plain functions guarded by
 * {@link isKnown}/{@link isAbsent}: zod skips object-level refinements as soon as one
 * field fails, and an unknown field is, to zod, a failing field.
 */
import type { z } from "zod";

/** Pulumi's placeholder for a value that is not known until apply (`rpc.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The type of {@link UNKNOWN}. */
export type Unknown = typeof UNKNOWN;

/**
 * One `check` failure in the shape the dynamic provider forwards to the engine.
 *
 * The engine prints a failure as `property <property> value <value> has a problem: <reason>`,
 * looking the value up as a *top-level* key of the inputs: a nested path there prints `{<nil>}`.
 * So `property` is always the top-level input (the engine then shows its value, or `[secret]`
 * when the user made it a secret), and `reason` starts with the full path. A reason never quotes
 * the input's value: the engine already shows it, and a secret must never reach the terminal.
 */
export interface CheckFailure {
  /** The top-level input (`encryptionOptions`, `instanceIds`). */
  property: string;
  /** What is wrong and which rule it breaks, starting with the full path (`instanceIds[1]: ...`). */
  reason: string;
}

/** Reports one failure of a cross-field rule, at a property path (`encryptionOptions.mode`). */
export type Fail = (path: string, reason: string) => void;

/** True for Pulumi's unknown sentinel. */
export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/** True when the value, or anything inside it, is unknown. */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** True when the value is present and known at this level (members may still be unknown). */
export function isKnown<T>(value: T | Unknown | undefined | null): value is T {
  return value !== undefined && value !== null && !isUnknown(value);
}

/** True when the value is certainly absent (unknown may still turn out to be set). */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** Formats a zod path as a Pulumi property path: `a.b[0].c`. */
export function propertyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** The top-level input of a property path: `encryptionOptions` of `encryptionOptions.mode`, `a` of `a[0].b`. */
export function topLevelProperty(path: string): string {
  return path.split(/[.[]/, 1)[0];
}

/** A failure of the input at `path` (a property path), reported under its top-level input. */
export function failureAt(path: string, reason: string): CheckFailure {
  const full = path === "" || reason.startsWith(path) ? reason : `${path}: ${reason}`;
  return { property: topLevelProperty(path), reason: full };
}

/** True when walking `path` into `value` meets an unknown (at the end or on the way). */
export function pathCrossesUnknown(value: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = value;
  if (isUnknown(current)) return true;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return false;
    current = (current as Record<PropertyKey, unknown>)[segment];
    if (isUnknown(current)) return true;
  }
  return false;
}

/** Removes `null` members recursively: the engine may send `null` for an unset optional input. */
export function dropNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropNulls) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = dropNulls(v);
    return out as T;
  }
  return value;
}

/** Removes `undefined` members, one level deep (the engine's Struct conversion rejects them). */
export function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Turns zod issues into check failures, dropping those caused by unknown values.
 * The reason always starts with the property name: custom messages in our schemas already
 * do; zod's generic ones (wrong type) get it prefixed.
 */
export function zodFailures(issues: readonly z.core.$ZodIssue[], value: unknown): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const issue of issues) {
    if (pathCrossesUnknown(value, issue.path)) continue;
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = propertyPath([...issue.path, key]);
        failures.push(failureAt(path, `${path} is not a known input`));
      }
      continue;
    }
    failures.push(failureAt(propertyPath(issue.path), issue.message));
  }
  return failures;
}

/** The result of {@link validate}. */
export interface ValidationResult<T> {
  /** Every failure, empty when nothing known is wrong. */
  failures: CheckFailure[];
  /** The parsed value, only when there are no failures and no unknowns anywhere. */
  value?: T;
}

/**
 * Validates `value` against `schema` and then the cross-field `rules`.
 * Unknown values are accepted wherever they are; rules must guard with {@link isKnown}.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  rules?: (value: Record<string, unknown>, fail: Fail) => void,
): ValidationResult<z.output<S>> {
  const parsed = schema.safeParse(value);
  const failures = parsed.success ? [] : zodFailures(parsed.error.issues, value);
  if (rules && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const seen = new Set(failures.map((f) => `${f.property}\u0000${f.reason}`));
    rules(value as Record<string, unknown>, (path, reason) => {
      const failure = failureAt(path, reason);
      const key = `${failure.property}\u0000${failure.reason}`;
      if (!seen.has(key)) {
        seen.add(key);
        failures.push(failure);
      }
    });
  }
  if (failures.length > 0 || !parsed.success || containsUnknown(value)) return { failures };
  return { failures, value: parsed.data };
}

/**
 * A rule message: `<what is wrong> (<rule>)`, where the rule is the cloud's documented
 * error code when there is one, so users can search the API reference for it.
 */
export function ruleMessage(text: string, rule: string): string {
  return `${text} (rule ${rule})`;
}

/** What a wrong value is, for messages that must not quote it: `a list`, `a number`, ... */
export function kindOf(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "an object";
  if (typeof input === "boolean") return "true/false";
  return `a ${typeof input}`;
}

/**
 * A numeric id written where the cloud's type is a string id (`pulumi config set --path` stores
 * digits as a number): its decimal text when it is a whole number JavaScript holds exactly,
 * else the value unchanged, for the schema to reject.
 */
export function idText(value: unknown): unknown {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
}

/** True when every character is 7-bit ASCII. */
export function isAscii(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(value);
}

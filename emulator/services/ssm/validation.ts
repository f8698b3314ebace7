/**
 * Input checks with the wording AWS's request framework uses, so a caller's error text looks the
 * same against the local cloud as against AWS:
 *
 *   1 validation error detected: Value 'x' at 'target' failed to satisfy constraint: Member must ...
 *
 * A JSON value of the wrong type fails earlier, at deserialisation, as `SerializationException`
 * (AWS does the same; its message text names Java classes, ours names the member).
 * Lengths count Unicode code points, as Smithy's `@length` does.
 */
import { ApiError } from "../../protocol/apiError";

export interface StringRules {
  required?: boolean;
  min?: number;
  max?: number;
  /** Checked only when the length rules pass, as in the model's own pattern+length pairs. */
  pattern?: RegExp;
  enum?: readonly string[];
}

export interface NumberRules {
  required?: boolean;
  min?: number;
  max?: number;
}

export interface CollectionRules {
  required?: boolean;
  min?: number;
  max?: number;
}

/** Collects constraint violations for one request; `throwIfAny` raises them as one ValidationException. */
export class Constraints {
  private readonly violations: string[] = [];

  /** A string member; returns it when present and of the right type. */
  string(path: string, value: unknown, rules: StringRules): string | undefined {
    if (value === undefined || value === null) return this.missing(path, rules.required);
    if (typeof value !== "string") throw typeMismatch(path, value, "String");
    const length = [...value].length;
    const before = this.violations.length;
    if (rules.min !== undefined && length < rules.min) {
      this.add(value, path, `Member must have length greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && length > rules.max) {
      this.add(value, path, `Member must have length less than or equal to ${rules.max}`);
    }
    if (rules.pattern && !rules.pattern.test(value)) {
      this.add(value, path, `Member must satisfy regular expression pattern: ${rules.pattern.source}`);
    }
    if (rules.enum && !rules.enum.includes(value)) {
      this.add(value, path, `Member must satisfy enum value set: [${rules.enum.join(", ")}]`);
    }
    return this.violations.length === before ? value : undefined;
  }

  /** An integer member. */
  integer(path: string, value: unknown, rules: NumberRules): number | undefined {
    if (value === undefined || value === null) return this.missing(path, rules.required);
    if (typeof value !== "number" || !Number.isInteger(value)) throw typeMismatch(path, value, "Integer");
    const before = this.violations.length;
    if (rules.min !== undefined && value < rules.min) {
      this.add(value, path, `Member must have value greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && value > rules.max) {
      this.add(value, path, `Member must have value less than or equal to ${rules.max}`);
    }
    return this.violations.length === before ? value : undefined;
  }

  /** A list member; element checks are the caller's (paths `name.N.member.field`, 1-based). */
  list(path: string, value: unknown, rules: CollectionRules): unknown[] | undefined {
    if (value === undefined || value === null) return this.missing(path, rules.required);
    if (!Array.isArray(value)) throw typeMismatch(path, value, "List");
    const before = this.violations.length;
    this.collectionLength(path, value, value.length, rules);
    return this.violations.length === before ? value : undefined;
  }

  /** A map member (a JSON object); entry checks are the caller's. */
  map(path: string, value: unknown, rules: CollectionRules): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return this.missing(path, rules.required);
    if (typeof value !== "object" || Array.isArray(value)) throw typeMismatch(path, value, "Map");
    const record = value as Record<string, unknown>;
    const before = this.violations.length;
    this.collectionLength(path, record, Object.keys(record).length, rules);
    return this.violations.length === before ? record : undefined;
  }

  /** A violation the generic rules cannot express (map key/value rules). */
  add(value: unknown, path: string, rule: string): void {
    this.violations.push(`Value ${render(value)} at '${path}' failed to satisfy constraint: ${rule}`);
  }

  throwIfAny(): void {
    const n = this.violations.length;
    if (n === 0) return;
    const head = n === 1 ? "1 validation error detected: " : `${n} validation errors detected: `;
    throw new ApiError(400, "ValidationException", head + this.violations.join("; "));
  }

  private collectionLength(path: string, value: unknown, size: number, rules: CollectionRules): void {
    if (rules.min !== undefined && size < rules.min) {
      this.add(value, path, `Member must have length greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && size > rules.max) {
      this.add(value, path, `Member must have length less than or equal to ${rules.max}`);
    }
  }

  private missing(path: string, required: boolean | undefined): undefined {
    if (required) this.add(null, path, "Member must not be null");
    return undefined;
  }
}

/** How AWS prints a value: quoted, Java `toString` style for lists and maps, bare `null`. */
function render(value: unknown): string {
  if (value === null || value === undefined) return "null";
  return `'${javaString(value)}'`;
}

function javaString(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(javaString).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${javaString(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

function typeMismatch(path: string, value: unknown, expected: string): ApiError {
  const got = Array.isArray(value) ? "array" : typeof value;
  return new ApiError(
    400,
    "SerializationException",
    `Expected ${expected} for '${path}' but got a JSON ${got}`,
  );
}

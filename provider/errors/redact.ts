/**
 * Keeps secrets out of errors. `@alicloud/openapi-core` appends the whole request URL to any
 * failure below HTTP, and an RPC URL carries every parameter of the call (DAS's
 * `DbUserPassword` among them); a TLS error from a proxy or a parse error quoting a body can
 * carry a session token. Whatever the error's code, what we surface is scrubbed: query strings
 * go, and so does the value of any parameter or JSON field whose name says it is a secret.
 */

/** `?` followed by something that has a `key=value` in it: a query string, with or without its URL. */
const QUERY = /\?[^\s#"'<>]*=[^\s"'<>]*/g;
/** A name that says the value is secret (`DbUserPassword`, `TokenValue`, `X-Amz-Security-Token`). */
const SECRET_NAME = String.raw`[\w.-]*(?:password|passwd|token|secret|signature|credential)[\w.-]*`;
/** `name=value` outside a URL (a form body, a header dump, a log line). */
const SECRET_PARAM = new RegExp(String.raw`\b(${SECRET_NAME}=)[^\s&"'<>;,]*`, "gi");
/** `"name": "value"` in quoted JSON; the value may be cut short (V8 quotes a body's first bytes). */
const SECRET_JSON_FIELD = new RegExp(String.raw`("${SECRET_NAME}"\s*:\s*")[^"]*`, "gi");

/** What a removed value reads as. */
export const REDACTED = "<redacted>";

/** The text without query strings and without the values of secret-named parameters. */
export function redactSecrets(text: string): string {
  return text
    .replace(QUERY, "")
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(SECRET_JSON_FIELD, `$1${REDACTED}`);
}

/** How deep a cause's fields are copied (SDK errors nest `data`, `$metadata`: two levels). */
const MAX_DEPTH = 6;

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (value === null || typeof value !== "object") return typeof value === "function" ? undefined : value;
  if (value instanceof Error) return redactErrorAt(value, depth, seen);
  if (seen.has(value) || depth >= MAX_DEPTH) return undefined;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
  const proto = Object.getPrototypeOf(value) as unknown;
  // Only data: a response object, a socket or a stream is not copied at all.
  if (proto !== Object.prototype && proto !== null) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, redactValue(v, depth + 1, seen)]));
}

function redactErrorAt(err: Error, depth: number, seen: WeakSet<object>): Error | undefined {
  if (seen.has(err) || depth >= MAX_DEPTH) return undefined;
  seen.add(err);
  const copy = new Error(redactSecrets(err.message));
  copy.name = err.name;
  copy.stack = err.stack === undefined ? undefined : redactSecrets(err.stack);
  for (const [key, value] of Object.entries(err)) {
    const clean = redactValue(value, depth + 1, seen);
    if (clean !== undefined) (copy as unknown as Record<string, unknown>)[key] = clean;
  }
  if (err.cause !== undefined) copy.cause = redactValue(err.cause, depth + 1, seen);
  return copy;
}

/**
 * A scrubbed copy of what an SDK threw, to keep as a `cause`: message, stack, cause chain and
 * every own field (`code`, `data`, `$metadata`, ...), with every string passed through
 * {@link redactSecrets}. Objects that are not plain data (the SDK's response, sockets) are
 * left out. The original is not kept, so nothing reachable from our error holds the secret.
 */
export function redactedCause(cause: unknown): unknown {
  return redactValue(cause, 0, new WeakSet());
}

/**
 * Looks for secrets stored in plaintext in what Pulumi writes: `pulumi stack export` and the
 * backend's raw checkpoint file. Three checks, because each misses what another catches:
 * - known values (the access key secret, every WebSocket URL and token the cloud issued), in the
 *   spellings a JSON writer may use;
 * - anything shaped like a session stream URL (`ws://`, `wss://`), whoever issued it;
 * - fields named like secrets (`securityToken`, `password`, ...) whose value is not a Pulumi
 *   secret (`{"4dabf18193072939515e22adb298388d": ..., "ciphertext": ...}`).
 */

/** Pulumi's marker key of a secret value in state. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Field names whose values must only ever be stored as secrets. */
export const SENSITIVE_FIELDS: readonly string[] = [
  "webSocketUrl",
  "securityToken",
  "streamUrl",
  "tokenValue",
  "password",
  "secretKey",
  "accessKeySecret",
  "sessionToken",
];

/** One plaintext secret found. */
export interface SecretFinding {
  /** Which document (e.g. `stack export`). */
  document: string;
  /** What was found, with the value masked. */
  what: string;
}

/** Shows only the start of a value, so a failing test does not print the secret either. */
export function mask(value: string): string {
  return `${value.slice(0, 6)}... (${value.length} chars)`;
}

/** The ways a JSON writer may spell `value` inside a string (Go escapes & < > as \u00XX). */
function spellings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const go = json.replace(/&/g, "\\u0026").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  return [...new Set([value, json, go])];
}

function isSecretValue(value: unknown): boolean {
  return value !== null && typeof value === "object" && SECRET_SIG in (value as Record<string, unknown>);
}

/** Sensitive fields holding something other than a secret, with their JSON paths. */
function plaintextFields(node: unknown, at: string, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => plaintextFields(item, `${at}[${i}]`, out));
    return;
  }
  if (node === null || typeof node !== "object" || isSecretValue(node)) return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    const here = `${at}.${key}`;
    const empty = value === undefined || value === null || value === "";
    if (SENSITIVE_FIELDS.includes(key) && !empty && !isSecretValue(value)) out.push(here);
    else plaintextFields(value, here, out);
  }
}

/**
 * Every plaintext secret in `documents` (name -> text). `known` are values that must never
 * appear; values shorter than 8 characters are ignored (they would match by accident).
 */
export function scanForSecrets(documents: Record<string, string>, known: readonly string[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const values = [...new Set(known)].filter((v) => v.length >= 8);
  for (const [document, text] of Object.entries(documents)) {
    for (const value of values) {
      if (spellings(value).some((s) => text.includes(s)))
        findings.push({ document, what: `known secret ${mask(value)}` });
    }
    for (const match of text.matchAll(/wss?:\/\/[^\s"'\\]+/g)) {
      findings.push({ document, what: `stream URL ${mask(match[0])}` });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      findings.push({ document, what: "not JSON: fields could not be checked" });
      continue;
    }
    const fields: string[] = [];
    plaintextFields(parsed, "$", fields);
    for (const field of fields) findings.push({ document, what: `plaintext field ${field}` });
  }
  return findings;
}

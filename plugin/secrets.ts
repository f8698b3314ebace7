/**
 * Secret values on the plugin's wire. The provider server tells the engine it accepts secrets,
 * so property values arrive as the engine's secret envelope (a special-signature object), and
 * the plugin returns envelopes for what must stay secret in state. The lifecycle code only ever
 * sees plain values.
 */

/** The engine's special-signature key and its value for secrets. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A secret envelope. */
export interface SecretEnvelope {
  [SIG_KEY]: typeof SECRET_SIG;
  value: unknown;
}

export function isSecret(value: unknown): value is SecretEnvelope {
  return (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** Wraps a value as a secret (once; null and undefined stay as they are). */
export function secret(value: unknown): unknown {
  return value === undefined || value === null || isSecret(value) ? value : { [SIG_KEY]: SECRET_SIG, value };
}

/** A value with every secret envelope removed, at any depth. */
export function reveal(value: unknown): unknown {
  if (isSecret(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}

/** The top-level keys of `props` whose value is or holds a secret. */
export function secretKeys(props: Readonly<Record<string, unknown>>): Set<string> {
  const holds = (v: unknown): boolean =>
    isSecret(v) ||
    (Array.isArray(v) ? v.some(holds) : typeof v === "object" && v !== null && Object.values(v).some(holds));
  return new Set(Object.keys(props).filter((k) => holds(props[k])));
}

/** `props` with the values under `keys` wrapped as secrets. */
export function sealKeys(props: Record<string, unknown>, keys: Iterable<string>): Record<string, unknown> {
  const out = { ...props };
  for (const key of keys) if (key in out) out[key] = secret(out[key]);
  return out;
}

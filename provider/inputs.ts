/**
 * Input bookkeeping shared by the resources: which properties of a bag are user inputs, which of
 * them changed, and the internal `__urn` input the resource classes pass to `check`.
 *
 * `diff` gets the old *outputs* (inputs plus computed values) and the new checked inputs, so
 * both sides are narrowed to the input keys first; an unknown new value (preview) counts as a
 * change, because it may turn out different.
 */
import { PROVIDER_PROPERTY, URN_PROPERTY } from "../sdk/contract/resources";
import { containsUnknown, dropNulls } from "./validation";

export { PROVIDER_PROPERTY, URN_PROPERTY };

/**
 * What `check` gets, apart: the user inputs (without nulls; the strict schemas then report
 * unknown keys) and the URN a resource class passes in `__urn`, when it does.
 */
export function checkInputs(news: Record<string, unknown>): {
  urn?: string;
  inputs: Record<string, unknown>;
} {
  const { [URN_PROPERTY]: urn, [PROVIDER_PROPERTY]: _provider, ...rest } = news;
  return { urn: typeof urn === "string" ? urn : undefined, inputs: dropNulls(rest) };
}

/** JSON with sorted keys: equal inputs give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The user inputs among `props`: only `keys`, without nulls (the engine's "unset"). */
export function pickInputs(keys: readonly string[], props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (props[key] !== undefined && props[key] !== null) out[key] = props[key];
  return dropNulls(out);
}

/** The input keys whose value differs between `olds` and `news` (order-sensitive for lists). */
export function changedInputKeys(
  keys: readonly string[],
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): string[] {
  return differingKeys(keys, pickInputs(keys, olds), pickInputs(keys, news));
}

/** The keys whose value differs between two input bags already narrowed to inputs. */
export function differingKeys(
  keys: readonly string[],
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): string[] {
  return keys.filter((k) => containsUnknown(news[k]) || canonicalJson(olds[k]) !== canonicalJson(news[k]));
}

/**
 * Input bookkeeping for resources whose every input change replaces them (SsmSession and the
 * revocations): which properties of a bag are user inputs, and which of them changed.
 *
 * `diff` gets the old *outputs* (inputs plus computed values) and the new checked inputs, so
 * both sides are narrowed to the input keys first; an unknown new value (preview) counts as a
 * change, because it may turn out different.
 */
import { canonicalJson } from "./resources/terminalSession";
import { containsUnknown, dropNulls } from "./validation";

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
  const o = pickInputs(keys, olds);
  const n = pickInputs(keys, news);
  return keys.filter((k) => containsUnknown(n[k]) || canonicalJson(o[k]) !== canonicalJson(n[k]));
}

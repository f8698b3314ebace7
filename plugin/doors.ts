/**
 * The resources the plugin serves: one door per catalog entry, running the lifecycle the dynamic
 * resource of the same type runs (one implementation, two doors), with what its row says: whether
 * `check` takes the URN (as `__urn`) and what schema.json marks secret.
 */
import { catalog } from "../provider/catalog";
import type { Lifecycle } from "../provider/lifecycle";

/** One resource type behind the plugin. */
export interface Door {
  /** The schema token, `sessions:<module>:<Type>`. */
  token: string;
  /** The lifecycle code. */
  lifecycle: Lifecycle;
  /** `check` derives a default from the URN, passed as `__urn`. */
  passUrn: boolean;
  /** Properties schema.json marks secret (inputs and outputs). */
  secretProperties: readonly string[];
}

/** One door per catalog entry, by token. */
export function buildDoors(): Map<string, Door> {
  return new Map(
    catalog.map(({ row, lifecycle }) => [
      row.token,
      {
        token: row.token,
        lifecycle: lifecycle(),
        passUrn: row.takesUrn,
        secretProperties: [...row.secretInputs, ...row.secretOutputs],
      },
    ]),
  );
}

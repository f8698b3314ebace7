/**
 * The resources the plugin serves: one door per catalog entry, running the lifecycle the dynamic
 * resource of the same type runs (one implementation, two doors), with what its row says: whether
 * `check` takes the URN (as `__urn`) and what schema.json marks secret.
 */
import { catalog } from "../provider/catalog";
import type { Lifecycle } from "../provider/lifecycle";
import { RESOURCES } from "../sdk/contract/resources";

/**
 * Types whose output streams are secret when any input is: their lifecycle is told so with
 * SECRET_STREAMS_PROPERTY, which the TypeScript classes set from the program's view.
 */
const SECRET_STREAM_TYPES: ReadonlySet<string> = new Set([
  RESOURCES.alicloudCommand.token,
  RESOURCES.awsCommand.token,
]);

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
  /** The lifecycle takes SECRET_STREAMS_PROPERTY: whether any input arrived secret. */
  secretStreams: boolean;
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
        secretStreams: SECRET_STREAM_TYPES.has(row.token),
      },
    ]),
  );
}

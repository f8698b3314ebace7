/**
 * The resources the plugin serves: one door per catalog entry, running the lifecycle the dynamic
 * resource of the same type runs (one implementation, two doors), with what its row says: whether
 * `check` takes the URN (as `__urn`) and what schema.json marks secret. A door's lifecycle is
 * made on first use (see the catalog): a process pays only for the resources it serves.
 */
import { catalog, type LifecycleDeps } from "../provider/catalog";
import type { ProviderSettings } from "../provider/config";
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
  readonly lifecycle: Lifecycle;
  /** `check` derives a default from the URN, passed as `__urn`. */
  passUrn: boolean;
  /** Properties schema.json marks secret (inputs and outputs). */
  secretProperties: readonly string[];
  /** The lifecycle takes SECRET_STREAMS_PROPERTY: whether any input arrived secret. */
  secretStreams: boolean;
}

/** The doors by token, and the settings every lifecycle runs with, made already or not. */
export interface Doors {
  get(token: string): Door | undefined;
  /** Hands the settings to the lifecycles made so far, and to each one made later. */
  configure(settings: ProviderSettings): void;
}

/** One door per catalog entry, its lifecycle made with `deps`, and `extra` (ready-made ones), by token. */
export function buildDoors(extra: readonly Door[] = [], deps: LifecycleDeps = {}): Doors {
  let settings: ProviderSettings | undefined;
  const made: Lifecycle[] = [];
  const doors = new Map<string, Door>();
  for (const { row, lifecycle } of catalog) {
    let own: Lifecycle | undefined;
    doors.set(row.token, {
      token: row.token,
      get lifecycle() {
        if (!own) {
          own = lifecycle(deps);
          if (settings) own.configure(settings);
          made.push(own);
        }
        return own;
      },
      passUrn: row.takesUrn,
      secretProperties: [...row.secretInputs, ...row.secretOutputs],
      secretStreams: SECRET_STREAM_TYPES.has(row.token),
    });
  }
  for (const door of extra) {
    doors.set(door.token, door);
    made.push(door.lifecycle);
  }
  return {
    get: (token) => doors.get(token),
    configure(next) {
      settings = next;
      for (const lifecycle of made) lifecycle.configure(next);
    },
  };
}

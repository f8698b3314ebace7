/**
 * The inventory changes made through the admin API (`POST /_admin/inventory`), kept as their net
 * effect per item (the last upsert of an id, or its removal). With a state dir they are saved and,
 * at the next start, applied again over the config file's inventory: the file's other items still
 * follow edits of the file. The saved form is itself one inventory change.
 */
import type { LocalCloudConfig } from "../config";
import { applyInventoryChange, type AppliedInventoryChange } from "../admin/inventory";
import type { PersistentPart } from "./store";

/** Per item id: the item as last upserted, or null once removed. */
type Net<T> = Map<string, T | null>;

type Change = AppliedInventoryChange;
type Credential = NonNullable<Change["credentials"]>[number];
type EcsInstance = NonNullable<NonNullable<Change["ecs"]>["instances"]>[number];
type SsmTarget = NonNullable<NonNullable<Change["ssm"]>["targets"]>[number];
type DasInstance = NonNullable<NonNullable<Change["das"]>["instances"]>[number];

function note<T>(net: Net<T>, items: readonly T[] | undefined, key: (t: T) => string, removed?: string[]) {
  for (const item of items ?? []) net.set(key(item), item);
  for (const id of removed ?? []) net.set(id, null);
}

const upserts = <T>(net: Net<T>): T[] => [...net.values()].filter((v): v is T => v !== null);
const removals = <T>(net: Net<T>): string[] => [...net].filter(([, v]) => v === null).map(([id]) => id);

export class InventoryJournal implements PersistentPart {
  private readonly credentials: Net<Credential> = new Map();
  private readonly ecsInstances: Net<EcsInstance> = new Map();
  private readonly ssmTargets: Net<SsmTarget> = new Map();
  private readonly dasInstances: Net<DasInstance> = new Map();
  private dispatchDelayMs: number | undefined;

  constructor(private readonly config: LocalCloudConfig) {}

  /** Notes a change the admin API applied (upserts before removals, as it applies them). */
  record(change: Change): void {
    note(this.credentials, change.credentials, (c) => c.accessKeyId, change.remove?.credentials);
    note(this.ecsInstances, change.ecs?.instances, (i) => i.instanceId, change.remove?.ecsInstances);
    note(this.ssmTargets, change.ssm?.targets, (t) => t.target, change.remove?.ssmTargets);
    note(this.dasInstances, change.das?.instances, (i) => i.instanceId, change.remove?.dasInstances);
    this.dispatchDelayMs = change.ecs?.dispatchDelayMs ?? this.dispatchDelayMs;
  }

  save(): Change {
    return {
      credentials: upserts(this.credentials),
      ecs: { instances: upserts(this.ecsInstances), dispatchDelayMs: this.dispatchDelayMs },
      ssm: { targets: upserts(this.ssmTargets) },
      das: { instances: upserts(this.dasInstances) },
      remove: {
        credentials: removals(this.credentials),
        ecsInstances: removals(this.ecsInstances),
        ssmTargets: removals(this.ssmTargets),
        dasInstances: removals(this.dasInstances),
      },
    };
  }

  /** Applies the saved net change over the config file's inventory, and keeps it for the next save. */
  restore(saved: unknown): void {
    this.record(applyInventoryChange(this.config, saved));
  }
}

/**
 * `GET/POST /_admin/inventory`: what exists in the local cloud, changed at run time. Backends read
 * the config arrays live, so mutating them in place is all it takes. Items are upserted by id
 * (instanceId, target, accessKeyId), which is also how a test stops an instance or takes its agent
 * offline: post the same id with new fields.
 */
import { z } from "zod";
import {
  credentialSchema,
  dasInstanceSchema,
  ecsDispatchDelaySchema,
  ecsInstanceSchema,
  ssmTargetSchema,
  type LocalCloudConfig,
} from "../config";

export const inventoryChangeSchema = z
  .object({
    credentials: z.array(credentialSchema).optional(),
    ecs: z
      .object({
        instances: z.array(ecsInstanceSchema).optional(),
        /** See the config's `ecs.dispatchDelayMs`. */
        dispatchDelayMs: ecsDispatchDelaySchema.optional(),
      })
      .strict()
      .optional(),
    ssm: z
      .object({ targets: z.array(ssmTargetSchema).optional() })
      .strict()
      .optional(),
    das: z
      .object({ instances: z.array(dasInstanceSchema).optional() })
      .strict()
      .optional(),
    /** Ids to delete. */
    remove: z
      .object({
        credentials: z.array(z.string()).optional(),
        ecsInstances: z.array(z.string()).optional(),
        ssmTargets: z.array(z.string()).optional(),
        dasInstances: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type InventoryChange = z.input<typeof inventoryChangeSchema>;
/** A change as applied: validated, defaults filled in. */
export type AppliedInventoryChange = z.output<typeof inventoryChangeSchema>;

function upsert<T>(list: T[], items: T[] | undefined, key: (t: T) => string): void {
  for (const item of items ?? []) {
    const i = list.findIndex((x) => key(x) === key(item));
    if (i >= 0) list[i] = item;
    else list.push(item);
  }
}

function remove<T>(list: T[], ids: string[] | undefined, key: (t: T) => string): void {
  for (const id of ids ?? []) {
    const i = list.findIndex((x) => key(x) === id);
    if (i >= 0) list.splice(i, 1);
  }
}

/** Applies a change (upserts, then removals) to the live config; returns it as applied. */
export function applyInventoryChange(config: LocalCloudConfig, input: unknown): AppliedInventoryChange {
  const change = inventoryChangeSchema.parse(input);
  upsert(config.credentials, change.credentials, (c) => c.accessKeyId);
  upsert(config.ecs.instances, change.ecs?.instances, (i) => i.instanceId);
  if (change.ecs?.dispatchDelayMs !== undefined) config.ecs.dispatchDelayMs = change.ecs.dispatchDelayMs;
  upsert(config.ssm.targets, change.ssm?.targets, (t) => t.target);
  upsert(config.das.instances, change.das?.instances, (i) => i.instanceId);
  remove(config.credentials, change.remove?.credentials, (c) => c.accessKeyId);
  remove(config.ecs.instances, change.remove?.ecsInstances, (i) => i.instanceId);
  remove(config.ssm.targets, change.remove?.ssmTargets, (t) => t.target);
  remove(config.das.instances, change.remove?.dasInstances, (i) => i.instanceId);
  return change;
}

/** The inventory as JSON, secrets masked. */
export function inventoryView(config: LocalCloudConfig) {
  return {
    credentials: config.credentials.map((c) => ({
      accessKeyId: c.accessKeyId,
      accessKeySecret: "***",
      ...(c.securityToken !== undefined ? { securityToken: "***" } : {}),
      ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}),
      ...(c.accountId !== undefined ? { accountId: c.accountId } : {}),
      ...(c.deny !== undefined ? { deny: c.deny } : {}),
    })),
    ecs: config.ecs,
    ssm: config.ssm,
    das: config.das,
  };
}

/**
 * A resource's lifecycle as plain functions, and the dynamic provider made of one. Every door
 * calls the same lifecycle: the dynamic provider (the `__provider` module of each resource in
 * state), the plugin, and the tunnel (which starts and ends its sessions through the session
 * resources' lifecycles). Only the dynamic provider gets its settings as the engine's
 * `ConfigureRequest`; the others resolve them once and hand them over.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  resolveProviderSettings,
  type ConfigSource,
  type Environment,
  type ProviderSettings,
} from "./config";

type Bag = Record<string, unknown>;

/** The calls of one resource type, with settings already resolved. */
export interface Lifecycle {
  /** Takes the settings every later call uses (else the environment's, on first use). */
  configure(settings: ProviderSettings): void;
  check(olds: Bag, news: Bag): Promise<dynamic.CheckResult<Bag>>;
  diff(id: string, olds: Bag, news: Bag): Promise<dynamic.DiffResult>;
  create(inputs: Bag): Promise<dynamic.CreateResult<Bag>>;
  read(id: string, props?: Bag): Promise<dynamic.ReadResult<Bag>>;
  update(id: string, olds: Bag, news: Bag): Promise<dynamic.UpdateResult<Bag>>;
  delete(id: string, props: Bag): Promise<void>;
}

/** What the engine's dynamic provider host loads from `__provider`. */
export type DynamicProvider = dynamic.ResourceProvider<Bag, Bag>;

/** The dynamic provider of a lifecycle: `configure` resolves the stack config it is handed. */
export function dynamicProvider(lifecycle: Lifecycle, env: Environment = process.env): DynamicProvider {
  return {
    ...lifecycle,
    async configure(req: dynamic.ConfigureRequest) {
      lifecycle.configure(resolveProviderSettings(req.config as ConfigSource, env));
    },
  };
}

/**
 * `load()` on first call, its value after. Lifecycles load their zod schemas so: delete and read
 * (destroy, refresh) never need them, and a provider process that only runs those never loads zod.
 */
export function onFirstUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}

/**
 * The resources the plugin serves: each schema token with the lifecycle the dynamic resource of
 * the same name runs (one implementation, two doors), whether `check` needs the URN (the
 * dynamic classes pass it as `__urn`), and what schema.json marks secret.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { catalog } from "../provider/catalog";
import { createKillInstanceSessionTaskProvider } from "../provider/resources/killInstanceSessionTask";
import { createSsmSessionProvider } from "../provider/resources/ssmSession";
import { createRevocationProvider } from "../provider/revocation";
import { ssmSessionRevocationCloud } from "../provider/resources/ssmSessionRevocation";
import { createTerminalSessionProvider } from "../provider/resources/terminalSession";
import { terminalSessionRevocationCloud } from "../provider/resources/terminalSessionRevocation";

/** A dynamic provider's lifecycle, as `provider/resources/` builds it. */
export type Lifecycle = dynamic.ResourceProvider<Record<string, unknown>, Record<string, unknown>>;

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

/** Builds each type's lifecycle (tests inject clients through the factories' deps). */
export interface LifecycleFactories {
  "sessions:alicloud:TerminalSession": () => Lifecycle;
  "sessions:alicloud:KillInstanceSessionTask": () => Lifecycle;
  "sessions:alicloud:TerminalSessionRevocation": () => Lifecycle;
  "sessions:aws:SsmSession": () => Lifecycle;
  "sessions:aws:SsmSessionRevocation": () => Lifecycle;
}

export const DEFAULT_LIFECYCLES: LifecycleFactories = {
  "sessions:alicloud:TerminalSession": () => createTerminalSessionProvider(),
  "sessions:alicloud:KillInstanceSessionTask": () => createKillInstanceSessionTaskProvider(),
  "sessions:alicloud:TerminalSessionRevocation": () =>
    createRevocationProvider(terminalSessionRevocationCloud),
  "sessions:aws:SsmSession": () => createSsmSessionProvider(),
  "sessions:aws:SsmSessionRevocation": () => createRevocationProvider(ssmSessionRevocationCloud),
};

/** The types whose dynamic classes pass `__urn` (see `sdk/`). */
const PASS_URN = new Set([
  "sessions:alicloud:TerminalSession",
  "sessions:alicloud:TerminalSessionRevocation",
  "sessions:aws:SsmSessionRevocation",
]);

/** One door per catalog entry; throws when the catalog has a type no factory serves. */
export function buildDoors(factories: LifecycleFactories = DEFAULT_LIFECYCLES): Map<string, Door> {
  const doors = new Map<string, Door>();
  for (const entry of catalog) {
    const factory = (factories as unknown as Record<string, (() => Lifecycle) | undefined>)[entry.token];
    if (!factory) throw new Error(`the plugin has no lifecycle for ${entry.token}`);
    doors.set(entry.token, {
      token: entry.token,
      lifecycle: factory(),
      passUrn: PASS_URN.has(entry.token),
      secretProperties: [...entry.secretInputs, ...entry.secretOutputs],
    });
  }
  return doors;
}

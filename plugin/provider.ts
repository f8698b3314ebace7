/**
 * The adapter between the engine's provider protocol (`@pulumi/pulumi/provider`) and the
 * lifecycle code the dynamic resources run. It only translates: type token -> lifecycle, the
 * URN argument -> `__urn`, secret envelopes in -> plain values (and, for a Command, whether any
 * input was secret), schema secrets out -> envelopes, `sessions:*` config -> the dynamic
 * providers' config keys. Validation, retries, batching and partial-create handling are the
 * lifecycle's own.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type * as pulumiProvider from "@pulumi/pulumi/provider";
import {
  configFailures,
  dynamicConfigSource,
  pluginKeyFor,
  resolveProviderSettings,
  SECRET_CONFIG_NAMES,
  type Environment,
} from "../provider/config";
import { ResourceInitError } from "../provider/errors/base";
import { abortRuns } from "../provider/resources/command/interrupts";
import { tunnelEndpointLifecycle } from "../provider/tunnel/endpoint";
import { checkTunnelConfig, TUNNEL_CONFIG_KEYS } from "../provider/tunnel/inputs";
import { CONFIG_VARIABLES } from "../sdk/contract/config";
import { PROVIDER_PROPERTY, SECRET_STREAMS_PROPERTY, URN_PROPERTY } from "../sdk/contract/resources";
import { TUNNEL_ENDPOINT_TYPE } from "../sdk/contract/tunnel";
import { buildDoors, type Door } from "./doors";
import { engineLog, type EngineLog } from "./engineLog";
import { reveal, sealKeys, secretKeys } from "./secrets";
import { TunnelHost } from "./tunnels";

/** A failure of the provider configuration, named by its `sessions:` key. */
export interface ConfigFailure {
  property: string;
  reason: string;
}

/** The plugin: the resource provider plus the configuration calls the server routes to it. */
export interface SessionsPlugin {
  /** What `provider.main` serves. */
  provider: pulumiProvider.Provider;
  /** CheckConfig: validates the `sessions:*` values (and a tunnel) and marks the secret ones. */
  checkConfig(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ inputs: Record<string, unknown>; failures: ConfigFailure[] }>;
  /** Configure: hands the values to every lifecycle, and opens the tunnel they hold, if any. */
  configure(values: Record<string, unknown>, urn?: string): Promise<void>;
}

export interface SessionsPluginOptions {
  /** schema.json's text, served as is. */
  schema: string;
  /** The plugin's version (the package's). */
  version: string;
  /** The environment the settings fall back to (default `process.env`). */
  env?: Environment;
  /** Where tunnels are held (default: one for this process). */
  tunnels?: TunnelHost;
  /** Where a step's lines for the user go (a Command's live output; default: the engine's log). */
  log?: EngineLog;
}

/** Keys the engine itself may add to a provider's inputs. */
const ENGINE_KEYS = new Set(["version", "pluginDownloadURL"]);
const KNOWN_CONFIG = new Set(CONFIG_VARIABLES.map((v) => v.name));
const KNOWN_INPUTS = new Set([...KNOWN_CONFIG, ...TUNNEL_CONFIG_KEYS]);
/** The dynamic providers' key names, longest first, to rename them in messages. */
const DYNAMIC_KEYS = CONFIG_VARIABLES.map((v) => v.dynamicKey)
  .filter((k) => pluginKeyFor(k) !== k)
  .sort((a, b) => b.length - a.length);

/** A message about the dynamic providers' config keys, in the plugin's key names. */
export function inPluginTerms(message: string): string {
  let out = message;
  for (const key of DYNAMIC_KEYS) out = out.split(key).join(pluginKeyFor(key));
  return out;
}

/** `props` without the dynamic providers' internal properties. */
function external(props: Record<string, unknown> | undefined): Record<string, unknown> {
  const {
    [URN_PROPERTY]: _urn,
    [PROVIDER_PROPERTY]: _provider,
    [SECRET_STREAMS_PROPERTY]: _secretStreams,
    ...rest
  } = props ?? {};
  return rest;
}

/** The type token of a URN (`urn:pulumi:stack::project::[parent$]type::name`). */
export function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.slice(qualified.lastIndexOf("$") + 1);
}

/** Creates the plugin (see the module comment). */
export function createSessionsPlugin(options: SessionsPluginOptions): SessionsPlugin {
  const env = options.env ?? process.env;
  const tunnels = options.tunnels ?? new TunnelHost();
  // The resource a step runs for: the lines its lifecycle logs meanwhile are shown under it (the
  // engine shows a plugin's stderr only in its verbose log).
  const running = new AsyncLocalStorage<string>();
  const toEngine = options.log ?? engineLog;
  const log = (line: string) => toEngine(line.replace(/\n$/, ""), "info", running.getStore());
  const doors = buildDoors(
    [
      {
        token: TUNNEL_ENDPOINT_TYPE,
        lifecycle: tunnelEndpointLifecycle(() => tunnels.endpoint()),
        passUrn: false,
        secretProperties: [],
        secretStreams: false,
      },
    ],
    { log },
  );

  function door(urn: string): Door {
    const type = typeOfUrn(urn);
    const found = doors.get(type);
    if (!found) throw new Error(`the sessions provider does not serve ${type} (${urn})`);
    return found;
  }

  /** What stays secret: what the schema says, and whatever the engine sent as secret. */
  const keep = (d: Door, ...bags: Array<Record<string, unknown> | undefined>): Set<string> =>
    new Set([...d.secretProperties, ...bags.flatMap((b) => [...secretKeys(b ?? {})])]);

  const seal = (props: Record<string, unknown> | undefined, secrets: Set<string>) =>
    sealKeys(external(props), secrets);

  const plain = (props: unknown): Record<string, unknown> => (reveal(props) ?? {}) as Record<string, unknown>;

  /**
   * The plain values a step of `d` runs with. A Command also learns whether any of them arrived
   * secret (the schema's secret inputs arrive sealed by check), to return its output streams
   * as secrets: a script may print what it was given.
   */
  const values = (d: Door, props: Record<string, unknown> | undefined): Record<string, unknown> => {
    const out = plain(props);
    if (d.secretStreams && secretKeys(props ?? {}).size > 0) out[SECRET_STREAMS_PROPERTY] = true;
    return out;
  };

  const provider: pulumiProvider.Provider = {
    version: options.version,
    schema: options.schema,

    // The engine's graceful cancellation (a first Ctrl-C): running scripts stop and end their sessions.
    async cancel() {
      abortRuns("the deployment was cancelled");
    },

    async check(urn, olds, news) {
      const d = door(urn);
      const inputs = plain(news);
      if (d.passUrn) inputs[URN_PROPERTY] = urn;
      const result = await d.lifecycle.check(plain(olds), inputs);
      return {
        inputs: seal(result.inputs, keep(d, news)),
        failures: (result.failures ?? []).map((f) => ({
          property: f.property,
          reason: inPluginTerms(f.reason),
        })),
      };
    },

    async diff(id, urn, olds, news) {
      const d = door(urn);
      const result = await d.lifecycle.diff(id, values(d, olds), values(d, news));
      return {
        changes: result.changes,
        replaces: result.replaces,
        deleteBeforeReplace: result.deleteBeforeReplace,
      };
    },

    async create(urn, inputs) {
      const d = door(urn);
      const secrets = keep(d, inputs);
      try {
        const result = await running.run(urn, () => d.lifecycle.create(values(d, inputs)));
        return { id: result.id, outs: seal(result.outs, secrets) };
      } catch (err) {
        // A session that exists is recorded (partially created), with its secrets sealed too.
        const init = err as Partial<ResourceInitError>;
        if (typeof init.id === "string" && init.id && init.properties) {
          throw new ResourceInitError(
            inPluginTerms((err as Error).message),
            init.id,
            seal(init.properties, secrets),
            err,
          );
        }
        throw err;
      }
    },

    async read(id, urn, props) {
      const d = door(urn);
      const secrets = keep(d, props);
      const result: dynamic.ReadResult = await d.lifecycle.read(id, values(d, props));
      // No id: gone (ended outside Pulumi), and the engine drops it from state.
      if (!result.id) return { id: "", props: {} };
      return {
        id: result.id,
        props: seal(result.props, secrets),
        inputs: result.inputs === undefined ? undefined : seal(result.inputs, secrets),
      };
    },

    async update(id, urn, olds, news) {
      const d = door(urn);
      const result = await running.run(urn, () => d.lifecycle.update(id, values(d, olds), values(d, news)));
      return { outs: seal(result.outs, keep(d, olds, news)) };
    },

    async delete(id, urn, props) {
      await running.run(urn, () => door(urn).lifecycle.delete(id, plain(props)));
    },
  };

  return {
    provider,

    async checkConfig(olds, news) {
      const values = plain(news);
      const failures: ConfigFailure[] = Object.keys(values)
        .filter((k) => !KNOWN_INPUTS.has(k) && !ENGINE_KEYS.has(k) && !k.startsWith("__"))
        .map((k) => ({
          property: k,
          reason: `sessions:${k} is not a configuration key of this provider; known keys: ${[...KNOWN_CONFIG].join(", ")}.`,
        }));
      for (const { key, reason } of configFailures(dynamicConfigSource(values), env)) {
        failures.push({
          property: pluginKeyFor(key).replace(/^sessions:/, ""),
          reason: inPluginTerms(reason),
        });
      }
      const tunnel = await checkTunnelConfig(plain(olds), news);
      failures.push(...tunnel.failures);
      // Secret in state whatever the user typed (`pulumi config set` without --secret).
      return { inputs: sealKeys(tunnel.inputs, SECRET_CONFIG_NAMES), failures };
    },

    async configure(values, urn) {
      try {
        const settings = resolveProviderSettings(dynamicConfigSource(plain(values)), env);
        doors.configure(settings);
        await tunnels.configure(
          plain(values),
          settings,
          urn ?? "urn:pulumi:unknown::unknown::pulumi:providers:sessions::default",
        );
      } catch (err) {
        if (err instanceof Error) err.message = inPluginTerms(err.message);
        throw err;
      }
    },
  };
}

/**
 * The base of `aws.Tunnel` and `alicloud.Tunnel`: an explicit provider of the `sessions` plugin
 * whose input holds the tunnel. A provider, not a resource, because the engine starts the
 * providers in state before the first read of `refresh` and the first delete of `destroy`, and
 * keeps them until the command ends: the tunnel is open for every downstream call of every
 * command, including the deletes `up` runs after the program has finished (docs/tunnels.md).
 *
 * The provider gets the same stack config the resources read (`alicloud:*`, `aws:*`,
 * `sessions:*`), as its inputs: credentials stay secrets in state.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { CONFIG_VARIABLES } from "../contract/config";
import { TUNNEL_DRY_RUN_INPUT, TUNNEL_ENDPOINT_TYPE, type TUNNEL_INPUTS } from "../contract/tunnel";
import { assertCredentialsAreSecret } from "./credentialConfig";

/** The plugin's executable name. */
const PLUGIN = "pulumi-resource-sessions";

interface ConfigLookup {
  getConfig(key: string): string | undefined;
}

/** The stack config the resources read, as the plugin's inputs (secret ones as secrets). */
export function configInputs(lookup: ConfigLookup = runtimeConfig as unknown as ConfigLookup) {
  const inputs: Record<string, pulumi.Input<string>> = {};
  for (const v of CONFIG_VARIABLES) {
    const value = lookup.getConfig(v.dynamicKey);
    if (value !== undefined) inputs[v.name] = v.secret ? pulumi.secret(value) : value;
  }
  return inputs;
}

/** The project's Pulumi.yaml: in `dir` or above it (a project's `main` may be a subfolder). */
function projectFile(dir: string): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const found = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(at, f)).find((f) => fs.existsSync(f));
    if (found || path.dirname(at) === at) return found;
  }
}

/** True when the engine can find the plugin: on PATH, in the project's `plugins`, or installed. */
export function pluginReachable(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): boolean {
  const onPath = (env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => dir !== "" && fs.existsSync(path.join(dir, PLUGIN)));
  if (onPath) return true;
  const project = projectFile(cwd);
  if (project && /^plugins:[\s\S]*name:\s*["']?sessions["']?\s*$/m.test(fs.readFileSync(project, "utf8")))
    return true;
  const plugins = path.join(env.PULUMI_HOME || path.join(os.homedir(), ".pulumi"), "plugins");
  return fs.existsSync(plugins) && fs.readdirSync(plugins).some((d) => d.startsWith("resource-sessions-v"));
}

/** How to make the plugin reachable, for the error when it is not. */
export const PLUGIN_HINT =
  `a Tunnel runs in the provider plugin ${PLUGIN}, which the engine cannot find: add it to Pulumi.yaml ` +
  `(plugins: { providers: [{ name: sessions, path: node_modules/.bin }] }), or put ` +
  `node_modules/.bin on PATH (see docs/tunnels.md)`;

/** Where a tunnel listens, as a resource its provider serves (no inputs). */
class TunnelEndpoint extends pulumi.CustomResource {
  declare public readonly host: pulumi.Output<string>;
  declare public readonly port: pulumi.Output<number>;
  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super(TUNNEL_ENDPOINT_TYPE, name, { host: undefined, port: undefined }, opts);
  }
}

export type TunnelInput = (typeof TUNNEL_INPUTS)[keyof typeof TUNNEL_INPUTS];

/** A tunnel (see the module comment). */
export abstract class TunnelProvider extends pulumi.ProviderResource {
  /** The address to connect to: always 127.0.0.1 (the tunnel listens on loopback only). */
  public readonly host: pulumi.Output<string>;
  /** The local port: `localPort`, or the free port picked at the first deployment and kept. */
  public readonly port: pulumi.Output<number>;
  /** `host:port`. */
  public readonly endpoint: pulumi.Output<string>;

  protected constructor(
    input: TunnelInput,
    name: string,
    args: pulumi.Inputs & { openOnPreview?: boolean },
    opts: pulumi.ResourceOptions,
  ) {
    assertCredentialsAreSecret();
    if (!pluginReachable()) throw new pulumi.RunError(`Tunnel "${name}": ${PLUGIN_HINT}`);
    // A preview starts no session unless asked to: the mark tells the plugin (and is no change).
    const dryRun = pulumi.runtime.isDryRun() && args.openOnPreview !== true;
    super(
      "sessions",
      name,
      { ...configInputs(), [input]: args, ...(dryRun ? { [TUNNEL_DRY_RUN_INPUT]: true } : {}) },
      opts,
    );
    // Outputs of a resource the tunnel's provider serves: whatever uses them depends on it, so
    // refresh and destroy start the tunnel before touching them (see TUNNEL_ENDPOINT_TYPE).
    const endpoint = new TunnelEndpoint(name, { provider: this, parent: opts.parent });
    this.host = endpoint.host;
    this.port = endpoint.port;
    this.endpoint = pulumi.interpolate`${this.host}:${this.port}`;
  }
}

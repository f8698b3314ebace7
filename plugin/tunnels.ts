/**
 * Tunnels in the plugin: a `sessions` provider whose inputs hold `awsTunnel` or `alicloudTunnel`
 * opens the tunnel when the engine configures it and keeps it open until the engine stops the
 * plugin. The engine configures every provider a command needs before the first step that uses
 * one: during `up` when the program registers it, during `refresh` and `destroy` from state
 * before any read or delete. It stops plugins at the very end (SIGINT, then SIGKILL after 5 s),
 * after `up`'s deletes too; that is when the tunnel's sessions are ended. A session that fails
 * while the tunnel is open is logged to the engine and replaced for new connections.
 */
import { createServer, type AddressInfo } from "node:net";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { z } from "zod";
import type { ConfigSource } from "../provider/config";
import {
  alicloudTunnelSchema,
  awsTunnelSchema,
  TUNNEL_DRY_RUN_INPUT,
  TUNNEL_ENDPOINT_TYPE,
  TUNNEL_HOST,
  TUNNEL_INPUTS,
  type TunnelSpec,
} from "../provider/schemas/tunnel";
import { logLine } from "../provider/tunnel/sessions";
import { openTunnel, type Tunnel } from "../provider/tunnel/tunnel";
import { isKnown, validate, type CheckFailure } from "../provider/validation";

const tunnelInputsSchema = z.object({
  [TUNNEL_INPUTS.aws]: awsTunnelSchema.optional(),
  [TUNNEL_INPUTS.alicloud]: alicloudTunnelSchema.optional(),
});

/** The provider inputs a tunnel adds to the plugin's configuration keys. */
export const TUNNEL_CONFIG_KEYS: readonly string[] = [...Object.values(TUNNEL_INPUTS), TUNNEL_DRY_RUN_INPUT];

/** A free loopback port, for a tunnel that names none. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, TUNNEL_HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type Bag = Record<string, unknown>;
const objectAt = (bag: Bag, key: string): Bag | undefined =>
  bag[key] !== null && typeof bag[key] === "object" ? (bag[key] as Bag) : undefined;

/**
 * CheckConfig for the tunnel inputs: validates them (named `awsTunnel.remotePort: ...`) and fills
 * in `localPort` when unset: the one recorded in state, else a free port. Downstream resources
 * record the port, so refresh and destroy must find the tunnel on it again.
 */
export async function checkTunnelConfig(
  olds: Bag,
  news: Bag,
  pickPort: () => Promise<number> = freePort,
): Promise<{ inputs: Bag; failures: CheckFailure[] }> {
  const picked = {
    [TUNNEL_INPUTS.aws]: news[TUNNEL_INPUTS.aws],
    [TUNNEL_INPUTS.alicloud]: news[TUNNEL_INPUTS.alicloud],
  };
  const { failures } = validate(tunnelInputsSchema, picked);
  const present = Object.values(TUNNEL_INPUTS).filter((k) => news[k] !== undefined && news[k] !== null);
  if (present.length > 1)
    failures.push({
      property: TUNNEL_INPUTS.alicloud,
      reason: `${TUNNEL_INPUTS.aws} and ${TUNNEL_INPUTS.alicloud} cannot both be set: one tunnel per provider`,
    });
  const inputs = { ...news };
  for (const key of present) {
    const tunnel = objectAt(news, key);
    if (!tunnel || isKnown(tunnel.localPort)) continue;
    const previous = objectAt(olds, key)?.localPort;
    inputs[key] = { ...tunnel, localPort: typeof previous === "number" ? previous : await pickPort() };
  }
  return { inputs, failures };
}

/** The tunnel a provider's (plain) configuration values hold, if any. */
export function tunnelSpecOf(values: Bag): TunnelSpec | undefined {
  const aws = objectAt(values, TUNNEL_INPUTS.aws);
  if (aws)
    return {
      cloud: "aws",
      inputs: awsTunnelSchema.parse(aws) as Extract<TunnelSpec, { cloud: "aws" }>["inputs"],
    };
  const ali = objectAt(values, TUNNEL_INPUTS.alicloud);
  if (ali)
    return {
      cloud: "alicloud",
      inputs: alicloudTunnelSchema.parse(ali) as Extract<TunnelSpec, { cloud: "alicloud" }>["inputs"],
    };
  return undefined;
}

/** The tunnel a plugin process holds (one provider, one process), and its ending however the process ends. */
export class TunnelHost {
  private readonly open = new Set<Tunnel>();
  private watching = false;
  /** The configured tunnel's local port (also in a preview that opened nothing). */
  private port?: number;

  constructor(
    private readonly log: (message: string) => void = (m) => process.stderr.write(`tunnel: ${m}\n`),
  ) {}

  /** Opens the tunnel of a provider configuration, unless it is a preview the user did not opt in to. */
  async configure(values: Bag, config: ConfigSource, urn: string): Promise<void> {
    const spec = tunnelSpecOf(values);
    this.port = spec?.inputs.localPort;
    if (!spec || values[TUNNEL_DRY_RUN_INPUT] === true) return;
    this.watch();
    // One line each, without secrets, whatever a failure said: the engine shows them as they are.
    const tunnel = await openTunnel(spec, config, { urn, log: (m) => this.log(logLine(m)) });
    this.open.add(tunnel);
  }

  /** What a TunnelEndpoint reports: where to connect. */
  endpoint(): { host: string; port: number } {
    if (this.port === undefined)
      throw new Error(
        `${TUNNEL_ENDPOINT_TYPE} needs a sessions provider with ${TUNNEL_INPUTS.aws} or ${TUNNEL_INPUTS.alicloud} as its provider`,
      );
    return { host: TUNNEL_HOST, port: this.port };
  }

  /** Ends every tunnel's sessions (bounded, so the engine's 5 s before SIGKILL is enough). */
  async closeAll(): Promise<void> {
    const closing = [...this.open].map((t) =>
      t.close().catch((err: unknown) => this.log((err as Error).message)),
    );
    this.open.clear();
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 4_000).unref())]);
  }

  /** Ends the tunnels on the engine's SIGINT/SIGTERM, and when the engine is gone without a word. */
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    const exit = () => void this.closeAll().finally(() => process.exit(0));
    process.once("SIGINT", exit);
    process.once("SIGTERM", exit);
    // Plugins run in a process group of their own: a killed CLI sends no signal to them.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) exit();
    }, 500).unref();
  }
}

/** The lifecycle of a TunnelEndpoint: no inputs, the tunnel's host and port as outputs, nothing to delete. */
export function tunnelEndpointLifecycle(
  tunnels: TunnelHost,
): dynamic.ResourceProvider<Record<string, unknown>, Record<string, unknown>> {
  return {
    async check() {
      return { inputs: {} };
    },
    async diff() {
      return { changes: false };
    },
    async create() {
      return { id: "endpoint", outs: tunnels.endpoint() };
    },
    async read(id) {
      return { id, props: tunnels.endpoint() };
    },
    async update() {
      return { outs: tunnels.endpoint() };
    },
  };
}

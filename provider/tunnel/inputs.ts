/**
 * A tunnel as a `sessions` provider's inputs (`awsTunnel` or `alicloudTunnel`): their check, the
 * local port picked when none is set, and the spec a tunnel is opened from. The schemas (zod)
 * load on the first check or spec: loading this module costs the plugin's start nothing.
 */
import { createServer, type AddressInfo } from "node:net";
import { TUNNEL_DRY_RUN_INPUT, TUNNEL_HOST, TUNNEL_INPUTS } from "../../sdk/contract/tunnel";
import { onFirstUse } from "../lifecycle";
import { isKnown, validate, type CheckFailure } from "../validation";
import type * as Schemas from "./schema";
import type { TunnelSpec } from "./schema";

const schemas = onFirstUse(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => require("./schema") as typeof Schemas,
);

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
  const { failures } = validate(schemas().tunnelInputsSchema, picked);
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
      inputs: schemas().awsTunnelSchema.parse(aws) as Extract<TunnelSpec, { cloud: "aws" }>["inputs"],
    };
  const ali = objectAt(values, TUNNEL_INPUTS.alicloud);
  if (ali)
    return {
      cloud: "alicloud",
      inputs: schemas().alicloudTunnelSchema.parse(ali) as Extract<
        TunnelSpec,
        { cloud: "alicloud" }
      >["inputs"],
    };
  return undefined;
}

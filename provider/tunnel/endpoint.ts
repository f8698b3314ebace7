/**
 * The lifecycle of a TunnelEndpoint (`sessions:index:TunnelEndpoint`): no inputs, the tunnel's
 * host and port as outputs, nothing to delete. Its provider is the tunnel's, so whatever uses
 * the outputs makes the engine start the tunnel first.
 */
import type { Lifecycle } from "../lifecycle";

/** Where a tunnel listens. */
export interface TunnelAddress {
  host: string;
  port: number;
}

/** The lifecycle, reporting what `endpoint` says; it throws when the provider holds no tunnel. */
export function tunnelEndpointLifecycle(endpoint: () => TunnelAddress): Lifecycle {
  return {
    configure() {},
    async check() {
      return { inputs: {} };
    },
    async diff() {
      return { changes: false };
    },
    async create() {
      return { id: "endpoint", outs: { ...endpoint() } };
    },
    async read(id) {
      return { id, props: { ...endpoint() } };
    },
    async update() {
      return { outs: { ...endpoint() } };
    },
    async delete() {},
  };
}

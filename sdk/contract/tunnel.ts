/**
 * The names a tunnel's SDK class and the plugin agree on. Plain data: the SDK loads it.
 */

/** The provider inputs that hold a tunnel (one of them, not both). */
export const TUNNEL_INPUTS = { aws: "awsTunnel", alicloud: "alicloudTunnel" } as const;

/** The address a tunnel listens on: loopback only, so nothing else on the network reaches it. */
export const TUNNEL_HOST = "127.0.0.1";

/**
 * The resource a tunnel's provider serves: its `host` and `port`. Resources that use the tunnel
 * depend on it, and it makes the engine start the tunnel's provider in `refresh` and `destroy`,
 * which start only the providers of resources in state.
 */
export const TUNNEL_ENDPOINT_TYPE = "sessions:index:TunnelEndpoint";

/** Set by the SDK during a preview that must not start a session (the user did not opt in). */
export const TUNNEL_DRY_RUN_INPUT = "__tunnelDryRun";

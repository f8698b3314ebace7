/**
 * `aws.Tunnel`: a local port forwarding through an AWS Session Manager session for as long as the
 * engine runs. See docs/tunnels.md.
 */
import type * as pulumi from "@pulumi/pulumi";
import { TUNNEL_INPUTS } from "../contract/tunnel";
import type { AwsTunnelInputs } from "../schemaTypes";
import { TunnelProvider } from "../internal/tunnel";
import type { ArgsOf } from "../internal/types";

/** The arguments of a {@link Tunnel}; every field is documented on the provider's schema. */
export type TunnelArgs = Omit<ArgsOf<AwsTunnelInputs>, "openOnPreview"> & {
  /** Start a session during `pulumi preview` too (a plain value: it decides before anything resolves). Default false. */
  openOnPreview?: boolean;
};

/**
 * A port forward to `remotePort` on a managed node, or through it to `remoteHost` (a private
 * database, an internal service), open whenever the engine may call a resource that uses
 * `host`/`port`: creates, updates and deletes of `pulumi up`, `refresh`, `destroy`. Pass `host`
 * and `port` to the downstream resource or provider. The session (`Reason` "pulumi-sessions
 * tunnel <stack>/<name>") ends when the command ends, fails or is interrupted.
 *
 *   const db = new sessions.aws.Tunnel("db", { target: "i-0abc...", remoteHost: "db.internal", remotePort: 3306 });
 *   new mysql.Provider("db", { endpoint: db.endpoint, ... });
 */
export class Tunnel extends TunnelProvider {
  constructor(name: string, args: TunnelArgs, opts: pulumi.ResourceOptions = {}) {
    super(TUNNEL_INPUTS.aws, name, args, opts);
  }
}

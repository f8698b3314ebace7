/**
 * `alicloud.Tunnel`: a local port forwarding through an ECS Session Manager session for as long
 * as the engine runs. See docs/tunnels.md.
 */
import type * as pulumi from "@pulumi/pulumi";
import { TUNNEL_INPUTS } from "../contract/tunnel";
import type { AlicloudTunnelInputs } from "../schemaTypes";
import { TunnelProvider } from "../internal/tunnel";
import type { ArgsOf } from "../internal/types";

/** The arguments of a {@link Tunnel}; every field is documented on the provider's schema. */
export type TunnelArgs = Omit<ArgsOf<AlicloudTunnelInputs>, "openOnPreview"> & {
  /** Start a session during `pulumi preview` too (a plain value: it decides before anything resolves). Default false. */
  openOnPreview?: boolean;
};

/**
 * A port forward to `portNumber` on an ECS instance, or through it to `targetServer` (a private
 * RDS endpoint, a server in the VPC), open whenever the engine may call a resource that uses
 * `host`/`port`: creates, updates and deletes of `pulumi up`, `refresh`, `destroy`. Pass `host`
 * and `port` to the downstream resource or provider. Its sessions end when the command ends,
 * fails or is interrupted; a new session replaces one whose URL nears its 10 minutes.
 *
 *   const rds = new sessions.alicloud.Tunnel("rds", {
 *     instanceId: "i-bp1...", targetServer: "rm-bp1....mysql.rds.aliyuncs.com", portNumber: 3306 });
 */
export class Tunnel extends TunnelProvider {
  constructor(name: string, args: TunnelArgs, opts: pulumi.ResourceOptions = {}) {
    super(TUNNEL_INPUTS.alicloud, name, args, opts);
  }
}

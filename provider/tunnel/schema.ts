/**
 * The tunnels' inputs: a local TCP port that forwards, for as long as the engine runs, through a
 * session to a port the cloud can reach (`aws.Tunnel`, `alicloud.Tunnel`). A tunnel is an
 * explicit provider of the `sessions` plugin with one of these objects as its input, so the
 * engine starts it before any resource that uses its port, in every command (see docs/tunnels.md).
 */
import { z } from "zod";
import { TUNNEL_INPUTS } from "../../sdk/contract/tunnel";
import { ruleMessage } from "../validation";
import { boundedString, SSM_SESSION_LIMITS } from "../resources/ssmSession/schema";
import { TERMINAL_SESSION_LIMITS } from "../resources/terminalSession/schema";

const port = (field: string, rule: string) =>
  z
    .number({ error: `${field} must be a number` })
    .int(ruleMessage(`${field} must be an integer`, rule))
    .min(1, ruleMessage(`${field} must be at least 1`, rule))
    .max(65535, ruleMessage(`${field} must be at most 65535`, rule));

const region = z
  .string({ error: "region must be a string" })
  .min(1, "region must not be empty: leave it unset instead");

/**
 * The local port (1..65535). Default: a free port picked at the first deployment and kept from
 * then on, because downstream resources record it and refresh and destroy must find it again.
 */
const localPort = port("localPort", "1..65535").optional();

/** Start a session during `pulumi preview` too, so previews of downstream resources can connect. Default false. */
const openOnPreview = z.boolean({ error: "openOnPreview must be true or false" }).optional();

/** `aws.Tunnel`: Session Manager port forwarding (`AWS-StartPortForwardingSession[ToRemoteHost]`). */
export const awsTunnelSchema = z
  .object({
    /** The managed node the session runs on (`Target`): an instance id `i-...` or `mi-...`. */
    target: boundedString(1, SSM_SESSION_LIMITS.targetMax, "target"),
    /**
     * A host the node reaches (a private database endpoint, an IP): the session forwards there
     * (`AWS-StartPortForwardingSessionToRemoteHost`). Default: the node itself.
     */
    remoteHost: boundedString(1, 255, "remoteHost").optional(),
    /** The port on the node, or on `remoteHost` (the document's `portNumber`). */
    remotePort: port("remotePort", "portNumber 1..65535"),
    localPort,
    /** The node's region. Default: the stack's `aws:region`, then `AWS_REGION`, `AWS_DEFAULT_REGION`. */
    region: region.optional(),
    openOnPreview,
  })
  .strict();

/** `alicloud.Tunnel`: ECS Session Manager port forwarding (StartTerminalSession with PortNumber). */
export const alicloudTunnelSchema = z
  .object({
    /** The ECS instance the session runs on (`InstanceId`). */
    instanceId: z.string({ error: "instanceId must be a string" }).min(1, "instanceId must not be empty"),
    /**
     * A server in the instance's VPC (a private RDS endpoint, an IP) to forward to
     * (`TargetServer`), at most 128 characters. Default: the instance itself.
     */
    targetServer: z
      .string({ error: "targetServer must be a string" })
      .min(1, "targetServer must not be empty")
      .max(
        TERMINAL_SESSION_LIMITS.targetServerMax,
        ruleMessage(
          `targetServer must be at most ${TERMINAL_SESSION_LIMITS.targetServerMax} characters`,
          "InvalidTargetServer.LengthLimitExceeded",
        ),
      )
      .optional(),
    /** The port on the instance, or on `targetServer` (`PortNumber`). */
    portNumber: port("portNumber", "PortNumber.Invalid"),
    localPort,
    /** The instance's region. Default: the stack's `alicloud:region`. */
    region: region.optional(),
    /** Network of the session's URL: `Internet` (default) or `Intranet` (from inside the VPC). */
    connectionType: z
      .enum(["Internet", "Intranet"], {
        error: ruleMessage("connectionType must be Internet or Intranet", "InvalidParameter.ConnectionType"),
      })
      .optional(),
    openOnPreview,
  })
  .strict();

/** A provider's tunnel inputs: one of them, checked for what each holds. */
export const tunnelInputsSchema = z.object({
  [TUNNEL_INPUTS.aws]: awsTunnelSchema.optional(),
  [TUNNEL_INPUTS.alicloud]: alicloudTunnelSchema.optional(),
});

export type AwsTunnelInputs = z.input<typeof awsTunnelSchema>;
export type AlicloudTunnelInputs = z.input<typeof alicloudTunnelSchema>;

/** A tunnel as the plugin opens it: which cloud, and its inputs after check (`localPort` set). */
export type TunnelSpec =
  | { cloud: "aws"; inputs: z.output<typeof awsTunnelSchema> & { localPort: number } }
  | { cloud: "alicloud"; inputs: z.output<typeof alicloudTunnelSchema> & { localPort: number } };

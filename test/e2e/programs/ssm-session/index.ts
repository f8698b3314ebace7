/**
 * An SsmSession as users write it, importing the installed package by name.
 *
 * Config (namespace `e2e`):
 *   target        the managed node to open the session on
 *   port          the port to forward to
 *   extraInputs   optional JSON merged into the session's inputs (invalid-input and replace tests)
 * Provider config: aws:region, aws:accessKey, aws:secretKey, sessions:ssmEndpoint.
 */
import * as pulumi from "@pulumi/pulumi";
import { aws } from "pulumi-sessions";

const config = new pulumi.Config("e2e");

/** Hands its input back as its id: unknown during the first preview, like a new instance's id. */
class Echo extends pulumi.dynamic.Resource {
  constructor(name: string, value: string) {
    const provider: pulumi.dynamic.ResourceProvider<{ value: string }, { value: string }> = {
      async create(inputs) {
        return { id: `echo-${inputs.value}`, outs: inputs };
      },
    };
    super(provider, name, { value }, {});
  }
}

const node = new Echo("node", config.require("target"));
const extra = JSON.parse(config.get("extraInputs") ?? "{}") as Partial<aws.SsmSessionArgs>;

const session = new aws.SsmSession("tunnel", {
  target: node.id.apply((id) => id.replace(/^echo-/, "")),
  documentName: "AWS-StartPortForwardingSession",
  reason: "e2e port forwarding",
  parameters: { portNumber: [config.require("port")] },
  ...extra,
});

export const sessionId = session.sessionId;
export const tokenValue = session.tokenValue;
export const streamUrl = session.streamUrl;
export const status = session.status;
export const owner = session.owner;
export const startDate = session.startDate;
export const region = session.region;

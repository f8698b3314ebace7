/**
 * A TerminalSession as users write it, importing the installed package by name.
 *
 * Config (namespace `e2e`):
 *   instanceId       the instance to open the session on
 *   port             optional: forward to this port
 *   extraInputs      optional JSON merged into the session's inputs (invalid-input tests)
 *   adoptSessionId   optional: also adopt this existing session as a second resource
 *   importId         optional: also declare a second resource with the `import` option
 * Provider config: alicloud:region, alicloud:accessKey, alicloud:secretKey, sessions:localCloud.
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud } from "pulumi-sessions";

const config = new pulumi.Config("e2e");

interface EchoInputs {
  value: string;
}

/** Hands its input back as its id: unknown during the first preview, like a new instance's id. */
class Echo extends pulumi.dynamic.Resource {
  constructor(name: string, value: string) {
    const provider: pulumi.dynamic.ResourceProvider<EchoInputs, EchoInputs> = {
      async create(inputs) {
        return { id: `echo-${inputs.value}`, outs: inputs };
      },
    };
    super(provider, name, { value }, {});
  }
}

const instance = new Echo("instance", config.require("instanceId"));
// A resource's id is unknown until it is created (a create's other outputs preview as its inputs).
const instanceId = instance.id.apply((id) => id.replace(/^echo-/, ""));
const extra = JSON.parse(config.get("extraInputs") ?? "{}") as Partial<alicloud.TerminalSessionArgs>;

const session = new alicloud.TerminalSession("session", {
  instanceIds: [instanceId],
  portNumber: config.getNumber("port"),
  ...extra,
});

const adoptSessionId = config.get("adoptSessionId");
const adopted = adoptSessionId
  ? new alicloud.TerminalSession("adopted", { instanceIds: [config.require("instanceId")], adoptSessionId })
  : undefined;

const importId = config.get("importId");
if (importId) {
  new alicloud.TerminalSession(
    "imported",
    { instanceIds: [config.require("instanceId")] },
    { import: importId },
  );
}

export const sessionId = session.sessionId;
export const webSocketUrl = session.webSocketUrl;
export const securityToken = session.securityToken;
export const clientToken = session.clientToken;
export const region = session.region;
export const creationTime = session.creationTime;
export const connections = session.connections;
export const adoptedId = adopted?.id;
export const adoptedFlag = adopted?.adopted;

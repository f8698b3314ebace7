import * as pulumi from "@pulumi/pulumi";

const registered: pulumi.runtime.MockResourceArgs[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push(args);
      const computed =
        args.type === "pulumi-nodejs:dynamic/aws:SsmSession"
          ? {
              sessionId: "AKIA-0mock",
              tokenValue: "token-plain",
              streamUrl: "wss://x/stream",
              status: "Connected",
            }
          : { endedSessionIds: ["AKIA-01"], endedCount: 1, endedCountByTarget: { "i-1": 1 } };
      return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
    },
    call: () => ({}),
  },
  "proj",
  "dev",
);

// Imported after setMocks so the resources register against the mocks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { aws, alicloud } = require("../index") as typeof import("../index");

function output<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("aws resources (mocked engine)", () => {
  let session: InstanceType<typeof aws.SsmSession>;
  let revocation: InstanceType<typeof aws.SsmSessionRevocation>;
  let ecsRevocation: InstanceType<typeof alicloud.TerminalSessionRevocation>;

  beforeAll(async () => {
    session = new aws.SsmSession("tunnel", {
      target: "i-1",
      documentName: "AWS-StartPortForwardingSession",
      parameters: { portNumber: [pulumi.output("5432")] },
    });
    revocation = new aws.SsmSessionRevocation("kick", {
      targets: ["i-1"],
      spareOwners: ["bob"],
      triggers: [1],
    });
    ecsRevocation = new alicloud.TerminalSessionRevocation("kick-ecs", { instanceIds: ["i-2"] });
    await Promise.all([output(session.id), output(revocation.id), output(ecsRevocation.id)]);
  });

  test("register their dynamic types with their inputs", () => {
    const byName = Object.fromEntries(registered.map((r) => [r.name, r]));
    expect(byName.tunnel.type).toBe("pulumi-nodejs:dynamic/aws:SsmSession");
    expect(byName.tunnel.inputs.parameters).toEqual({ portNumber: ["5432"] });
    expect(byName.kick.type).toBe("pulumi-nodejs:dynamic/aws:SsmSessionRevocation");
    expect(byName.kick.inputs.__urn).toBe(
      "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/aws:SsmSessionRevocation::kick",
    );
    expect(byName["kick-ecs"].type).toBe("pulumi-nodejs:dynamic/alicloud:TerminalSessionRevocation");
  });

  test("declare their outputs (not reset by class fields)", async () => {
    expect(await output(session.sessionId)).toBe("AKIA-0mock");
    expect(await output(session.tokenValue)).toBe("token-plain");
    expect(await output(session.status)).toBe("Connected");
    expect(await output(revocation.endedCount)).toBe(1);
    expect(await output(revocation.endedCountByTarget)).toEqual({ "i-1": 1 });
    expect(await output(ecsRevocation.endedSessionIds)).toEqual(["AKIA-01"]);
  });
});

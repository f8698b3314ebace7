import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const registered: pulumi.runtime.MockResourceArgs[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push(args);
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: () => ({}),
  },
  "proj",
  "dev",
);

// Imported after setMocks so the resources register against the mocks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { alicloud, aws } = require("../index") as typeof import("../index");

const repoRoot = path.join(__dirname, "..", "..");

/** Every resource class, with inputs valid enough to register. */
const resources = [
  () => new alicloud.TerminalSession("ts", { instanceIds: ["i-1"] }),
  () =>
    new alicloud.KillInstanceSessionTask("kill", {
      instanceId: "rm-1",
      dbUser: "admin",
      dbUserPassword: "pw",
      killAllSessions: true,
    }),
  () => new alicloud.TerminalSessionRevocation("rev", { instanceIds: ["i-1"] }),
  () => new aws.SsmSession("ssm", { target: "i-1" }),
  () => new aws.SsmSessionRevocation("ssm-rev", { targets: ["i-1"] }),
];

describe("the __provider module of every resource", () => {
  beforeAll(async () => {
    const ids = resources.map((make) => make().id);
    await Promise.all(ids.map((id) => new Promise((resolve) => id.apply(resolve))));
  });

  test.each(["ts", "kill", "rev", "ssm", "ssm-rev"])(
    "%s: names a module and export of this package that is a full provider",
    (name) => {
      const text = registered.find((r) => r.name === name)!.inputs.__provider as string;
      const [, modulePath, exportName] = /require\("pulumi-sessions\/dist\/(.+?)"\)\["(\w+)"\]/.exec(text)!;
      // dist/<modulePath>.js is built from <modulePath>.ts: load the source the build compiles.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const provider = require(path.join(repoRoot, modulePath))[exportName];
      for (const method of ["configure", "check", "diff", "create", "read", "delete"]) {
        expect(typeof provider?.[method]).toBe("function");
      }
    },
  );
});

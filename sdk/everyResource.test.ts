import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { catalog } from "../provider/catalog";

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
const { alicloud, aws } = require("./index") as typeof import("./index");

const repoRoot = path.join(__dirname, "..");

/** Every resource class (its catalog token), with inputs valid enough to register. */
const resources: [string, () => pulumi.CustomResource][] = [
  ["sessions:alicloud:TerminalSession", () => new alicloud.TerminalSession("ts", { instanceIds: ["i-1"] })],
  [
    "sessions:alicloud:KillInstanceSessionTask",
    () =>
      new alicloud.KillInstanceSessionTask("kill", {
        instanceId: "rm-1",
        dbUser: "admin",
        dbUserPassword: "pw",
        killAllSessions: true,
      }),
  ],
  [
    "sessions:alicloud:TerminalSessionRevocation",
    () => new alicloud.TerminalSessionRevocation("rev", { instanceIds: ["i-1"] }),
  ],
  ["sessions:aws:SsmSession", () => new aws.SsmSession("ssm", { target: "i-1" })],
  ["sessions:aws:SsmSessionRevocation", () => new aws.SsmSessionRevocation("ssm-rev", { targets: ["i-1"] })],
  ["sessions:alicloud:Command", () => new alicloud.Command("ali-cmd", { instanceId: "i-1", create: "true" })],
  ["sessions:aws:Command", () => new aws.Command("aws-cmd", { target: "i-1", create: "true" })],
];
const created = new Map<string, pulumi.CustomResource>();

beforeAll(async () => {
  for (const [token, make] of resources) created.set(token, make());
  await Promise.all([...created.values()].map((r) => new Promise((resolve) => r.id.apply(resolve))));
});

test("the list covers the catalog", () => {
  expect(resources.map(([token]) => token).sort()).toEqual(catalog.map((e) => e.row.token).sort());
});

describe("every input and output in the schema is an output property, set or not", () => {
  test.each(catalog.map((e) => [e.row.token, e] as const))("%s", (token, entry) => {
    const resource = created.get(token) as unknown as Record<string, unknown>;
    const keys = [...Object.keys(entry.inputs.schema.shape), ...Object.keys(entry.outputs.schema.shape)];
    expect(keys.filter((k) => !pulumi.Output.isInstance(resource[k]))).toEqual([]);
  });
});

describe("the __provider module of every resource", () => {
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

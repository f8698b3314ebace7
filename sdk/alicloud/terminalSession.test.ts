import * as pulumi from "@pulumi/pulumi";
import { providerModuleSource } from "../internal/dynamicResource";

const registered: pulumi.runtime.MockResourceArgs[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push(args);
      return {
        id: "s-mock",
        state: {
          ...args.inputs,
          sessionId: "s-mock",
          webSocketUrl: "wss://example/session?token=t",
          securityToken: "t",
          connections: [],
          adopted: false,
        },
      };
    },
    call: () => ({}),
  },
  "proj",
  "dev",
);

// Imported after setMocks so the resource registers against the mocks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { alicloud } = require("../index") as typeof import("../index");

function output<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("alicloud.TerminalSession (mocked engine)", () => {
  let session: InstanceType<typeof alicloud.TerminalSession>;

  beforeAll(async () => {
    session = new alicloud.TerminalSession("shell", { instanceIds: ["i-1"], portNumber: pulumi.output(22) });
    await output(session.id);
  });

  test("registers the dynamic type with the inputs, the URN and the serialized provider", () => {
    const args = registered.find((r) => r.name === "shell")!;
    expect(args.type).toBe("pulumi-nodejs:dynamic/alicloud:TerminalSession");
    expect(args.inputs.instanceIds).toEqual(["i-1"]);
    expect(args.inputs.portNumber).toBe(22);
    expect(args.inputs.__urn).toBe(
      "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/alicloud:TerminalSession::shell",
    );
    expect(typeof args.inputs.__provider).toBe("string");
  });

  test("__provider is the short module that loads the package's provider by name", () => {
    const text = registered.find((r) => r.name === "shell")!.inputs.__provider as string;
    expect(text).toBe(
      providerModuleSource({
        modulePath: "provider/resources/terminalSession",
        exportName: "terminalSessionProvider",
      }),
    );
    expect(Buffer.byteLength(text)).toBeLessThan(400);
  });

  test("leaves Error.stackTraceLimit as it was, and errors thrown while registering keep the caller's stack", () => {
    const before = Error.stackTraceLimit;
    new alicloud.TerminalSession("plain", { instanceIds: ["i-3"] });
    expect(Error.stackTraceLimit).toBe(before);
    let thrown: Error | undefined;
    try {
      new alicloud.TerminalSession(
        "broken",
        { instanceIds: ["i-3"] },
        {
          transformations: [
            () => {
              throw new Error("transformation failed");
            },
          ],
        },
      );
    } catch (err) {
      thrown = err as Error;
    }
    expect(thrown?.message).toBe("transformation failed");
    expect(thrown?.stack).toContain("terminalSession.test.ts");
    expect(Error.stackTraceLimit).toBe(before);
  });

  test("exposes outputs (declared, not reset by class fields)", async () => {
    expect(await output(session.sessionId)).toBe("s-mock");
    expect(await output(session.webSocketUrl)).toBe("wss://example/session?token=t");
    expect(await output(session.instanceIds)).toEqual(["i-1"]);
    expect(await output(session.adopted)).toBe(false);
    // Inputs the provider fills in (region, clientToken) are outputs even when not passed.
    expect(pulumi.Output.isInstance(session.region)).toBe(true);
    expect(pulumi.Output.isInstance(session.clientToken)).toBe(true);
  });

  test("the URN of a child resource includes its parent's type", async () => {
    class Group extends pulumi.ComponentResource {
      constructor(name: string) {
        super("test:index:Group", name);
      }
    }
    const group = new Group("g");
    new alicloud.TerminalSession("child", { instanceIds: ["i-2"] }, { parent: group });
    await new Promise((r) => setTimeout(r, 50));
    const args = registered.find((r) => r.name === "child")!;
    expect(args.inputs.__urn).toBe(
      "urn:pulumi:dev::proj::test:index:Group$pulumi-nodejs:dynamic/alicloud:TerminalSession::child",
    );
  });
});

/**
 * Importing under the real engine. Pulumi reads an imported resource without its inputs, so the
 * dynamic provider host has no `__provider` module to load: `pulumi import` fails inside the
 * host, before any code of this package runs, and records nothing. A program's `import` option
 * is refused at registration with one line that says what to do instead (`adoptSessionId`).
 */
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { createAlicloudClient, startTerminalSession } from "../../provider/clients/alicloud";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

const TYPE = "pulumi-nodejs:dynamic/alicloud:TerminalSession";
const KEY = { accessKeyId: "LTAIe2eimport01", accessKeySecret: "e2e-import-secret-value" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2eimport01";

let cloud: LocalCloud;
let sessionId: string;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
  });
  const ecs = createAlicloudClient({
    product: "ecs",
    region: REGION,
    endpoint: cloud.url,
    credentials: { kind: "static", ...KEY, source: "test" },
  });
  ({ sessionId } = await startTerminalSession(ecs, {
    regionId: REGION,
    instanceIds: [INSTANCE],
    clientToken: `import-${uniqueSuffix()}`,
  }));
});
afterAll(() => cloud?.stop());

function newStack(config: Record<string, string> = {}) {
  return TestStack.create({
    program: "terminal-session",
    config: {
      "alicloud:region": REGION,
      "sessions:localCloud": cloud.url,
      "e2e:instanceId": INSTANCE,
      ...config,
    },
    secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    stackName: `i${uniqueSuffix()}`,
  });
}

test("the import option fails at preview with one line pointing at adoptSessionId", async () => {
  const stack = await newStack({ "e2e:importId": sessionId });
  try {
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => d.message);
    expect(errors).toEqual([
      'error: alicloud:TerminalSession "imported": the import option cannot work for this package\'s resources ' +
        "(Pulumi dynamic resources: the engine reads an imported resource without the module its provider is " +
        "loaded from). To manage an existing session, declare it with adoptSessionId instead: " +
        'new alicloud.TerminalSession(name, { instanceIds: ["i-..."], adoptSessionId: "s-..." }).\n',
    ]);
    expect(preview.stdout).not.toContain("toJavaScript");
    expect(preview.stdout).not.toContain("code must be a string");
  } finally {
    stack.cleanup();
  }
});

test("adoptSessionId, the way the error points to, takes the session over", async () => {
  const stack = await newStack({ "e2e:adoptSessionId": sessionId });
  try {
    await stack.up();
    const adopted = (await stack.resourcesOfType(TYPE)).find((r) => r.urn.endsWith("::adopted"));
    expect(adopted?.id).toBe(sessionId);
  } finally {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  }
});

test("pulumi import fails inside the engine's dynamic provider host and records nothing", async () => {
  const stack = await newStack();
  try {
    const result = await stack.pulumi(["import", TYPE, "imported", sessionId, "--yes"], {
      allowFailure: true,
    });
    expect(result.code).not.toBe(0);
    // The README says why and what to use instead; the host's own words are these.
    expect(result.stdout).toContain("code must be a string, not undefined");
    expect(await stack.resourcesOfType(TYPE)).toEqual([]);
  } finally {
    stack.cleanup();
  }
});

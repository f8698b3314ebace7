/**
 * TerminalSession replacements under the real engine are delete-first however they are
 * triggered: a changed input (the provider's diff says so) and `pulumi up --replace <urn>`
 * (the engine skips the provider's diff then, so the resource class sets the option itself).
 * The old session's EndTerminalSession comes before the new one's StartTerminalSession.
 */
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

const TYPE = "pulumi-nodejs:dynamic/alicloud:TerminalSession";
const KEY = { accessKeyId: "LTAIe2ereplace01", accessKeySecret: "e2e-replace-secret-value" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2ereplace01";

let cloud: LocalCloud;
let admin: AdminClient;
let stack: TestStack;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
  });
  admin = new AdminClient(cloud);
  stack = await TestStack.create({
    program: "terminal-session",
    config: {
      "alicloud:region": REGION,
      "sessions:localCloud": cloud.url,
      "e2e:instanceId": INSTANCE,
      "e2e:port": "22",
    },
    secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    stackName: `r${uniqueSuffix()}`,
  });
  await stack.up();
});

afterAll(async () => {
  await stack?.destroy({ allowFailure: true });
  stack?.cleanup();
  await cloud?.stop();
});

async function session() {
  const [resource] = await stack.resourcesOfType(TYPE);
  return resource;
}

/** The session calls of the last run, in the order the cloud received them. */
async function startAndEndCalls() {
  return (await admin.requests())
    .filter((r) => r.action === "StartTerminalSession" || r.action === "EndTerminalSession")
    .map((r) => r.action ?? "");
}

/**
 * One End, then the Starts. With unchanged inputs (`--replace`) the derived client token is the
 * old session's, so the cloud answers the first Start with that ended session and create starts
 * again with a token of its own (docs/alicloud/terminal-session.md, "Client token and idempotency").
 */
function expectEndedFirst(calls: string[]) {
  expect(calls[0]).toBe("EndTerminalSession");
  expect(calls.slice(1).length).toBeGreaterThan(0);
  expect(calls.slice(1).every((c) => c === "StartTerminalSession")).toBe(true);
}

test("pulumi up --replace <urn> ends the old session before starting the new one", async () => {
  const old = await session();
  await admin.clearRequests();
  await stack.pulumi(["up", "--yes", "--skip-preview", "--replace", old.urn]);
  expectEndedFirst(await startAndEndCalls());
  const replaced = await session();
  expect(replaced.id).not.toBe(old.id);
  const states = ((await admin.sessions()).ecs ?? []) as Array<{ sessionId: string; state: string }>;
  expect(states.find((s) => s.sessionId === old.id)?.state).toBe("Ended");
  expect(states.find((s) => s.sessionId === replaced.id)?.state).toBe("Open");
});

test("a changed input replaces delete-first too", async () => {
  const old = await session();
  await stack.setConfig("e2e:port", "2222");
  await admin.clearRequests();
  await stack.up();
  expectEndedFirst(await startAndEndCalls());
  expect((await session()).id).not.toBe(old.id);
});

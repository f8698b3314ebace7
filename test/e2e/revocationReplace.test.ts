/**
 * Replacing a revocation (new `triggers`) under the real engine: the engine checks a replaced
 * resource's inputs twice, and the preview must still list what the run would end once, with
 * one listing call per target.
 */
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { callRpc, openApiClient } from "../../emulator/testing/alibaba";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

const REGION = "cn-hangzhou";
const PULUMI = { accessKeyId: "LTAIe2erevrepl001", accessKeySecret: "e2e-rev-replace-secret" };
const ALICE = { accessKeyId: "LTAIe2erevrepl002", accessKeySecret: "e2e-rev-replace-alice" };
const INSTANCES = ["i-e2erevrepl01", "i-e2erevrepl02"];

let cloud: LocalCloud;
let admin: AdminClient;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [PULUMI, ALICE],
    ecs: { instances: INSTANCES.map((instanceId) => ({ instanceId, regionId: REGION })) },
  });
  admin = new AdminClient(cloud);
});
afterAll(() => cloud?.stop());

async function startAliceSession(instanceId: string): Promise<string> {
  const response = await callRpc(openApiClient(cloud, ALICE), "StartTerminalSession", {
    RegionId: REGION,
    "InstanceId.1": instanceId,
  });
  return response.body.SessionId as string;
}

test("new triggers: the preview lists what the run would end once, one listing per target", async () => {
  const args = (release: string) => JSON.stringify({ instanceIds: INSTANCES, triggers: [release] });
  const stack = await TestStack.create({
    program: "session-revocation",
    config: {
      "alicloud:region": REGION,
      "sessions:localCloud": cloud.url,
      "e2e:cloud": "alicloud",
      "e2e:args": args("r1"),
    },
    secrets: { "alicloud:accessKey": PULUMI.accessKeyId, "alicloud:secretKey": PULUMI.accessKeySecret },
    stackName: `v${uniqueSuffix()}`,
  });
  try {
    await stack.up();
    const live = [await startAliceSession(INSTANCES[0]), await startAliceSession(INSTANCES[1])];
    await stack.setConfig("e2e:args", args("r2"));

    await admin.clearRequests();
    const preview = await stack.pulumi(["preview"]);
    // The engine shows provider messages as they come and again in its summary: count there.
    const text = preview.stdout.slice(preview.stdout.indexOf("Diagnostics:"));
    expect(text.match(/will end 2 live sessions/g)).toHaveLength(1);
    for (const id of live) expect(text.match(new RegExp(`end   ${id} `, "g"))).toHaveLength(1);
    const requests = await admin.requests();
    expect(requests.filter((r) => r.action === "DescribeTerminalSessions")).toHaveLength(INSTANCES.length);
    expect(requests.filter((r) => r.action === "EndTerminalSession")).toEqual([]);

    // The run itself ends them (and lists afresh for that).
    await stack.up();
    const open = ((await admin.sessions()).ecs ?? []) as Array<{ sessionId: string; state: string }>;
    for (const id of live) expect(open.find((s) => s.sessionId === id)?.state).toBe("Ended");
  } finally {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  }
});

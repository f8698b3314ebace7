/**
 * Refresh of a TerminalSession ended outside Pulumi while no client was connected (a command
 * session whose client had left, then EndTerminalSession from the SDK), under the real engine.
 *
 * The evidence refresh goes by is what DescribeTerminalSessions returns (seed 003): each
 * connection's `Status`, documented as "the state of the session", whose values include
 * `Terminating` ("the session is being terminated") and `Terminated` ("the session is
 * terminated"). A session EndTerminalSession ended reports them on its connection records, so
 * refresh drops it; the next `up` starts a new one.
 */
import WebSocket from "ws";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import {
  createAlicloudClient,
  endTerminalSession,
  findTerminalSession,
} from "../../provider/clients/alicloud";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

const TYPE = "pulumi-nodejs:dynamic/alicloud:TerminalSession";
const KEY = { accessKeyId: "LTAIe2erefresh01", accessKeySecret: "e2e-refresh-secret-value" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2erefresh01";

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
  });
});
afterAll(() => cloud?.stop());

const ecs = () =>
  createAlicloudClient({
    product: "ecs",
    region: REGION,
    endpoint: cloud.url,
    credentials: { kind: "static", ...KEY, source: "test" },
  });

/** Polls Describe until `ok` holds for the session's connections. */
async function waitForConnections(sessionId: string, ok: (statuses: string[]) => boolean): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const { record } = await findTerminalSession(ecs(), REGION, sessionId);
    const statuses = (record?.connections ?? []).map((c) => c.status ?? "");
    if (ok(statuses)) return statuses;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${sessionId}: the connections never reached the expected state`);
}

test("a command session ended with the SDK after its client left is dropped by refresh", async () => {
  const stack = await TestStack.create({
    program: "terminal-session",
    config: {
      "alicloud:region": REGION,
      "sessions:localCloud": cloud.url,
      "e2e:instanceId": INSTANCE,
      "e2e:extraInputs": JSON.stringify({ commandLine: "echo ran" }),
    },
    secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    stackName: `f${uniqueSuffix()}`,
  });
  try {
    await stack.up();
    const [resource] = await stack.resourcesOfType(TYPE);
    const { webSocketUrl } = await stack.outputs();

    // The client connects, then leaves: the connection is closed, the session still open.
    const ws = new WebSocket(webSocketUrl as string);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    await waitForConnections(resource.id!, (s) => s.includes("Connected") || s.includes("Disconnected"));
    ws.terminate();
    await waitForConnections(
      resource.id!,
      (s) => s.length > 0 && !s.some((x) => ["Connecting", "Connected"].includes(x)),
    );

    await endTerminalSession(ecs(), { regionId: REGION, sessionId: resource.id! });
    const ended = await waitForConnections(resource.id!, () => true);
    // What refresh sees: the session's end on its connection records (seed 003).
    expect(ended.every((s) => s === "Terminating" || s === "Terminated")).toBe(true);

    await stack.refresh();
    expect(await stack.resourcesOfType(TYPE)).toEqual([]);
    const admin = new AdminClient(cloud);
    await admin.clearRequests();
    await stack.up();
    const [again] = await stack.resourcesOfType(TYPE);
    expect(again.id).not.toBe(resource.id);
    expect(
      (await admin.requests()).filter((r) => r.action === "StartTerminalSession").length,
    ).toBeGreaterThan(0);
  } finally {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  }
});

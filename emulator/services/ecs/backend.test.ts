/** The ECS backend's bound on one session's connection records, driven as the data plane drives it. */
import { localCloudConfigSchema } from "../../config";
import { systemClock } from "../../clock";
import { RecordingDataPlane } from "../../protocol/testing/awsJsonHarness";
import { EcsBackend } from "./backend";
import { ECS_LIMITS } from "./model";

test("a session keeps at most maxConnectionRecordsPerSession records; live ones are never dropped", async () => {
  const config = {
    ...localCloudConfigSchema.parse({ ecs: { instances: [{ instanceId: "i-1", regionId: "cn-hangzhou" }] } }),
    credentials: [{ accessKeyId: "LTAIkey", accessKeySecret: "secret" }],
  };
  const dataPlane = new RecordingDataPlane();
  let changes = 0;
  const backend = new EcsBackend(config, {
    clock: systemClock,
    dataPlane,
    ssmDataPlane: { open: () => ({ url: "" }), close: () => undefined } as never,
    changed: () => changes++,
  });
  const ctx = { requestId: "r", accessKeyId: "LTAIkey", region: "cn-hangzhou", clientIp: "127.0.0.1" };
  const { sessionId } = await backend.startSession(
    { regionId: "cn-hangzhou", instanceIds: ["i-1"], connectionType: "Internet" },
    ctx,
  );
  const spec = dataPlane.channel(sessionId);
  spec.onConnectionState("c-live", "Connected");
  for (let i = 0; i < 3 * ECS_LIMITS.maxConnectionRecordsPerSession; i++) {
    spec.onConnectionState(`c-${i}`, "Connecting");
    spec.onConnectionState(`c-${i}`, "Disconnected", "ClientDisconnected");
  }
  const [session] = backend.describeSessions({ regionId: "cn-hangzhou", maxResults: 10 }, ctx).sessions;
  const statuses = session.Connections.Connection.map((c) => c.Status);
  expect(statuses).toHaveLength(ECS_LIMITS.maxConnectionRecordsPerSession);
  expect(statuses).toContain("Connected");
  expect(changes).toBeGreaterThan(0);
});

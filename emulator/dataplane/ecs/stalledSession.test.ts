/**
 * One local cloud, one client (client/ecs): a port-forwarding session whose far end or local
 * application reads nothing stalls that session alone. Another session of the same local cloud
 * and the same client carries bytes both ways while the first is stalled, and after it is closed.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { forwardPort } from "../../../client/ecs/forward";
import { startLocalCloud, type LocalCloud } from "../../server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../../testing/alibaba";
import { itKeepsOtherSessionsGoing, type OpenForward } from "../testing/isolation";
import { closeTcpServers } from "../testing/peers";

afterAll(closeTcpServers);

const REGION = "cn-hangzhou";
const MB = 1024 * 1024;

describe("ECS port forwards sharing one local cloud and one client", () => {
  let cloud: LocalCloud;
  const open: OpenForward = async (port) => {
    const api = openApiClient(cloud);
    const r = await callRpc(api, "StartTerminalSession", {
      RegionId: REGION,
      InstanceId: ["i-1"],
      PortNumber: port,
    });
    const { SessionId, WebSocketUrl } = r.body as { SessionId: string; WebSocketUrl: string };
    const forward = await forwardPort(WebSocketUrl, { startDelayMs: 0 });
    return {
      port: forward.port,
      close: async () => {
        await forward.close();
        await callRpc(api, "EndTerminalSession", { RegionId: REGION, SessionId });
      },
    };
  };

  beforeAll(async () => {
    // The per-session rate (200 KiB/s on Alibaba) raised, so MB cross in a test's time.
    cloud = await startLocalCloud(
      { credentials: [TEST_CREDENTIAL], ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] } },
      { bandwidthBytesPerSec: 8 * MB },
    );
  });
  afterAll(() => cloud.stop());

  itKeepsOtherSessionsGoing(open, MB);
});

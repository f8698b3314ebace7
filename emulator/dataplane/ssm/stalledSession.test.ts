/**
 * One SSM data plane, one client (client/ssm): a port-forwarding session whose far end or local
 * application reads nothing stalls that session alone. Another session of the same data plane
 * and the same client carries MB both ways while the first is stalled, and after it is closed.
 */
import { forwardPort } from "../../../client/ssm";
import { itKeepsOtherSessionsGoing } from "../testing/isolation";
import { closeTcpServers } from "../testing/peers";
import { startTestPlane, type TestPlane } from "./testing/plane";

afterAll(closeTcpServers);

describe("SSM port forwards sharing one data plane and one client", () => {
  let p: TestPlane;
  beforeAll(async () => {
    p = await startTestPlane();
  });
  afterAll(() => p.stop());

  itKeepsOtherSessionsGoing(
    (port) => {
      const s = p.session({ kind: "port", port, localPortForwarding: true });
      return forwardPort({ streamUrl: s.url, tokenValue: s.token });
    },
    2 * 1024 * 1024,
    // Ended by the agent on our TerminateSession (channel_closed), not by dropping the connection.
    (end) => expect(end).toEqual(expect.objectContaining({ closedBy: "service" })),
  );
});

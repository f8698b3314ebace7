/**
 * An SSM data plane on its own HTTP server, with the limits a test chooses, and the one thing the
 * SSM backend does that the tests need: a session the agent reports Terminated is closed.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "../../../clock";
import { SsmDataPlane, type SsmLimits } from "../dataPlane";
import type { SsmChannelSpec, SsmSessionKind } from "../types";

export interface TestPlane {
  plane: SsmDataPlane;
  /** Registers a session; `admit` may be replaced to misbehave. */
  session(
    kind: SsmSessionKind,
    admit?: SsmChannelSpec["admit"],
  ): { sessionId: string; token: string; url: string; states: string[] };
  stop(): Promise<void>;
}

export async function startTestPlane(limits: Partial<SsmLimits> = {}): Promise<TestPlane> {
  let port = 0;
  const plane = new SsmDataPlane({
    baseUrl: () => `ws://127.0.0.1:${port}`,
    credentials: () => [],
    clock: systemClock,
    authClock: systemClock,
    limits,
  });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head: Buffer) => {
    if (!plane.handleUpgrade(req, socket, head)) socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    plane,
    session(kind, admit) {
      const sessionId = `test-${randomBytes(8).toString("hex")}`;
      const token = randomBytes(16).toString("hex");
      const states: string[] = [];
      const { url } = plane.open({
        sessionId,
        target: "i-test",
        token,
        kind,
        tokenExpiresAt: new Date(Date.now() + 60_000),
        idleTimeoutMs: 60_000,
        admit,
        onConnectionState: (_id, state, reason) => {
          states.push(reason === undefined ? state : `${state}/${reason}`);
          if (state === "Terminated") plane.close(sessionId, reason ?? "ChannelEnded");
        },
      });
      return { sessionId, token, url, states };
    },
    async stop() {
      await plane.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

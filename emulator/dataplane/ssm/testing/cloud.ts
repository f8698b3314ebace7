/** A local cloud with one SSM managed node and a loopback TCP echo server, for data-plane tests. */
import { randomBytes } from "node:crypto";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import {
  DescribeSessionsCommand,
  SSMClient,
  StartSessionCommand,
  type StartSessionCommandInput,
} from "@aws-sdk/client-ssm";
import { startLocalCloud, type LocalCloud } from "../../../server";

export const CRED = { accessKeyId: "AKIASSMDATA0000001", accessKeySecret: "ssm-data-secret" };
export const REGION = "eu-west-1";
export const NODE = "i-0ssmdataplane00001";

export interface SsmTestCloud {
  cloud: LocalCloud;
  echoPort: number;
  ssm: SSMClient;
  start(
    input?: Partial<StartSessionCommandInput>,
  ): Promise<{ SessionId: string; TokenValue: string; StreamUrl: string }>;
  status(sessionId: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startSsmTestCloud(): Promise<SsmTestCloud> {
  const cloud = await startLocalCloud({
    credentials: [CRED],
    ssm: { targets: [{ target: NODE, region: REGION }] },
  });
  // A reset connection (a peer killed mid-test) must end that socket, not the test process.
  const echo: Server = createServer((socket) => socket.on("error", () => socket.destroy()).pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const ssm = new SSMClient({
    region: REGION,
    endpoint: cloud.url,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
    maxAttempts: 1,
  });
  return {
    cloud,
    echoPort: (echo.address() as AddressInfo).port,
    ssm,
    async start(input = {}) {
      const out = await ssm.send(new StartSessionCommand({ Target: NODE, ...input }));
      return {
        SessionId: out.SessionId ?? "",
        TokenValue: out.TokenValue ?? "",
        StreamUrl: out.StreamUrl ?? "",
      };
    },
    async status(sessionId) {
      for (const State of ["Active", "History"] as const) {
        const out = await ssm.send(
          new DescribeSessionsCommand({ State, Filters: [{ key: "SessionId", value: sessionId }] }),
        );
        if (out.Sessions?.[0]) return out.Sessions[0].Status;
      }
      return undefined;
    },
    async stop() {
      ssm.destroy();
      await cloud.stop();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    },
  };
}

/** Sends `size` random bytes through a forwarded port and checks the echo is identical. */
export function roundTrip(port: number, size: number): Promise<void> {
  const sent = randomBytes(size);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(sent));
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      if (received >= size) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const got = Buffer.concat(chunks);
      if (got.equals(sent)) resolve();
      else reject(new Error(`echo differs: sent ${size} bytes, got ${got.length}`));
    });
  });
}

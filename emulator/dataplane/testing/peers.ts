/** Test peers shared by both data planes' hostile tests: a raw upgrade, and a far end that pushes. */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** Sends an upgrade to `path` on `http://host:port` and returns the HTTP answer that refuses it. */
export function upgradeAnswer(
  hostPort: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port,
      path,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        ...headers,
      },
    });
    req.on("upgrade", () => reject(new Error("upgrade unexpectedly accepted")));
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * A far end that offers `total` bytes as fast as its socket takes them (honouring `write()`),
 * and tells how many it got rid of so far.
 */
export function pusher(total: number): { onSocket(socket: Socket): void; accepted(): number } {
  let accepted = 0;
  return {
    onSocket(socket) {
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      const pump = () => {
        while (accepted < total) {
          accepted += chunk.length;
          if (!socket.write(chunk)) return void socket.once("drain", pump);
        }
      };
      socket.on("error", () => undefined);
      pump();
    },
    accepted: () => accepted,
  };
}

/** Waits until `value()` stops changing (400 ms apart) and returns it. */
export async function plateau(value: () => number): Promise<number> {
  let last = -1;
  while (last !== value()) {
    last = value();
    await new Promise((r) => setTimeout(r, 400));
  }
  return last;
}

/** Loopback TCP servers started by `tcpServer`; `closeTcpServers` closes them. */
const servers: Server[] = [];

/** A loopback TCP server calling `onSocket` per connection; resolves with its port. */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

export function closeTcpServers(): void {
  for (const s of servers.splice(0)) s.close();
}

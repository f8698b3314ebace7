/**
 * Test peers shared by both data planes' tests: a raw upgrade, a far end that pushes, a local
 * application that pushes or reads in bursts.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

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

/** A loopback TCP connection to `port`, once it is connected. */
export function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * Reads everything, but as a busy program does: a pause of 20 ms after every 256 KiB. Its socket
 * fills now and then, which a forward must ride out without losing its place.
 */
export function readInBursts(socket: Socket, onBytes: (n: number) => void): void {
  let sinceBreak = 0;
  socket.on("data", (d: Buffer) => {
    onBytes(d.length);
    sinceBreak += d.length;
    if (sinceBreak < 256 * 1024) return;
    sinceBreak = 0;
    socket.pause();
    setTimeout(() => socket.resume(), 20);
  });
  socket.on("error", () => undefined);
}

/** Resolves once `got()` reaches `bytes`; rejects with how far it came if it stops for 3 s. */
export async function arrived(got: () => number, bytes: number, what: string): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  while (got() < bytes) {
    if (got() !== last) [last, movedAt] = [got(), Date.now()];
    if (Date.now() - movedAt > 3000) throw new Error(`${what}: stuck at ${got()} of ${bytes} bytes`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

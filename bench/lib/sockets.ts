/** The application side of a forward in the benchmarks: connect to a port, push bytes into it. */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

const CHUNK = randomBytes(64 * 1024);

/** A connection to `port` on loopback, once it is established. */
export const connected = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });

/** Writes `bytes` to `socket` in 64 KiB writes, honouring its back-pressure; `sent()` says how many it accepted. */
export function push(socket: Socket, bytes: number): { sent(): number } {
  let sent = 0;
  const pump = () => {
    while (sent < bytes && !socket.destroyed) {
      const part = CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent));
      sent += part.length;
      if (!socket.write(part)) return void socket.once("drain", pump);
    }
  };
  pump();
  return { sent: () => sent };
}

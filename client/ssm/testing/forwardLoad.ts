/**
 * Test load for a port forward: a target that hashes what each connection brings and echoes it,
 * and clients that send random bytes through the forward and hash what comes back, so a test can
 * say that no byte was lost, duplicated or reordered, and that no connection was reset.
 */
import { createHash, randomBytes } from "node:crypto";
import { connect, createServer, type AddressInfo, type Server } from "node:net";

/** What one connection carried, as a digest. */
export interface Carried {
  bytes: number;
  sha256: string;
}

export interface HashingEcho {
  port: number;
  /** One entry per connection that ended, in the order they ended. */
  received: Carried[];
  close(): Promise<void>;
}

/** A TCP target that echoes every connection and records what each one received. */
export async function startHashingEcho(): Promise<HashingEcho> {
  const received: Carried[] = [];
  const server: Server = createServer((socket) => {
    const hash = createHash("sha256");
    let bytes = 0;
    socket.on("data", (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
    });
    socket.on("end", () => received.push({ bytes, sha256: hash.digest("hex") }));
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What one client connection sent and got back; `error` is set when it was reset. */
export interface Exchange {
  sent: Carried;
  echoed: Carried;
  error?: string;
}

const CHUNK = 64 * 1024;

/**
 * Sends `size` random bytes to `port` (minding the socket's back-pressure), ends once all came
 * back (SSM's agent closes a target connection whose client half-closed), and resolves once it
 * closed, with the digests of both directions. `progress.echoed` counts what came back so far.
 */
export function exchange(port: number, size: number, progress?: { echoed: number }): Promise<Exchange> {
  return new Promise((resolve) => {
    const sentHash = createHash("sha256");
    const echoHash = createHash("sha256");
    let echoed = 0;
    let error: string | undefined;
    const socket = connect({ host: "127.0.0.1", port });
    const pump = (at: number): void => {
      for (let i = at; i < size; i += CHUNK) {
        const chunk = randomBytes(Math.min(CHUNK, size - i));
        sentHash.update(chunk);
        if (!socket.write(chunk)) {
          socket.once("drain", () => pump(i + CHUNK));
          return;
        }
      }
    };
    socket.once("connect", () => pump(0));
    socket.on("data", (d: Buffer) => {
      echoHash.update(d);
      echoed += d.length;
      if (progress) progress.echoed += d.length;
      if (echoed >= size) socket.end();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on("close", () =>
      resolve({
        sent: { bytes: size, sha256: sentHash.digest("hex") },
        echoed: { bytes: echoed, sha256: echoHash.digest("hex") },
        ...(error !== undefined ? { error } : {}),
      }),
    );
  });
}

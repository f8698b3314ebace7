/**
 * The tunnel's own listener, on its port for as long as the tunnel is open: each connection is
 * handed, as it is, to whatever session serves right now, and one that arrives while a session is
 * being replaced waits for the fresh one instead of being refused. A session's forward ends its
 * connections when the session ends, so without this a connection made in that moment would find
 * the port closed.
 */
import { createServer, type Server, type Socket } from "node:net";

/** Takes a connection into the session serving now; false when that session has just ended. */
export type Acceptor = (socket: Socket) => boolean;
/** What serves connections now, or why nothing does. */
export type Backend = () => Promise<Acceptor>;

export interface FrontDoor {
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port`. A connection refused by its session (it ended between `backend`
 * answering and the hand-over) asks `backend` once more before it is closed.
 */
export async function openFrontDoor(host: string, port: number, backend: Backend): Promise<FrontDoor> {
  const sockets = new Set<Socket>();
  const handOver = async (client: Socket): Promise<void> => {
    for (let tries = 2; tries > 0; tries--) {
      const accept = await backend();
      if (client.destroyed || accept(client)) return;
    }
    client.destroy();
  };
  const server: Server = createServer(
    { pauseOnConnect: true, noDelay: true, allowHalfOpen: true },
    (client) => {
      sockets.add(client);
      client.once("close", () => sockets.delete(client));
      // A reset while waiting for a session; once handed over, the session's forward handles errors.
      client.on("error", () => client.destroy());
      void handOver(client).catch(() => client.destroy());
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

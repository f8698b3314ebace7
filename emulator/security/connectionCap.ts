/**
 * At most `max` connections at once, WebSockets included. Node's own `server.maxConnections`
 * closes the extra socket without a word; here the peer is told why (503 and one line), before
 * any of its bytes is parsed.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { httpRefusals } from "./httpRefusals";
import { refuseSocket } from "./socketRefusal";

/**
 * Puts the cap in front of the HTTP server's own connection handling, which then sees only the
 * connections within it. `onRefused` is told of each one turned away.
 */
export function capConnections(server: Server, max: number, onRefused: () => void): void {
  const serve = server.listeners("connection") as Array<(this: Server, socket: Socket) => void>;
  server.removeAllListeners("connection");
  let open = 0;
  server.on("connection", (socket: Socket) => {
    if (open >= max) {
      onRefused();
      refuseSocket(socket, httpRefusals.connectionCap({ maxConnections: max }));
      return;
    }
    open++;
    socket.once("close", () => open--);
    for (const listener of serve) listener.call(server, socket);
  });
}

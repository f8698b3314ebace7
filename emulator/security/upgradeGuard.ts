/**
 * The server's `upgrade` handling, confined to the one socket: whatever a handler throws on a
 * peer's bytes (a malformed percent-encoding, a URL that does not parse) refuses that upgrade
 * with 400 and one line, and the process goes on serving everyone else.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { httpRefusals } from "./httpRefusals";
import type { Refusal } from "./refusal";
import { bytesWritten, guardSocket, refuseSocket } from "./socketRefusal";

/** Takes the upgrade (true) or leaves it to the next one (false). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface UpgradeRoutes {
  /** A refusal before any handler sees the request (Host, Origin). */
  check(req: IncomingMessage): Refusal | null;
  /** Tried in order; none taking it is a 404. */
  handlers: readonly UpgradeHandler[];
  /** One line per failure; never the URL or a header (they may carry a token). */
  log(line: string): void;
}

export function routeUpgrade(
  routes: UpgradeRoutes,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  // First: a reset while anyone writes to this socket (a refusal, the handshake) ends it quietly.
  guardSocket(socket);
  const writtenBefore = bytesWritten(socket);
  try {
    const refusal = routes.check(req);
    if (refusal) return refuseSocket(socket, refusal);
    if (routes.handlers.some((handle) => handle(req, socket, head))) return;
    refuseSocket(socket, httpRefusals.noUpgradeEndpoint());
  } catch (err) {
    const name = err instanceof Error ? err.name : typeof err;
    routes.log(`[local-cloud] upgrade refused (400): its handler failed with ${name}`);
    // Bytes already sent (a 101) mean the peer is no longer reading HTTP: just drop it.
    if (bytesWritten(socket) > writtenBefore) socket.destroy();
    else refuseSocket(socket, httpRefusals.upgradeUnreadable(name));
  }
}

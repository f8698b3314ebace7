/** A far end for the clients' tests: a WebSocket server on 127.0.0.1 that does what a test says. */
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { SessionProtocolError } from "../protocolError";

export interface HostilePeer {
  /** `ws://127.0.0.1:PORT` with `path` appended. */
  url: string;
  stop(): Promise<void>;
}

/** Starts a far end that hands each connection to `onConnection`; `autoPong: false` answers no ping. */
export async function startPeer(
  path: string,
  onConnection: (ws: WebSocket) => void,
  options: { autoPong?: boolean } = {},
): Promise<HostilePeer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: options.autoPong ?? true });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", onConnection);
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}${path}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** How `session` failed (it must fail with a SessionProtocolError); stops `peer` either way. */
export async function protocolFailure(
  session: Promise<unknown>,
  peer: HostilePeer,
): Promise<SessionProtocolError> {
  try {
    const err = await session.then(
      () => new Error("the session did not fail"),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SessionProtocolError);
    return err as SessionProtocolError;
  } finally {
    await peer.stop();
  }
}

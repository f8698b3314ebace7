/**
 * One data plane, one client: a port forward whose far end or local application reads nothing
 * stalls that session alone. The stall, the check that another session of the same processes
 * still carries bytes both ways, and the two cases built of them, for both data planes' tests.
 */
import type { Socket } from "node:net";
import { arrived, connected, plateau, pusher, readInBursts, tcpServer } from "./peers";

/** A port forward of the client under test, to a loopback target port. */
export interface Forward {
  port: number;
  close(): Promise<unknown>;
}

export type OpenForward = (targetPort: number) => Promise<Forward>;

/** `up`: the far end reads nothing while the application pushes; `down`: the reverse. */
export type StallDirection = "up" | "down";

export interface Stalled {
  forward: Forward;
  /** The local application's connection (reading nothing, or pushing). */
  app: Socket;
  /** Bytes the pusher got accepted before the forward stopped taking more. */
  accepted: number;
}

/** Opens a forward and pushes up to 64 MB one way at a peer that reads nothing, until it stalls. */
export async function stall(open: OpenForward, direction: StallDirection): Promise<Stalled> {
  const source = pusher(64 * 1024 * 1024);
  const forward = await open(await tcpServer(direction === "up" ? (s) => s.pause() : source.onSocket));
  const app = await connected(forward.port);
  app.on("error", () => undefined);
  if (direction === "up") source.onSocket(app);
  else app.pause();
  return { forward, app, accepted: await plateau(source.accepted) };
}

/** A far end that reads everything in bursts, and how much it read so far. */
export async function burstySink(): Promise<{ port: number; received(): number }> {
  let received = 0;
  const port = await tcpServer((socket) => readInBursts(socket, (n) => (received += n)));
  return { port, received: () => received };
}

/**
 * `bytes` from a local application through `forward` (opened to `sink`); then, through a fresh
 * forward of `open`, from a far end that pushes to an application reading in bursts.
 */
export async function carriesBothWays(
  open: OpenForward,
  forward: Forward,
  sink: { received(): number },
  bytes: number,
): Promise<void> {
  const start = sink.received();
  const up = await connected(forward.port);
  pusher(bytes).onSocket(up);
  await arrived(() => sink.received() - start, bytes, "application to far end");
  up.destroy();

  const relay = await open(await tcpServer(pusher(Number.MAX_SAFE_INTEGER).onSocket));
  let got = 0;
  readInBursts(await connected(relay.port), (n) => (got += n));
  await arrived(() => got, bytes, "far end to application");
  // Closed while the far end still pushes: the forward must end, not wait on its local socket.
  await relay.close();
}

/**
 * Both stalls, each followed by another session carrying `bytes` both ways while the stalled one
 * still holds, and again after it is closed. `ended` checks what a forward's `close` resolved to.
 */
export function itKeepsOtherSessionsGoing(
  open: OpenForward,
  bytes: number,
  ended: (end: unknown) => void = () => undefined,
): void {
  it.each([
    ["the far end reads nothing while the application pushes", "up"],
    ["the application reads nothing while the far end pushes", "down"],
  ] as const)(
    "%s: other sessions go on, during the stall and after it is closed",
    async (_what, direction) => {
      const stalled = await stall(open, direction);
      // Held back far short of 64 MB (kernel buffers on both hops hold a few MB).
      expect(stalled.accepted).toBeLessThan(32 * 1024 * 1024);

      const sink = await burstySink();
      const other = await open(sink.port);
      await carriesBothWays(open, other, sink, bytes);

      stalled.app.destroy();
      // The stalled session ends when asked, whatever it still holds.
      ended(await stalled.forward.close());
      await carriesBothWays(open, other, sink, bytes);
      ended(await other.close());
    },
    20_000,
  );
}

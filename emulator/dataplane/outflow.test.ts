import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { WebSocketOutflow, type OutflowEvents } from "./outflow";

/** A server-side outflow and the client reading it, on loopback. */
async function rig(events: OutflowEvents) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const accepted = new Promise<[WebSocket, Duplex]>((resolve) =>
    wss.once("connection", (ws, req) => resolve([ws, req.socket])),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
    perMessageDeflate: false,
  });
  const received: Buffer[] = [];
  client.on("message", (d: Buffer) => received.push(d));
  const [server, socket] = await accepted;
  await new Promise((resolve) => client.once("open", resolve));
  const outflow = new WebSocketOutflow(server, socket, { high: 64 * 1024, low: 16 * 1024 }, events);
  return {
    client,
    server,
    socket,
    outflow,
    received,
    close: async () => {
      client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

const frame = (i: number) => Buffer.alloc(1144, i % 256);
const until = async (done: () => boolean) => {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("WebSocketOutflow", () => {
  it("sends what one tick sends in one write to the kernel, each frame its own message", async () => {
    const r = await rig({ onFull: () => undefined, onDrained: () => undefined });
    try {
      const socket = r.socket as Duplex & Record<string, unknown>;
      let writes = 0;
      for (const method of ["_write", "_writev"] as const) {
        const original = socket[method] as (...args: unknown[]) => void;
        socket[method] = (...args: unknown[]) => {
          writes++;
          original.apply(socket, args);
        };
      }
      for (let i = 0; i < 50; i++) r.outflow.send(frame(i));
      await until(() => r.received.length === 50);
      expect(writes).toBe(1);
      expect(r.received.every((m, i) => m.equals(frame(i)))).toBe(true);
      // The next tick's sends go out too: the socket is not left corked.
      r.outflow.send(frame(50));
      await until(() => r.received.length === 51);
      expect(writes).toBe(2);
    } finally {
      await r.close();
    }
  });

  it("says full past the high mark while the peer reads nothing, and drained once it read", async () => {
    const seen: string[] = [];
    const r = await rig({ onFull: () => seen.push("full"), onDrained: () => seen.push("drained") });
    try {
      r.client.pause();
      let sent = 0;
      // A producer sends a tick at a time while not told to stop; the kernel's buffers take some
      // (full, then drained, as they do) until they are full too and the queue stays high.
      for (let quiet = 0; quiet < 20 && sent < 200_000;) {
        if (r.outflow.congested) quiet++;
        else for (let i = 0; i < 64; i++, sent++) r.outflow.send(frame(sent));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(r.outflow.congested).toBe(true);
      expect(r.server.bufferedAmount).toBeGreaterThan(64 * 1024);
      expect(seen.at(-1)).toBe("full");
      expect(seen.every((e, i) => e === (i % 2 === 0 ? "full" : "drained"))).toBe(true);
      r.client.resume();
      await until(() => seen.at(-1) === "drained");
      expect(r.outflow.congested).toBe(false);
      await until(() => r.received.length === sent);
      expect(r.received.every((m, i) => m.equals(frame(i)))).toBe(true);
    } finally {
      await r.close();
    }
  });
});

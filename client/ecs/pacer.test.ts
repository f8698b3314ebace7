/**
 * What our port forwarding sends, against a hand-written far end that records it: messages of at
 * most 2048 bytes (the official client's size), at the rate the far end announced or, when it
 * announced none, at the official client's default, with no burst beyond 20 ms of that rate.
 */
import { createServer, type Server } from "node:http";
import { connect as tcpConnect, type AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { parseMessage, serializeMessage } from "./codec";
import { forwardPort } from "./forward";
import { DEFAULT_SEND_RATE } from "./pacer";

/** 200 KB/s, as the local cloud and (the official client's arithmetic says) the service announce it. */
const ANNOUNCED_BITS = 1_638_400;
const RATE = ANNOUNCED_BITS / 8;

describe("ECS port forwarding pace", () => {
  let http: Server;
  let url: string;
  let announce: boolean;
  /** Input messages the far end received: when (ms) and how many payload bytes. */
  let arrivals: Array<{ at: number; bytes: number }>;
  const wss = new WebSocketServer({ noServer: true });

  beforeAll(async () => {
    http = createServer();
    http.on("upgrade", (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (announce) ws.send(serializeMessage(5, 0n, Buffer.from([7, 0x00, 0x19, 0x00, 0x00])));
        ws.send(serializeMessage(1, 1n, Buffer.from("ready")));
        ws.on("message", (data: Buffer) => {
          const m = parseMessage(data);
          if (m.type === 0 && m.payload.length > 0)
            arrivals.push({ at: performance.now(), bytes: m.payload.length });
        });
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/session?sessionId=s-1&token=t`;
  });
  beforeEach(() => (arrivals = []));
  afterAll(async () => {
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  });

  async function send(total: number): Promise<number> {
    const fwd = await forwardPort(url, { startDelayMs: 10_000, keepAliveMs: 0 });
    try {
      const socket = tcpConnect(fwd.port, "127.0.0.1");
      socket.on("data", () => undefined);
      await new Promise((r) => socket.once("connect", r));
      const started = performance.now();
      socket.write(Buffer.alloc(total, 0x61));
      while (arrivals.reduce((n, a) => n + a.bytes, 0) < total) await new Promise((r) => setTimeout(r, 10));
      socket.destroy();
      return performance.now() - started;
    } finally {
      await fwd.close();
    }
  }

  /** The most bytes that arrived within any `windowMs`. */
  function peak(windowMs: number): number {
    let most = 0;
    for (const first of arrivals) {
      const inWindow = arrivals.filter((a) => a.at >= first.at && a.at < first.at + windowMs);
      most = Math.max(
        most,
        inWindow.reduce((n, a) => n + a.bytes, 0),
      );
    }
    return most;
  }

  test("at the announced 200 KB/s: 2048-byte messages, no burst past two of them beyond the rate", async () => {
    announce = true;
    const total = 160 * 1024;
    const ms = await send(total);
    expect(arrivals.every((a) => a.bytes <= 2048)).toBe(true);
    expect(arrivals.filter((a) => a.bytes === 2048)).toHaveLength(80);
    // 160 KiB at 200 KB/s less the two messages that may go at once: at least 780 ms.
    expect(ms).toBeGreaterThanOrEqual(((total - 4096) / RATE) * 1000 - 5);
    // Within any 100 ms: the rate's share, the two-message burst, and one message of timer slack.
    expect(peak(100)).toBeLessThanOrEqual(RATE * 0.1 + 3 * 2048);
  });

  test("no rate announced: the official client's default, 200 kbit/s", async () => {
    announce = false;
    const total = 16 * 1024;
    const ms = await send(total);
    expect(ms).toBeGreaterThanOrEqual(((total - 4096) / DEFAULT_SEND_RATE) * 1000 - 5);
  });
});

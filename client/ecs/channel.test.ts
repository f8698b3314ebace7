/** Our client's channel against a hand-written far end: what it does with bytes it cannot read. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { EcsChannel, type EcsChannelEnd } from "./channel";
import { parseMessage, serializeMessage } from "./codec";
import { EcsSessionError } from "./errors";

describe("EcsChannel", () => {
  let http: Server;
  let url: string;
  const wss = new WebSocketServer({ noServer: true });

  beforeAll(async () => {
    http = createServer();
    http.on("upgrade", (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        // A readable output message, then bytes that are not a message at all.
        ws.send(serializeMessage(1, 0n, Buffer.from("hello")));
        ws.send(Buffer.from("garbage"));
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/session?sessionId=s-1&token=t`;
  });
  afterAll(async () => {
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  });

  test("a message it cannot parse closes the channel (1002) and says why; what came before is delivered", async () => {
    const output: string[] = [];
    const end = await new Promise<EcsChannelEnd>((resolve) => {
      void EcsChannel.open(url, { onOutput: (d) => output.push(d.toString()), onEnd: resolve });
    });
    expect(output).toEqual(["hello"]);
    expect(end.closeCode).toBe(1002);
    expect(end.error).toMatchObject({ name: "SessionProtocolError", code: "MalformedFrame" });
    expect(end.error?.message).toMatch(/\(a message has at least 30 bytes; this one has 7\)/);
  });

  test("a refused handshake without a JSON body still names the HTTP status", async () => {
    const refusing = createServer((_req, res) => res.writeHead(502).end("bad gateway"));
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    try {
      const port = (refusing.address() as AddressInfo).port;
      const err = await EcsChannel.open(`ws://127.0.0.1:${port}/session`, {
        onOutput: () => undefined,
        onEnd: () => undefined,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EcsSessionError);
      expect(err).toMatchObject({ code: "Http502", httpStatus: 502 });
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});

/**
 * The keep-alive: Alibaba's agent ends a connection it has heard nothing from for 180 s, so a quiet
 * channel sends the official client's empty input message; a busy one sends none.
 */
describe("EcsChannel keep-alive", () => {
  let http: Server;
  let url: string;
  /** What the far end received, per connection: [type, sequence, payload length]. */
  let received: Array<[number, bigint, number]>;
  const wss = new WebSocketServer({ noServer: true });

  beforeAll(async () => {
    http = createServer();
    http.on("upgrade", (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on("message", (data: Buffer) => {
          const m = parseMessage(data);
          received.push([m.type, m.sequence, m.payload.length]);
        });
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/session?sessionId=s-1&token=t`;
  });
  beforeEach(() => (received = []));
  afterAll(async () => {
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  });

  const open = (keepAliveMs: number) =>
    EcsChannel.open(url, { onOutput: () => undefined, onEnd: () => undefined }, { keepAliveMs });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test("a quiet channel sends one empty input message per period, in sequence", async () => {
    const channel = await open(100);
    await sleep(350);
    channel.close();
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received.length).toBeLessThanOrEqual(3);
    received.forEach(([type, sequence, length], i) =>
      expect([type, sequence, length]).toEqual([0, BigInt(i), 0]),
    );
  });

  test("a channel that keeps sending sends no keep-alive; one sent after it goes quiet follows its input", async () => {
    const channel = await open(100);
    for (let i = 0; i < 8; i++) {
      channel.write(Buffer.from("x"));
      await sleep(40);
    }
    expect(received.filter(([, , length]) => length === 0)).toEqual([]);
    await sleep(150);
    channel.close();
    expect(received.slice(0, 8).map(([type, , length]) => [type, length])).toEqual(Array(8).fill([0, 1]));
    expect(received[8]).toEqual([0, 8n, 0]);
  });

  test("keepAliveMs 0 sends nothing", async () => {
    const channel = await open(0);
    await sleep(250);
    channel.close();
    expect(received).toEqual([]);
  });
});

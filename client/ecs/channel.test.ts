/** Our client's channel against a hand-written far end: what it does with bytes it cannot read. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { EcsChannel, type EcsChannelEnd } from "./channel";
import { serializeMessage } from "./codec";
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

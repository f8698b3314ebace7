/**
 * routeUpgrade confines a throwing upgrade handler to its socket: the peer gets 400 and one line,
 * the log one line without the URL, and the same server goes on taking upgrades.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { exchange, upgradeRequest } from "../testing/rawHttp";
import { routeUpgrade, type UpgradeHandler } from "./upgradeGuard";

let server: Server;
let port: number;
let handler: UpgradeHandler;
const lines: string[] = [];

beforeAll(async () => {
  server = createServer();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    routeUpgrade(
      { check: () => null, handlers: [(...args) => handler(...args)], log: (l) => lines.push(l) },
      req,
      socket,
      head,
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (lines.length = 0));

test("a handler that throws on the path: 400 with the error's kind, one log line without the URL", async () => {
  handler = (req) => decodeURIComponent(req.url ?? "") !== "";
  const answer = await exchange(port, upgradeRequest(port, "/v1/data-channel/%?token=secret-token"));
  expect(answer.status).toBe(400);
  expect(answer.body).toBe("The upgrade request could not be read (URIError): check its path and query.\n");
  expect(lines).toEqual(["[local-cloud] upgrade refused (400): its handler failed with URIError"]);
});

test("a handler that throws after the 101: the socket is dropped, no HTTP written over the WebSocket", async () => {
  handler = (_req, socket) => {
    socket.write("HTTP/1.1 101 Switching Protocols\r\n\r\n");
    throw new TypeError("after the handshake");
  };
  const answer = await exchange(port, upgradeRequest(port, "/anything"));
  expect(answer.status).toBe(101);
  expect(answer.headers).toBe("HTTP/1.1 101 Switching Protocols");
  expect(answer.body).toBe("");
});

test("no handler takes it: 404 naming the session URLs; a good handler still works afterwards", async () => {
  handler = () => false;
  const missing = await exchange(port, upgradeRequest(port, "/nowhere"));
  expect(missing.status).toBe(404);
  expect(missing.body).toMatch(/^No WebSocket endpoint at this path: session URLs are \/session \(ECS\)/);
  handler = (_req, socket) => {
    socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
    return true;
  };
  expect((await exchange(port, upgradeRequest(port, "/tea"))).status).toBe(418);
});

/**
 * The floor of a forward's path: an application's bytes relayed the way a forward relays them
 * (application -> TCP -> entry process -> WebSocket -> exit process -> TCP -> target), by two
 * Node.js processes joined by a plain `ws` WebSocket (no compression), in messages of the
 * protocol's size (a 120-byte header, up to 1024 bytes of payload), with back-pressure at every
 * hop and no acknowledgements, digests, sequence numbers or multiplexing. What separates our
 * forward from it is the protocol; what separates it from the plain WebSocket floor (wsFloor.ts)
 * is the relaying. Run with `node -r bench/register.js bench/lib/relayFloor.ts exit|entry URL`,
 * driven over IPC:
 *
 *   exit:  a WebSocket server; says {port}. On {target}, relays each later connection to that
 *          loopback port, and says {ready}.
 *   entry: listens on a loopback TCP port and says {port}; each connection gets a WebSocket to URL.
 */
import { connect, createServer, type AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { FLOOR_MESSAGE_BYTES } from "./wsFloor";

const HEADER_BYTES = 120;
const PAYLOAD_BYTES = FLOOR_MESSAGE_BYTES - HEADER_BYTES;
/** Queued bytes above which the entry stops reading the application (as wsFloor's sender). */
const SEND_HIGH = 1024 * 1024;

const say = (m: Record<string, unknown>) => void process.send?.(m);

function exit(): void {
  let target = 0;
  const server: WebSocketServer = new WebSocketServer(
    { host: "127.0.0.1", port: 0, perMessageDeflate: false },
    () => say({ port: (server.address() as AddressInfo).port }),
  );
  server.on("connection", (ws) => {
    const out = connect(target, "127.0.0.1");
    ws.on("message", (message: Buffer) => {
      if (out.write(message.subarray(HEADER_BYTES))) return;
      ws.pause();
      out.once("drain", () => ws.resume());
    });
    ws.on("close", () => out.end());
    out.on("error", () => ws.terminate());
  });
  process.on("message", (m: { target?: number }) => {
    if (m.target === undefined) return;
    target = m.target;
    say({ ready: true });
  });
}

function entry(url: string): void {
  const server = createServer((app) => {
    app.pause();
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => app.resume());
    app.on("data", (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += PAYLOAD_BYTES) {
        const payload = chunk.subarray(at, at + PAYLOAD_BYTES);
        const message = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
        message.fill(0, 0, HEADER_BYTES);
        payload.copy(message, HEADER_BYTES);
        const last = at + PAYLOAD_BYTES >= chunk.length;
        if (!last || ws.bufferedAmount < SEND_HIGH) ws.send(message);
        else {
          // Past the mark: read on once this last message has gone to the kernel.
          app.pause();
          ws.send(message, () => app.resume());
        }
      }
    });
    app.on("end", () => ws.close());
    app.on("error", () => ws.terminate());
  });
  server.listen(0, "127.0.0.1", () => say({ port: (server.address() as AddressInfo).port }));
}

if (require.main === module) {
  if (process.argv[2] === "exit") exit();
  else if (process.argv[2] === "entry" && process.argv[3]) entry(process.argv[3]);
  else throw new Error("usage: relayFloor.ts exit | entry URL");
}

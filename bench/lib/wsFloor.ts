/**
 * The floor of an SSM port forward's throughput: a plain WebSocket (`ws`, no compression) between
 * two Node.js processes on loopback carrying binary messages of the protocol's largest stream
 * message (120-byte header + 1024 bytes of payload), with no acknowledgements and no protocol.
 * Run with `node -r bench/register.js bench/lib/wsFloor.ts receiver|sender`, driven over IPC:
 *
 *   receiver: a WebSocket server; says {port}, then {received} once it has `bytes` bytes.
 *   sender:   on {url, bytes}, connects (once) and sends `bytes` in such messages, keeping at
 *             most SEND_HIGH bytes queued (the back-pressure any sender needs), then says {sent}.
 */
import { randomBytes } from "node:crypto";
import { WebSocket, WebSocketServer } from "ws";

/** One stream message of the protocol at its largest: 120-byte header + 1024 bytes of payload. */
export const FLOOR_MESSAGE_BYTES = 120 + 1024;
/** Queued bytes above which the sender waits (the local cloud's own send mark is the same). */
const SEND_HIGH = 1024 * 1024;

type Command = { url: string; bytes: number } | { expect: number };
const say = (m: Record<string, unknown>) => void process.send?.(m);

function receiver(): void {
  let expected = Infinity;
  let received = 0;
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false }, () => {
    const address = server.address();
    say({ port: typeof address === "object" && address ? address.port : 0 });
  });
  server.on("connection", (ws) => {
    ws.on("message", (data: Buffer) => {
      received += data.length;
      if (received >= expected) {
        say({ received });
        received = 0;
      }
    });
  });
  process.on("message", (m: Command) => {
    if ("expect" in m) expected = m.expect;
  });
}

function sender(): void {
  const source = randomBytes(64 * 1024);
  let ws: WebSocket | undefined;
  const connected = (url: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      if (ws) return resolve(ws);
      const s = new WebSocket(url, { perMessageDeflate: false });
      s.once("open", () => resolve((ws = s)));
      s.once("error", reject);
    });
  process.on("message", (m: Command) => {
    if (!("url" in m)) return;
    void connected(m.url).then((s) => {
      let sent = 0;
      let at = 0;
      const pump = () => {
        while (sent < m.bytes) {
          if (at + FLOOR_MESSAGE_BYTES > source.length) at = 0;
          const size = Math.min(FLOOR_MESSAGE_BYTES, m.bytes - sent);
          sent += size;
          const message = source.subarray(at, at + size);
          at += size;
          if (s.bufferedAmount < SEND_HIGH) s.send(message);
          // The message past the mark waits for the socket to take it.
          else return s.send(message, () => setImmediate(pump));
        }
        say({ sent });
      };
      pump();
    });
  });
}

// The suite imports the message size; only a process started on this file plays a role.
if (require.main === module) {
  if (process.argv[2] === "receiver") receiver();
  else if (process.argv[2] === "sender") sender();
  else throw new Error("usage: wsFloor.ts receiver|sender");
}

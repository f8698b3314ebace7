/** Test helpers: HTTP as a hand-written peer sends it, byte for byte, over node:net. */
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  /** 0 when the server closed without a status line. */
  status: number;
  headers: string;
  body: string;
}

export function parseAnswer(raw: string): RawAnswer {
  const split = raw.indexOf("\r\n\r\n");
  const head = split === -1 ? raw : raw.slice(0, split);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
  return {
    status: status ? Number(status[1]) : 0,
    headers: head,
    body: split === -1 ? "" : raw.slice(split + 4),
  };
}

/** A connected socket, with everything it receives collected. */
export async function openRaw(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => text, closed };
}

/** Writes `chunks` (the pauses between them in ms, if any) and reads until the server closes. */
export async function exchange(port: number, ...chunks: Array<string | Buffer | number>): Promise<RawAnswer> {
  const { socket, received, closed } = await openRaw(port);
  for (const chunk of chunks) {
    if (typeof chunk === "number") await new Promise((resolve) => setTimeout(resolve, chunk));
    else if (!socket.destroyed) socket.write(chunk);
  }
  await closed;
  return parseAnswer(received());
}

/** The request line and headers of a WebSocket upgrade to `path`. */
export function upgradeRequest(port: number, path: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

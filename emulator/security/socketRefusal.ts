/**
 * A refusal written straight to a connection's socket, where no HTTP response object exists: an
 * upgrade the local cloud does not take, a connection over the cap, bytes that are not HTTP.
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Refusal } from "./refusal";

/** How long a refused peer has to read the answer before its socket is destroyed. */
const LINGER_MS = 1000;

/** `HTTP/1.1 <status>` with the reason as a one-line text body, then the connection closes. */
export function refusalBytes(refusal: Refusal): string {
  const text = `${refusal.reason}\n`;
  return (
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? "Error"}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
    `Connection: close\r\n\r\n${text}`
  );
}

/** Ignores what a socket reports as it goes: a reset during a refusal ends that socket, nothing more. */
export function guardSocket(socket: Duplex): void {
  if (!socket.listeners("error").includes(destroyOnError)) socket.on("error", destroyOnError);
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Bytes written to the socket so far (0 for a stream that does not count them). */
export function bytesWritten(socket: Duplex): number {
  return (socket as Partial<Socket>).bytesWritten ?? 0;
}

/** Writes the refusal and closes the socket (only destroys one already closing). */
export function refuseSocket(socket: Duplex, refusal: Refusal): void {
  guardSocket(socket);
  if (socket.destroyed || socket.writableEnded) {
    socket.destroy();
    return;
  }
  socket.end(refusalBytes(refusal));
  // What the peer still sends is read and dropped, so its FIN closes the socket; one that sends
  // forever is cut off after the linger.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

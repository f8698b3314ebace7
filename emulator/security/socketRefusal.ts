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

/** `HTTP/1.1 <status>` with its body, then the connection closes. */
function answerBytes(status: number, contentType: string, body: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
    `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`
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

/** Writes the refusal, its reason as a one-line text body, and closes the socket. */
export function refuseSocket(socket: Duplex, refusal: Refusal): void {
  answerSocket(socket, refusal.status, "text/plain; charset=utf-8", `${refusal.reason}\n`);
}

/** Writes an HTTP answer and closes the socket (only destroys one already closing). */
export function answerSocket(socket: Duplex, status: number, contentType: string, body: string): void {
  guardSocket(socket);
  if (socket.destroyed || socket.writableEnded) {
    socket.destroy();
    return;
  }
  socket.end(answerBytes(status, contentType, body));
  // What the peer still sends is read and dropped, so its FIN closes the socket; one that sends
  // forever is cut off after the linger.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * The parts of a WebSocket upgrade both data planes share: reading the request target without
 * anything that throws on a hostile one, and refusing on the raw socket.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** The request target split into its path (still percent-encoded) and its query. */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * `new URL` throws on targets such as `//` (an authority with no host); `URLSearchParams` keeps
 * malformed escapes as they are instead of throwing, so this never throws.
 */
export function requestTarget(req: IncomingMessage): RequestTarget {
  const raw = req.url ?? "/";
  const at = raw.indexOf("?");
  return at < 0
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, at), query: new URLSearchParams(raw.slice(at + 1)) };
}

/** `decodeURIComponent`, but undefined for a malformed escape (`%`, `%zz`) instead of a URIError. */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  410: "Gone",
  500: "Internal Server Error",
};

/**
 * Answers an upgrade with a plain HTTP response and closes the socket. The error listener comes
 * first: a peer that resets the connection during the answer must not raise an unhandled error.
 */
export function refuseUpgrade(socket: Duplex, status: number, contentType: string, body: string): void {
  socket.on("error", () => socket.destroy());
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * The part of a WebSocket upgrade both data planes share: reading the request target without
 * anything that throws on a hostile one (refusals go through emulator/security/socketRefusal.ts).
 */
import type { IncomingMessage } from "node:http";

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

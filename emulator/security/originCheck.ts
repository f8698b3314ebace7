/**
 * Origin check: browsers send `Origin` on cross-site requests and on every WebSocket upgrade; the
 * official SDKs and session clients send none. So any `Origin` but the local cloud's own is a web
 * page trying to drive it (a form post, a fetch without preflight, a WebSocket to a session URL).
 */
import type { Refusal } from "./refusal";

/** Null when the request carries no Origin or the local cloud's own (`http://` + one of `ownHosts`). */
export function originRefusal(origin: string | undefined, ownHosts: readonly string[]): Refusal | null {
  if (origin === undefined) return null;
  if (ownHosts.some((h) => origin.toLowerCase() === `http://${h}`)) return null;
  return {
    status: 403,
    reason:
      `Origin ${JSON.stringify(origin)} is not allowed: the local cloud takes no requests from web pages ` +
      `(only its own origin http://${ownHosts[0]}; the official SDKs and session clients send no Origin).`,
  };
}

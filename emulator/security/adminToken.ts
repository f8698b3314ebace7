/**
 * The admin API's token: it can add access keys and so run commands on this machine, so every
 * `/_admin/` route needs `Authorization: Bearer <token>` (a header no web page can set on a
 * cross-site request without a preflight the local cloud never grants). Random per start, or kept
 * in `--state-dir` (see stateDir.ts), as Jupyter does with its per-start token.
 */
import { randomBytes } from "node:crypto";
import type { Refusal } from "./refusal";
import { secretsEqual } from "./secretsEqual";

/** 256 random bits, URL-safe. */
export function newAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Null when `authorization` (the request's header) is `Bearer <token>`. */
export function adminTokenRefusal(authorization: string | undefined, token: string): Refusal | null {
  if (authorization === undefined || authorization === "") {
    return {
      status: 401,
      reason:
        'The admin API needs the local cloud\'s admin token: send "Authorization: Bearer <adminToken>" ' +
        "(adminToken is in the line the local cloud printed at start).",
    };
  }
  const m = /^Bearer (.+)$/.exec(authorization);
  if (!m || !secretsEqual(m[1], token)) {
    return {
      status: 403,
      reason:
        "The admin token does not match this local cloud's: use the adminToken of its start line " +
        "(a new one at every start, unless --state-dir keeps it).",
    };
  }
  return null;
}

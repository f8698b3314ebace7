/**
 * ECS EndTerminalSession (2014-05-26): ends a session for good; its WebSocket URL stops
 * working. Safe to retry: ending an ended or unknown session is reported as
 * `InvalidSessionId.NotFound`, which callers deleting a session treat as done.
 */
import { hasErrorCode } from "../../errors/base";
import type { ErrorHints } from "../../errors/alicloud";
import type { AlicloudRpcClient } from "./client";

/** Request. */
export interface EndTerminalSessionRequest {
  /** `RegionId`. */
  regionId: string;
  /** `SessionId`. */
  sessionId: string;
}

/** Every code the API reference lists, with what to do about it. */
export const END_TERMINAL_SESSION_ERRORS: ErrorHints = {
  "RegionId.ApiNotSupported": "Session Manager is not available in this region: check the session's region.",
  "InvalidSessionId.NotFound": "The session does not exist (already ended, or another region).",
};

/** The code for a session that does not exist. */
export const SESSION_NOT_FOUND = "InvalidSessionId.NotFound";

/** Calls EndTerminalSession. Returns false when the session did not exist. */
export async function endTerminalSession(
  client: AlicloudRpcClient,
  req: EndTerminalSessionRequest,
): Promise<boolean> {
  try {
    await client.call(
      "EndTerminalSession",
      { RegionId: req.regionId, SessionId: req.sessionId },
      { hints: END_TERMINAL_SESSION_ERRORS, retry: { fatalCodes: [SESSION_NOT_FOUND] } },
    );
    return true;
  } catch (err) {
    if (hasErrorCode(err, SESSION_NOT_FOUND)) return false;
    throw err;
  }
}

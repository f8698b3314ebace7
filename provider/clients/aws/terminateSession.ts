/**
 * SSM TerminateSession (2014-11-06): ends a session for good (it cannot be resumed). Safe to
 * retry. An id AWS does not know is `DoesNotExistException` (per the API reference; the current
 * model lists no error and some regions just echo the id), and terminating an ended session
 * has been reported to fail with `ValidationException`: both count as "already gone" once
 * Describe confirms the session is not live.
 */
import { hasErrorCode } from "../../errors/base";
import type { ErrorHints } from "../../errors/alicloud";
import type { SsmClient } from "./client";
import { findSsmSession, isLiveSsmSession } from "./describeSessions";

/** The codes TerminateSession documents, with what to do. */
export const TERMINATE_SESSION_ERRORS: ErrorHints = {
  DoesNotExistException: "The session does not exist (already ended long ago, or another region).",
  InternalServerError: "Systems Manager had an internal error: run again later.",
};

/** What happened to the session. */
export type TerminateOutcome = "terminated" | "gone";

/** Calls TerminateSession; `gone` when the session did not exist or had already ended. */
export async function terminateSession(client: SsmClient, sessionId: string): Promise<TerminateOutcome> {
  try {
    await client.send("TerminateSession", { SessionId: sessionId }, { hints: TERMINATE_SESSION_ERRORS });
    return "terminated";
  } catch (err) {
    if (hasErrorCode(err, "DoesNotExistException")) return "gone";
    if (hasErrorCode(err, "ValidationException")) {
      // "Session is not in a valid state": fine if it has ended, a real error otherwise.
      const record = await findSsmSession(client, sessionId);
      if (!record || !isLiveSsmSession(record)) return "gone";
    }
    throw err;
  }
}

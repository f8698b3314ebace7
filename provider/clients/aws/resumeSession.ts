/**
 * SSM ResumeSession (2014-11-06): reconnects to a session whose data channel dropped. The answer
 * is a fresh `TokenValue` (and the `StreamUrl` to open it on); the session, its sequence numbers
 * and its agent side carry on. Safe to retry: each call only issues another token. A session
 * that was terminated cannot be resumed (`DoesNotExistException`).
 */
import type { ErrorHints } from "../../errors/alicloud";
import type { SsmClient } from "./client";

/** The codes ResumeSession documents, with what to do. */
export const RESUME_SESSION_ERRORS: ErrorHints = {
  DoesNotExistException:
    "The session has ended (terminated, timed out, or past its maximum duration): start a new one.",
  InternalServerError: "Systems Manager had an internal error: run again later.",
};

/** What opens the session's data channel again. */
export interface ResumedSession {
  sessionId: string;
  tokenValue: string;
  streamUrl: string;
}

/** Calls ResumeSession (retrying throttling, 5xx and network errors). */
export async function resumeSession(client: SsmClient, sessionId: string): Promise<ResumedSession> {
  const out = await client.send("ResumeSession", { SessionId: sessionId }, { hints: RESUME_SESSION_ERRORS });
  if (!out.TokenValue || !out.StreamUrl) {
    throw new Error(
      `ResumeSession returned no TokenValue or StreamUrl for ${sessionId} (request id ${out.$metadata.requestId ?? "unknown"})`,
    );
  }
  return { sessionId: out.SessionId ?? sessionId, tokenValue: out.TokenValue, streamUrl: out.StreamUrl };
}

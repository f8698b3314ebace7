/**
 * ResumeSession as a data channel's `resume`: each call asks the service for the session's new
 * StreamUrl and TokenValue through the SDK client given, whose credential provider is asked
 * afresh on every request (temporary credentials may have been rotated since the last call).
 */
import type * as Ssm from "@aws-sdk/client-ssm";
import type { SsmSessionTarget } from "./dataChannel";
import { SsmSessionError } from "./errors";

/** `@aws-sdk/client-ssm`, loaded on first use: a program that never resumes never loads it. */
let sdk: typeof Ssm | undefined;

/** A `resume` option that calls ResumeSession for `sessionId` with `ssm`. */
export function resumeWith(ssm: Ssm.SSMClient, sessionId: string): () => Promise<SsmSessionTarget> {
  return async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk ??= require("@aws-sdk/client-ssm") as typeof Ssm;
    let out: Ssm.ResumeSessionCommandOutput;
    try {
      out = await ssm.send(new sdk.ResumeSessionCommand({ SessionId: sessionId }));
    } catch (err) {
      // A session that is gone stays gone: retrying until the budget runs out would only delay the news.
      if ((err as Error).name === "DoesNotExistException")
        throw new SsmSessionError("SessionEnded", `ResumeSession: session ${sessionId} has ended`);
      throw err;
    }
    // The plugin reads an answer without a token as a session that timed out.
    if (!out.TokenValue || !out.StreamUrl)
      throw new SsmSessionError(
        "SessionEnded",
        `ResumeSession gave no TokenValue or StreamUrl for session ${sessionId}: it has ended`,
      );
    return { streamUrl: out.StreamUrl, tokenValue: out.TokenValue, sessionId };
  };
}

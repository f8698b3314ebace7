/**
 * SSM StartSession (2014-11-06): starts a Session Manager session on a managed node and returns
 * the token and WebSocket URL the Session Manager plugin connects with. Not idempotent (there is
 * no client token): the client retries it on throttling only.
 */
import type { ErrorHints } from "../../errors/alicloud";
import type { SsmClient } from "./client";

/** Request. */
export interface StartSessionRequest {
  /** `Target`: the managed node (`i-...`, `mi-...`), 1..400 characters. */
  target: string;
  /** `DocumentName`: the Session document; default: a shell (`SSM-SessionManagerRunShell`). */
  documentName?: string;
  /** `Reason`: why the session is started, 1..256 characters, one line. */
  reason?: string;
  /** `Parameters`: the document's parameters, each a list of values. */
  parameters?: Record<string, string[]>;
}

/** Response. */
export interface StartSessionResponse {
  /** `SessionId`, 1..96 characters (`<caller>-0<16 hex>`). */
  sessionId: string;
  /** `TokenValue`: opens the data channel. */
  tokenValue?: string;
  /** `StreamUrl`: the data channel's WebSocket URL. */
  streamUrl?: string;
  /** The request id, for support cases. */
  requestId?: string;
}

/** The agent-offline explanation: the code alone ("TargetNotConnected") tells users little. */
export const TARGET_NOT_CONNECTED_HINT =
  "The SSM Agent on this target is not connected to Systems Manager, so no session can start. " +
  "Check that the instance exists in this region and is running, that the SSM Agent is installed and running on it, " +
  "that its instance profile allows Systems Manager (e.g. AmazonSSMManagedInstanceCore), and that it can reach the " +
  "ssm and ssmmessages endpoints; it then shows up as a managed node in Fleet Manager. Run pulumi up again afterwards.";

/** The codes StartSession documents (and the unmodeled ones SSM sends for it), with what to do. */
export const START_SESSION_ERRORS: ErrorHints = {
  TargetNotConnected: TARGET_NOT_CONNECTED_HINT,
  InvalidDocument:
    "The document does not exist in this region or is not a Session document: check documentName (e.g. AWS-StartPortForwardingSession).",
  InvalidParameters:
    "The document does not accept these parameters: check the names and values against the document (e.g. portNumber for AWS-StartPortForwardingSession).",
  InternalServerError:
    "Systems Manager had an internal error: run again later; the session may or may not exist.",
};

/** Calls StartSession (retrying throttling only, see the client). */
export async function startSession(
  client: SsmClient,
  req: StartSessionRequest,
): Promise<StartSessionResponse> {
  const out = await client.send(
    "StartSession",
    { Target: req.target, DocumentName: req.documentName, Reason: req.reason, Parameters: req.parameters },
    { hints: START_SESSION_ERRORS, retry: "throttlingOnly" },
  );
  if (!out.SessionId) {
    throw new Error(
      `StartSession returned no SessionId (request id ${out.$metadata.requestId ?? "unknown"})`,
    );
  }
  return {
    sessionId: out.SessionId,
    tokenValue: out.TokenValue,
    streamUrl: out.StreamUrl,
    requestId: out.$metadata.requestId,
  };
}

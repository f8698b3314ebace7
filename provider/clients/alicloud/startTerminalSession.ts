/**
 * ECS StartTerminalSession (2014-05-26): starts a Session Manager session and returns its
 * WebSocket URL (valid 10 minutes) and security token. Idempotent with `ClientToken`, which
 * is what makes retrying it safe.
 */
import type { ErrorHints } from "../../errors/alicloud";
import type { AlicloudRpcClient } from "./client";

/** Request, in camelCase; sent as PascalCase query parameters. */
export interface StartTerminalSessionRequest {
  /** `RegionId`. */
  regionId: string;
  /** `InstanceId.N`. */
  instanceIds: string[];
  /** `PortNumber`: forward to this port (on the instance, or on `targetServer`). */
  portNumber?: number;
  /** `CommandLine`: run this instead of a shell. */
  commandLine?: string;
  /** `TargetServer`: a VPC address reached through the instance. */
  targetServer?: string;
  /** `Username`. */
  username?: string;
  /** `ConnectionType`: `Internet` or `Intranet`. */
  connectionType?: string;
  /** `PasswordName`: a parameter-store name holding a Windows password. */
  passwordName?: string;
  /** `EncryptionOptions`, sent as a JSON string. */
  encryptionOptions?: { enabled?: boolean; mode?: string; kmsKeyId?: string };
  /** `ClientToken`: ASCII, at most 64 characters. */
  clientToken?: string;
}

/** Response. */
export interface StartTerminalSessionResponse {
  /** `RequestId`. */
  requestId?: string;
  /** `SessionId`, e.g. `s-hz023od0x9****`. */
  sessionId: string;
  /** `SecurityToken`, sent in the WebSocket request. */
  securityToken?: string;
  /** `WebSocketUrl`. */
  webSocketUrl?: string;
  /** The cloud's clock when it answered (its `Date` header). */
  serverDate?: Date;
}

/** Every code the API reference lists, with what to do about it. */
export const START_TERMINAL_SESSION_ERRORS: ErrorHints = {
  "RegionId.ApiNotSupported": "Session Manager is not available in this region: pick another region.",
  "PortNumber.Invalid": "Use a port between 1 and 65535.",
  "InvalidParameter.ConnectionType": "Set connectionType to Internet or Intranet.",
  "InvalidClientToken.Malformed": "Use a clientToken of at most 64 ASCII characters.",
  "InternalError.Dispatch": "The cloud failed to dispatch the request: retry later.",
  "InstanceIds.ExceedLimit": "Pass a single instance id.",
  "SessionCount.ExceedLimit":
    "Too many sessions: at most 100 active per region and 20 connected per instance. End unused sessions first.",
  "Operation.Forbidden": "The operation is not permitted for this instance or account.",
  "PortForwarding.NotSupported": "Port forwarding is not supported here: remove portNumber/targetServer.",
  "UserBehavior.SessionManagerDisabled":
    "Session Manager is disabled for this account: enable it in the ECS console.",
  "InvalidCommandLine.Conflict": "Remove portNumber/targetServer, or remove commandLine.",
  "InvalidTargetServer.MissingPortNumber": "Set portNumber together with targetServer.",
  "InvalidCommandLine.LengthLimitExceeded": "Shorten commandLine to at most 512 characters.",
  "InvalidInstanceIds.CountLimitExceeded":
    "Pass a single instance id when targetServer or commandLine is set.",
  "Username.ExceedLimit": "Use a shorter username.",
  "InvalidOperation.SecurityGroupRuleDenied":
    "The instance's security group inbound rules deny this: allow the Session Manager traffic.",
  "InvalidTargetServer.LengthLimitExceeded": "Shorten targetServer to at most 128 characters.",
  "InvalidOperation.ConnectionTypeUnsupported": "Use the other connectionType (Internet or Intranet).",
  "InvalidPasswordName.LengthLimitExceeded": "Shorten passwordName to at most 255 characters.",
  "InvalidEncryptionOptionsMode.EncryptionDisabled": "Set encryptionOptions.enabled to true, or remove mode.",
  "InvalidParameter.EncryptionOptionsKMSKeyId":
    "Check encryptionOptions.kmsKeyId (a symmetric KMS key, mode Kms).",
  "InvalidParameter.EncryptionOptionsMode": "Set encryptionOptions.mode to Auto or Kms.",
  "MissingParameter.EncryptionOptionsKMSKeyId": "Set encryptionOptions.kmsKeyId when mode is Kms.",
  "UnsupportedAgentVersion.Encryption":
    "Upgrade the Cloud Assistant agent on the instance, or disable encryption.",
  "InvalidEncryptionOptions.Conflict": "Encryption cannot be used with port forwarding: remove one of them.",
  IdempotentParameterMismatch:
    "This clientToken was already used with other parameters: change clientToken or restore the parameters.",
  IdempotentProcessing: "A request with this clientToken is still being processed: retry later.",
  "InvalidRegionId.NotFound": "Check the region: it does not exist.",
  "InvalidInstance.NotFound":
    "Check instanceIds: the instance does not exist in this region (or is not running the Cloud Assistant agent).",
};

/** Codes worth retrying for this operation (beyond throttling, 5xx and network errors). */
export const START_TERMINAL_SESSION_RETRYABLE: readonly string[] = ["IdempotentProcessing"];

/** The query parameters for a request. */
export function startTerminalSessionParams(req: StartTerminalSessionRequest): Record<string, unknown> {
  const enc = req.encryptionOptions;
  return {
    RegionId: req.regionId,
    InstanceId: req.instanceIds,
    PortNumber: req.portNumber,
    CommandLine: req.commandLine,
    TargetServer: req.targetServer,
    Username: req.username,
    ConnectionType: req.connectionType,
    PasswordName: req.passwordName,
    // The API takes the object as one JSON-encoded parameter, with its own key spelling.
    EncryptionOptions: enc
      ? JSON.stringify({ Enabled: enc.enabled, Mode: enc.mode, KMSKeyId: enc.kmsKeyId })
      : undefined,
    ClientToken: req.clientToken,
  };
}

/** Calls StartTerminalSession, retrying throttling, 5xx, network errors and IdempotentProcessing. */
export async function startTerminalSession(
  client: AlicloudRpcClient,
  req: StartTerminalSessionRequest,
): Promise<StartTerminalSessionResponse> {
  const { body, serverDate } = await client.call("StartTerminalSession", startTerminalSessionParams(req), {
    hints: START_TERMINAL_SESSION_ERRORS,
    retry: { retryableCodes: START_TERMINAL_SESSION_RETRYABLE },
  });
  const sessionId = body.SessionId;
  if (typeof sessionId !== "string" || sessionId === "") {
    throw new Error(`StartTerminalSession returned no SessionId (request id ${String(body.RequestId)})`);
  }
  return {
    requestId: typeof body.RequestId === "string" ? body.RequestId : undefined,
    sessionId,
    securityToken: typeof body.SecurityToken === "string" ? body.SecurityToken : undefined,
    webSocketUrl: typeof body.WebSocketUrl === "string" ? body.WebSocketUrl : undefined,
    serverDate,
  };
}

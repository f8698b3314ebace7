/**
 * The error codes of StartTerminalSession, DescribeTerminalSessions and EndTerminalSession, with
 * the HTTP status and message of the API reference's error tables.
 */
import { ApiError } from "../../protocol/apiError";

const e = (status: number, code: string, message: string) => () => new ApiError(status, code, message);

export const ecsErrors = {
  // Common to the three actions.
  missingParameter: (name: string) =>
    new ApiError(
      400,
      "MissingParameter",
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    ),
  regionApiNotSupported: e(400, "RegionId.ApiNotSupported", "The api is not supported in this region."),
  /** The two tables word it differently: Describe's message, then Start's. */
  regionNotFound: e(404, "InvalidRegionId.NotFound", "The specified parameter RegionId does not exist."),
  regionNotFoundInRecords: e(
    404,
    "InvalidRegionId.NotFound",
    "The RegionId provided does not exist in our records.",
  ),

  // StartTerminalSession.
  portNumberInvalid: e(400, "PortNumber.Invalid", "The port number is invalid."),
  connectionTypeInvalid: e(
    400,
    "InvalidParameter.ConnectionType",
    "The specified parameter ConnectionType is not valid.",
  ),
  clientTokenMalformed: e(
    400,
    "InvalidClientToken.Malformed",
    "The specified parameter clientToken is not valid.",
  ),
  dispatchFailed: e(500, "InternalError.Dispatch", "An error occurred when you dispatched the request."),
  instanceIdsExceedLimit: e(
    403,
    "InstanceIds.ExceedLimit",
    "The number of instance IDs exceeds the upper limit.",
  ),
  sessionCountExceedLimit: e(
    403,
    "SessionCount.ExceedLimit",
    "The number of sessions exceeds the upper limit.",
  ),
  operationForbidden: e(403, "Operation.Forbidden", "The operation is not permitted."),
  portForwardingNotSupported: e(
    403,
    "PortForwarding.NotSupported",
    "Port forwarding is not supported currently.",
  ),
  sessionManagerDisabled: e(
    403,
    "UserBehavior.SessionManagerDisabled",
    "The api is disabled by user behavior.",
  ),
  commandLineConflict: e(
    403,
    "InvalidCommandLine.Conflict",
    "The parameter PortNumber or TargetServer cannot be specified with parameter CommandLine.",
  ),
  targetServerMissingPort: e(
    403,
    "InvalidTargetServer.MissingPortNumber",
    "The parameter PortNumber must be specified with parameter TargetServer.",
  ),
  commandLineTooLong: e(
    403,
    "InvalidCommandLine.LengthLimitExceeded",
    "The length of the parameter CommandLine exceeded the limit of 512 characters.",
  ),
  instanceCountLimitExceeded: e(
    403,
    "InvalidInstanceIds.CountLimitExceeded",
    "The count of Instances exceeded the maximum limit of 1 when TargetServer or CommandLine parameter was specified.",
  ),
  usernameTooLong: e(403, "Username.ExceedLimit", "The length of the username exceeds the upper limit."),
  securityGroupDenied: e(
    403,
    "InvalidOperation.SecurityGroupRuleDenied",
    "The operation is not allowed by the security group inbound rules of the specified instance.",
  ),
  targetServerTooLong: e(
    403,
    "InvalidTargetServer.LengthLimitExceeded",
    "The length of the parameter TargetServer exceeded the limit of 128 characters.",
  ),
  connectionTypeUnsupported: e(
    403,
    "InvalidOperation.ConnectionTypeUnsupported",
    "The operation is not supported for the parameter ConnectionType.",
  ),
  passwordNameTooLong: e(
    403,
    "InvalidPasswordName.LengthLimitExceeded",
    "The length of the parameter PasswordName exceeds the limit of 255 characters.",
  ),
  encryptionModeWhileDisabled: e(
    403,
    "InvalidEncryptionOptionsMode.EncryptionDisabled",
    "EncryptionOptions.Mode cannot be specified when encryption is disabled.",
  ),
  kmsKeyIdInvalid: e(
    403,
    "InvalidParameter.EncryptionOptionsKMSKeyId",
    "The specified parameter EncryptionOptions.KMSKeyId is not valid.",
  ),
  encryptionModeInvalid: e(
    403,
    "InvalidParameter.EncryptionOptionsMode",
    "The specified parameter EncryptionOptions.Mode is not valid.",
  ),
  kmsKeyIdMissing: e(
    403,
    "MissingParameter.EncryptionOptionsKMSKeyId",
    "The input parameter EncryptionOptions.KMSKeyId that is mandatory for processing this request is not supplied.",
  ),
  agentTooOldForEncryption: (instanceId: string) =>
    new ApiError(
      403,
      "UnsupportedAgentVersion.Encryption",
      `The cloud assistant agent version on instance ${instanceId} do not support encryption.`,
    ),
  encryptionConflict: e(
    403,
    "InvalidEncryptionOptions.Conflict",
    "The parameter PortNumber or TargetServer cannot be specified with parameter EncryptionOptions.",
  ),
  idempotentMismatch: e(
    403,
    "IdempotentParameterMismatch",
    "The specified parameter has changed while using an already used clientToken.",
  ),
  idempotentProcessing: e(
    403,
    "IdempotentProcessing",
    "The previous idempotent request(s) is still processing.",
  ),
  instanceNotFound: e(404, "InvalidInstance.NotFound", "The specified instances not found."),
  /** Not in the seed's table: EncryptionOptions that is not a JSON object (the gateway's generic code). */
  encryptionOptionsMalformed: e(
    400,
    "InvalidParameter",
    "The specified parameter EncryptionOptions is not valid.",
  ),

  // DescribeTerminalSessions.
  nextTokenInvalid: e(400, "InvalidParameter.NextToken", "The specified parameter NextToken is not valid."),
  maxResultsInvalid: e(
    400,
    "InvalidParameter.MaxResults",
    "The specified parameter MaxResults is not valid.",
  ),

  // EndTerminalSession.
  sessionNotFound: e(404, "InvalidSessionId.NotFound", "The specified SessionId does not exist."),
};

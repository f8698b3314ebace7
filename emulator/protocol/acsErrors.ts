/**
 * Gateway-level errors of Alibaba Cloud's RPC endpoints (authentication, routing, throttling),
 * with the HTTP status and code the real gateway returns. Service-specific codes live with
 * each service.
 */
import { ApiError } from "./apiError";
import type { StandardErrors } from "./types";

export const acsErrors = {
  missingParameter: (name: string) =>
    new ApiError(
      400,
      "MissingParameter",
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    ),
  incompleteSignature: (detail: string) =>
    new ApiError(
      400,
      "IncompleteSignature",
      `The request signature does not conform to Aliyun standards. ${detail}`,
    ),
  invalidSignatureMethod: (algorithm: string) =>
    new ApiError(400, "InvalidSignatureMethod", `Specified signature method ${algorithm} is not supported.`),
  signatureDoesNotMatch: (detail: string) =>
    new ApiError(
      400,
      "SignatureDoesNotMatch",
      `Specified signature is not matched with our calculation. ${detail}`,
    ),
  accessKeyNotFound: () =>
    new ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."),
  missingSecurityToken: () =>
    new ApiError(
      400,
      "MissingSecurityToken",
      "The input parameter SecurityToken is mandatory for an STS access key.",
    ),
  securityTokenMismatch: () =>
    new ApiError(
      400,
      "InvalidSecurityToken.MismatchWithAccessKey",
      "Specified SecurityToken mismatch with the AccessKey.",
    ),
  securityTokenExpired: () =>
    new ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."),
  securityTokenMalformed: () =>
    new ApiError(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed."),
  timestampFormat: () =>
    new ApiError(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."),
  timestampExpired: () =>
    new ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."),
  nonceUsed: () => new ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already."),
  invalidVersion: () => new ApiError(400, "InvalidVersion", "Specified parameter Version is not valid."),
  actionNotFound: () =>
    new ApiError(
      404,
      "InvalidAction.NotFound",
      "Specified api is not found, please check your url and method.",
    ),
  unsupportedMethod: () =>
    new ApiError(400, "UnsupportedHTTPMethod", "Specified HTTP method is not supported. Use GET or POST."),
};

export const acsStandardErrors: StandardErrors = {
  internal: () =>
    new ApiError(
      500,
      "InternalError",
      "The request processing has failed due to some unknown error, exception or failure.",
    ),
  throttling: () => new ApiError(400, "Throttling.User", "Request was denied due to user flow control."),
  unavailable: () =>
    new ApiError(
      503,
      "ServiceUnavailable",
      "The request has failed due to a temporary failure of the server.",
    ),
  forbidden: (status, reason) => new ApiError(status, "Forbidden", reason),
};

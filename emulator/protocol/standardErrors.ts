/**
 * The errors the server raises itself (unexpected exception, injected throttle or outage), in the
 * spelling of the protocol that carries the request. A protocol may supply its own through
 * `WireProtocol.standardErrors`; otherwise the name decides (AWS JSON vs Alibaba RPC).
 */
import { ApiError } from "./apiError";
import { acsStandardErrors } from "./acsErrors";
import type { StandardErrors, WireProtocol } from "./types";

const awsStandardErrors: StandardErrors = {
  internal: () => new ApiError(500, "InternalServerError", "An error occurred on the server side."),
  throttling: () => new ApiError(400, "ThrottlingException", "Rate exceeded"),
  unavailable: () => new ApiError(503, "ServiceUnavailable", "Service is unavailable. Try again later."),
  forbidden: (status, reason) => new ApiError(status, "AccessDeniedException", reason),
};

export function standardErrorsFor(protocol: WireProtocol): StandardErrors {
  if (protocol.standardErrors) return protocol.standardErrors;
  return /aws/i.test(protocol.name) ? awsStandardErrors : acsStandardErrors;
}

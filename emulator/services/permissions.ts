/**
 * Keys without permission: a credential's `deny` list names services (`das`) or actions
 * (`das:CreateKillInstanceSessionTask`) it may not call, which answer the way each cloud
 * answers a caller its access policies do not allow. The local cloud evaluates no RAM or IAM
 * policies beyond this list.
 */
import type { Credential } from "../config";
import { NO_PERMISSION } from "./das/errors";
import { ApiError } from "../protocol/apiError";

const DENIED: Record<string, (action: string) => ApiError> = {
  // DAS API reference (CreateKillInstanceSessionTask): 403 NoPermission.
  das: () => new ApiError(403, NO_PERMISSION, "You are not authorized to do this action."),
  // Alibaba Cloud's common error for a RAM user without the action.
  ecs: () =>
    new ApiError(
      403,
      "Forbidden.RAM",
      "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
    ),
  // AWS JSON: AccessDeniedException, HTTP 400.
  ssm: (action) =>
    new ApiError(400, "AccessDeniedException", `User is not authorized to perform: ssm:${action}`),
};

/** Throws the service's permission error when `credential` may not call `service:action`. */
export function checkPermission(credential: Credential | undefined, service: string, action: string): void {
  const deny = credential?.deny;
  if (!deny || !(deny.includes(service) || deny.includes(`${service}:${action}`))) return;
  throw (DENIED[service] ?? DENIED.ecs)(action);
}

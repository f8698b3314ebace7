/**
 * DAS errors. The API reference's table lists two codes, 400 InvalidParams and 403 NoPermission.
 * They reach callers two ways (why both: the evidence is in backend.ts's header):
 * - Malformed requests (a required parameter missing, a JSON array that does not parse, a boolean
 *   that is neither true nor false) fail at the gateway as HTTP 400 with the usual Alibaba error
 *   body: `ApiError`, thrown.
 * - Requests that are well formed but name something that does not fit (an unknown instance, an
 *   engine DAS cannot kill sessions on, a node that is not in the cluster, an unknown task) come
 *   back the way DAS reports business failures: HTTP 200 with `Success: false`. `Code` keeps its
 *   documented type (an integer, the HTTP-style status) and `Message` starts with the error code:
 *   `{"Code": 400, "Message": "InvalidParams: ...", "Success": false, "RequestId": "..."}`.
 *   `DasFailure`, returned by the backend and encoded by the handlers.
 * NoPermission is HTTP 403 for a key whose `deny` list names DAS or the action
 * (emulator/services/permissions.ts); the local cloud evaluates no RAM policies.
 */
import { ApiError } from "../../protocol/apiError";

export const INVALID_PARAMS = "InvalidParams";
export const NO_PERMISSION = "NoPermission";

/** HTTP 400 InvalidParams for a malformed request; `detail` says which parameter and why. */
export function invalidParams(detail: string): ApiError {
  return new ApiError(400, INVALID_PARAMS, `The request parameters are invalid. ${detail}`);
}

/** A business failure DAS reports inside an HTTP 200 response. */
export class DasFailure {
  constructor(
    /** The documented code (`InvalidParams`), put at the start of `Message`. */
    readonly code: string,
    /** The HTTP-style status that goes into `Code`. */
    readonly status: number,
    readonly detail: string,
  ) {}

  /** The response body without `RequestId` (the protocol adds it). */
  body(): Record<string, unknown> {
    return { Code: this.status, Message: `${this.code}: ${this.detail}`, Success: false };
  }
}

export const dasFailures = {
  instanceNotFound: (instanceId: string) =>
    new DasFailure(INVALID_PARAMS, 400, `The instance ${instanceId} does not exist.`),
  engineNotSupported: (instanceId: string) =>
    new DasFailure(
      INVALID_PARAMS,
      400,
      `The instance ${instanceId} is not supported: this operation is applicable only to ApsaraDB RDS for MySQL instances and PolarDB for MySQL clusters.`,
    ),
  nodeNotFound: (instanceId: string, nodeId: string) =>
    new DasFailure(INVALID_PARAMS, 400, `The node ${nodeId} does not belong to the instance ${instanceId}.`),
  nodeIdRequired: (instanceId: string) =>
    new DasFailure(
      INVALID_PARAMS,
      400,
      `NodeId must be specified for the PolarDB for MySQL cluster ${instanceId} unless KillAllSessions is true.`,
    ),
  nodeIdRequiredForResult: (instanceId: string) =>
    new DasFailure(
      INVALID_PARAMS,
      400,
      `NodeId must be specified for the PolarDB for MySQL cluster ${instanceId}.`,
    ),
  noNodes: (instanceId: string) =>
    new DasFailure(INVALID_PARAMS, 400, `The PolarDB for MySQL cluster ${instanceId} has no nodes.`),
  taskNotFound: (taskId: string) =>
    new DasFailure(INVALID_PARAMS, 400, `The task ${taskId} does not exist for this instance or node.`),
};

/**
 * A documented API error. The protocol layer encodes it per wire format:
 * Alibaba `{RequestId, HostId, Code, Message, Recommend}` with `httpStatus`;
 * AWS `{"__type": code, "message": message}` with `httpStatus`.
 */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

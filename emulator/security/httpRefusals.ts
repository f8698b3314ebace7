/**
 * What the HTTP server itself turns away, each with its status and the one line the peer reads
 * (docs/protocols/control-plane.md lists them). No reason repeats what the peer sent: a URL or a
 * header may carry a token.
 */
import type { Limits } from "../limits";
import type { Refusal } from "./refusal";

export const httpRefusals = {
  connectionCap: (limits: Pick<Limits, "maxConnections">): Refusal => ({
    status: 503,
    reason:
      `The local cloud is serving its maximum of ${limits.maxConnections} connections: close some ` +
      `(or raise limits.maxConnections) and retry.`,
  }),
  headersTooLarge: (limits: Pick<Limits, "maxHeaderBytes">): Refusal => ({
    status: 431,
    reason: `The request line and headers exceed ${limits.maxHeaderBytes} bytes (limits.maxHeaderBytes).`,
  }),
  tooSlow: (limits: Pick<Limits, "headersTimeoutMs" | "requestTimeoutMs">): Refusal => ({
    status: 408,
    reason:
      `The request did not arrive in time: headers are awaited ${limits.headersTimeoutMs} ms, ` +
      `the whole request ${limits.requestTimeoutMs} ms (limits.headersTimeoutMs, limits.requestTimeoutMs).`,
  }),
  notHttp: (code: string): Refusal => ({
    status: 400,
    reason: `The request is not valid HTTP/1.1 (${code}).`,
  }),
  bodyTooLarge: (max: number, limitName: "maxBodyBytes" | "maxAdminBodyBytes"): Refusal => ({
    status: 413,
    reason: `The request body exceeds ${max} bytes (limits.${limitName}).`,
  }),
  upgradeUnreadable: (errorName: string): Refusal => ({
    status: 400,
    reason: `The upgrade request could not be read (${errorName}): check its path and query.`,
  }),
  noUpgradeEndpoint: (): Refusal => ({
    status: 404,
    reason:
      "No WebSocket endpoint at this path: session URLs are /session (ECS) and " +
      "/v1/data-channel/<SessionId> (SSM), as StartTerminalSession and StartSession return them.",
  }),
};

/** The refusal for an error Node's HTTP parser reports (`clientError`); undefined when the peer is gone. */
export function clientErrorRefusal(
  err: NodeJS.ErrnoException,
  limits: Pick<Limits, "maxHeaderBytes" | "headersTimeoutMs" | "requestTimeoutMs">,
): Refusal | undefined {
  switch (err.code) {
    case "ECONNRESET":
    case "EPIPE":
      return undefined;
    case "HPE_HEADER_OVERFLOW":
      return httpRefusals.headersTooLarge(limits);
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return httpRefusals.tooSlow(limits);
    default:
      return httpRefusals.notHttp(err.code ?? err.name);
  }
}

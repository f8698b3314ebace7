import type { IncomingHttpHeaders } from "node:http";
import type { Clock } from "../clock";
import type { Credential } from "../config";
import type { CallContext, Service } from "../services/types";
import type { ApiError } from "./apiError";

/** An HTTP request as the server read it, body included. */
export interface RawRequest {
  method: string;
  /** Path and query, as sent (`/?Action=...`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  remoteAddress: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a protocol resolved a request to: which service, which action, with what. */
export interface Dispatch {
  service: Service;
  action: string;
  params: Record<string, unknown>;
  ctx: CallContext;
}

export interface ProtocolEnv {
  /** Read on every request: the admin API may add keys at run time. */
  credentials(): Credential[];
  services: Service[];
  /** Signature freshness (the real time: clients sign with it). */
  clock: Clock;
  /** When STS keys expire, judged by the service clock (tests move it); default `clock`. */
  credentialClock?: Clock;
}

/**
 * One wire format (Alibaba RPC with ACS3-HMAC-SHA256, AWS JSON 1.1 with SigV4).
 * `parse` authenticates and resolves the action; it throws `ApiError` for auth and
 * parse failures, which `encodeError` of the same protocol turns into the wire shape.
 */
export interface WireProtocol {
  name: string;
  matches(req: RawRequest): boolean;
  parse(req: RawRequest, env: ProtocolEnv, requestId: string): Dispatch;
  encodeResult(dispatch: Dispatch, result: Record<string, unknown>): RawResponse;
  encodeError(error: ApiError, requestId: string): RawResponse;
  /**
   * Optional: this wire format's own errors for failures the server raises itself (an unexpected
   * exception, an injected throttle or outage). When absent, the server picks them by protocol name
   * (see emulator/protocol/standardErrors.ts).
   */
  standardErrors?: StandardErrors;
}

/** The errors the server itself raises, spelled the way each cloud spells them. */
export interface StandardErrors {
  /** An unexpected exception in a handler (Alibaba `InternalError` 500, AWS `InternalServerError` 500). */
  internal(): ApiError;
  /** An injected throttle (Alibaba `Throttling.User` 400, AWS `ThrottlingException` 400). */
  throttling(): ApiError;
  /** An injected outage (503 `ServiceUnavailable`). */
  unavailable(): ApiError;
  /**
   * The local cloud's own refusal of a request (a foreign Host or Origin): Alibaba `Forbidden`, AWS
   * `AccessDeniedException`, with the reason as the message.
   */
  forbidden(status: number, reason: string): ApiError;
}

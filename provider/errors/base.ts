/**
 * The error shapes every cloud client in the provider shares.
 *
 * Match errors by `name` and `code` (see {@link hasErrorCode}), never by `instanceof`
 * alone: a serialized provider can load a second copy of this module, and an error made by
 * one copy is not an instance of the other copy's class.
 */

import { redactedCause, redactSecrets } from "./redact";

/** Hints for the codes an operation documents: code -> what the user should do. */
export type ErrorHints = Readonly<Record<string, string>>;

/** Node, undici and httpx error codes that mean the request never got a complete answer. */
export const TRANSPORT_ERROR_CODES: readonly string[] = [
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
];

/**
 * Node's codes for a failed TLS handshake: `EPROTO` (https to a plain http server), and those of
 * a certificate it does not trust (an intercepting proxy).
 */
export const TLS_FAILURE_CODES: readonly string[] = [
  "EPROTO",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
];

/** True for a failed TLS handshake: one of {@link TLS_FAILURE_CODES}, or OpenSSL's `ERR_SSL_*`. */
export function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith("ERR_SSL_") || TLS_FAILURE_CODES.includes(code));
}

/** What to do about a failed TLS handshake, for either cloud. */
export const TLS_FAILURE_HINT =
  "The TLS handshake failed: use http:// for an endpoint override that serves plain HTTP (the local cloud), " +
  "and behind a proxy that intercepts TLS set NODE_EXTRA_CA_CERTS to its certificate.";

/** Which cloud an API error came from. */
export type Cloud = "alicloud" | "aws";

/** What a {@link ProviderApiError} is built from. */
export interface ProviderApiErrorInit {
  /** The cloud that answered (or failed to). */
  cloud: Cloud;
  /** The API operation, e.g. `StartTerminalSession`. */
  operation: string;
  /** The cloud's error code (`InvalidSessionId.NotFound`), or a transport code (`ECONNRESET`). */
  code: string;
  /** The cloud's own message, as returned. */
  cloudMessage: string;
  /** The request id the cloud returned, for support tickets. */
  requestId?: string;
  /** The HTTP status; absent for transport failures. */
  httpStatus?: number;
  /** One sentence telling the user what to do about it. */
  hint: string;
  /** True when the request never got a complete answer (connection reset, timeout, bad body). */
  transport?: boolean;
  /** Seconds the cloud asked us to wait before retrying (throttling). */
  retryAfterSeconds?: number;
  /** What the SDK threw, kept for debugging as a scrubbed copy (see `redact.ts`). */
  cause?: unknown;
}

/**
 * An API call that failed. Carries the code, request id, HTTP status and an actionable
 * sentence; the retry loop records `attempts` and `totalDelayMs` on the final one, and the
 * message then says how many attempts were made.
 *
 * Nothing it carries holds a secret: its message, hint and cause (a copy of what the SDK threw,
 * its fields and cause chain included) lose every query string and every secret-named value.
 *
 * It prints as one line wherever it goes: the dynamic provider host logs a failed check, diff,
 * read or delete as `${err}: ${err.stack}`, so `toString()` is the name and `stack` the
 * message, without frames (they would point into this package's compiled files; the SDK's
 * error in `cause` keeps its own).
 */
export class ProviderApiError extends Error {
  /** The cloud that answered. */
  readonly cloud: Cloud;
  /** The API operation. */
  readonly operation: string;
  /** The cloud's error code, or a transport code. */
  readonly code: string;
  /** The cloud's own message. */
  readonly cloudMessage: string;
  /** The request id, when the cloud returned one. */
  readonly requestId?: string;
  /** The HTTP status, when there was a response. */
  readonly httpStatus?: number;
  /** What the user can do about it. */
  readonly hint: string;
  /** True for failures below HTTP (no complete response). */
  readonly transport: boolean;
  /** Seconds the cloud asked us to wait (throttling). */
  readonly retryAfterSeconds?: number;
  /** How many attempts were made (see {@link recordAttempts}). */
  attempts?: number;
  /** Total time slept between attempts (see {@link recordAttempts}). */
  totalDelayMs?: number;
  private readonly init: ProviderApiErrorInit;

  constructor(raw: ProviderApiErrorInit) {
    // Whatever the SDK said may quote the request URL (every parameter, passwords included).
    const init = {
      ...raw,
      cloudMessage: redactSecrets(raw.cloudMessage),
      hint: redactSecrets(raw.hint),
      cause: redactedCause(raw.cause),
    };
    super(formatApiErrorMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.init = init;
    this.stack = this.message;
    this.name = "ProviderApiError";
    this.cloud = init.cloud;
    this.operation = init.operation;
    this.code = init.code;
    this.cloudMessage = init.cloudMessage;
    this.requestId = init.requestId;
    this.httpStatus = init.httpStatus;
    this.hint = init.hint;
    this.transport = init.transport ?? false;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** Records how hard the call was tried; the message then says so. */
  recordAttempts(attempts: number, totalDelayMs: number): void {
    this.attempts = attempts;
    this.totalDelayMs = totalDelayMs;
    this.message = formatApiErrorMessage(this.init, attempts);
    this.stack = this.message;
  }

  /** The name only: the host prints `${err}: ${err.stack}`, and the stack is the message. */
  override toString(): string {
    return this.name;
  }
}

function formatApiErrorMessage(init: ProviderApiErrorInit, attempts?: number): string {
  const where = [
    init.httpStatus === undefined ? undefined : `HTTP ${init.httpStatus}`,
    init.requestId ? `request id ${init.requestId}` : undefined,
    attempts === undefined ? undefined : `${attempts} attempt${attempts === 1 ? "" : "s"}`,
  ].filter((s): s is string => s !== undefined);
  const detail = where.length > 0 ? ` (${where.join(", ")})` : "";
  const said = init.cloudMessage ? `: ${init.cloudMessage.replace(/\.$/, "")}` : "";
  return `${init.operation} failed with ${init.code}${detail}${said}. ${init.hint}`;
}

/** The `code` of any error-like value, or undefined. */
export function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** True when the error carries one of the codes (by value, so copies of modules agree). */
export function hasErrorCode(err: unknown, ...codes: string[]): boolean {
  const code = errorCode(err);
  return code !== undefined && codes.includes(code);
}

/** True when the error's `name` is `name` (works across module copies, unlike `instanceof`). */
export function isErrorNamed(err: unknown, name: string): boolean {
  return err !== null && typeof err === "object" && (err as { name?: unknown }).name === name;
}

/**
 * Thrown by `create` when the cloud object exists but the step still failed. The dynamic
 * provider host reads `id`, `properties` and `reasons` and the engine records a partially
 * created resource, so nothing created is forgotten. `properties` must carry `__provider`
 * itself: the host adds it to successful results only.
 */
export class ResourceInitError extends Error {
  /** The id of the object that exists. */
  readonly id: string;
  /** The outputs to record (inputs, everything known, `__provider`). */
  readonly properties: Record<string, unknown>;
  /** Why the step failed, shown by the engine. */
  readonly reasons: string[];

  constructor(message: string, id: string, properties: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ResourceInitError";
    this.id = id;
    this.properties = properties;
    this.reasons = [message];
  }
}

/** An error in the provider's own configuration (stack config, environment). */
export class ProviderConfigError extends Error {
  /** The configuration key at fault, e.g. `sessions:ecsEndpoint`. */
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.name = "ProviderConfigError";
    this.key = key;
  }
}

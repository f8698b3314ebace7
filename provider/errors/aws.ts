/**
 * AWS errors: what `@aws-sdk/client-ssm` (and Node below it) throws, turned into one error type.
 *
 * The SDK turns the JSON 1.1 body `{"__type": "<Code>", "message": ...}` into an error whose
 * `name` is the code (namespace prefix stripped), with `$fault` (client/server) and
 * `$metadata` (`httpStatusCode`, `requestId`, and, stamped by its retry middleware,
 * `attempts` and `totalRetryDelay`). Unmodeled codes (`ValidationException`,
 * `ThrottlingException`) arrive as `SSMServiceException` instances carrying that `name`.
 * Below HTTP: Node's errors (`ECONNREFUSED`, ...), `TimeoutError`, a `SyntaxError` for a body
 * that is not JSON, and `CredentialsProviderError` when the default chain finds nothing.
 */
import type { ErrorHints } from "./alicloud";
import {
  isTlsFailure,
  ProviderApiError,
  TLS_FAILURE_CODES,
  TLS_FAILURE_HINT,
  TRANSPORT_ERROR_CODES,
  type ProviderApiErrorInit,
} from "./base";

/** The name every AWS API error carries; match on it, not on the class. */
export const AWS_API_ERROR = "AwsApiError";

/** Hints for codes any AWS JSON API can return. */
const COMMON_HINTS: ErrorHints = {
  UnrecognizedClientException:
    "AWS does not know this access key: check aws:accessKey / AWS_ACCESS_KEY_ID, or the profile (aws:profile / AWS_PROFILE).",
  InvalidClientTokenId:
    "AWS does not know this access key: check aws:accessKey / AWS_ACCESS_KEY_ID, or the profile (aws:profile / AWS_PROFILE).",
  InvalidSignatureException:
    "The secret key does not match the access key: check aws:secretKey / AWS_SECRET_ACCESS_KEY and the system clock.",
  SignatureDoesNotMatch:
    "The secret key does not match the access key: check aws:secretKey / AWS_SECRET_ACCESS_KEY and the system clock.",
  IncompleteSignatureException:
    "The request signature is incomplete: check the credentials and the system clock.",
  MissingAuthenticationTokenException: "The request was not signed: configure AWS credentials.",
  ExpiredTokenException:
    "The session token expired: refresh aws:token / AWS_SESSION_TOKEN, or log in again (aws sso login).",
  UnknownOperationException: "The endpoint does not serve AWS Systems Manager: check sessions:ssmEndpoint.",
  ThrottlingException:
    "Systems Manager kept throttling the calls after retries: wait a minute and run again.",
  InternalServerError: "Systems Manager had an internal error (retried without success): run again later.",
  ServiceUnavailable:
    "Systems Manager is temporarily unavailable (retried without success): run again later.",
  ValidationException: "Systems Manager rejected a parameter: see its message above.",
};

/** The name of an error the SDK re-wrapped, in the wrapper's message. */
const WRAPPED = /^AWS SDK error wrapper for (\w+)/;

/** An AWS API call that failed (HTTP error, or a failure before or below HTTP). */
export class AwsApiError extends ProviderApiError {
  constructor(init: Omit<ProviderApiErrorInit, "cloud">) {
    super({ ...init, cloud: "aws" });
    this.name = AWS_API_ERROR;
  }
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * Converts anything the SDK (or Node below it) threw into an {@link AwsApiError}. `hints` are
 * the operation's documented codes; common codes have hints of their own. The SDK's retry
 * count is carried over as `attempts`/`totalDelayMs`, so messages show how hard it tried.
 */
export function toAwsError(err: unknown, operation: string, hints: ErrorHints = {}): AwsApiError {
  if (field(err, "name") === AWS_API_ERROR) return err as AwsApiError;
  const metadata = field(err, "$metadata");
  const status = num(field(metadata, "httpStatusCode"));
  const message = str(field(err, "message")) ?? String(err);
  // The SDK's retry middleware re-wraps errors from another realm (jest sandboxes, a second copy
  // of Node's modules) as "AWS SDK error wrapper for TimeoutError: socket hang up": the name
  // and code then survive only in the message.
  const name = WRAPPED.exec(message)?.[1] ?? str(field(err, "name")) ?? "Error";
  const nodeCode =
    str(field(err, "code")) ??
    [...TRANSPORT_ERROR_CODES, ...TLS_FAILURE_CODES].find((code) => message.includes(code));
  let mapped: AwsApiError;
  if (status !== undefined) {
    mapped = new AwsApiError({
      operation,
      code: name,
      cloudMessage: message,
      requestId: str(field(metadata, "requestId")),
      httpStatus: status,
      hint: hints[name] ?? COMMON_HINTS[name] ?? accessHint(name, operation) ?? genericHint(status),
      cause: err,
    });
  } else if (name === "SyntaxError" || field(err, "$response") !== undefined) {
    mapped = new AwsApiError({
      operation,
      code: "InvalidResponse",
      cloudMessage: message,
      hint: "The endpoint answered with something that is not an SSM response: check sessions:ssmEndpoint.",
      transport: true,
      cause: err,
    });
  } else if (
    name === "TimeoutError" ||
    (nodeCode !== undefined && TRANSPORT_ERROR_CODES.includes(nodeCode))
  ) {
    mapped = new AwsApiError({
      operation,
      code: nodeCode ?? "RequestTimeout",
      cloudMessage: message,
      hint: "The request got no complete answer: check the endpoint (sessions:ssmEndpoint) and the network, then run again.",
      transport: true,
      cause: err,
    });
  } else {
    // A failed TLS handshake, or failures before any request: no credentials, a bad region or endpoint.
    mapped = new AwsApiError({
      operation,
      code: nodeCode ?? name,
      cloudMessage: message,
      hint: isTlsFailure(nodeCode)
        ? TLS_FAILURE_HINT
        : name === "CredentialsProviderError" || /credential/i.test(message)
          ? "No AWS credentials were found: set aws:accessKey and aws:secretKey (stack config), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile (aws:profile / AWS_PROFILE)."
          : "The request could not be sent: see the message above.",
      cause: err,
    });
  }
  const attempts = num(field(metadata, "attempts"));
  if (attempts !== undefined) mapped.recordAttempts(attempts, num(field(metadata, "totalRetryDelay")) ?? 0);
  return mapped;
}

function accessHint(code: string, operation: string): string | undefined {
  if (code !== "AccessDeniedException" && code !== "AccessDenied") return undefined;
  return `The caller lacks the IAM permission ssm:${operation}: grant it to the user or role.`;
}

function genericHint(status: number): string {
  if (status >= 500) return "Systems Manager failed to process the request: run again later.";
  if (status === 403) return "The request was refused: check the IAM permissions.";
  return "The request was rejected: check the inputs.";
}

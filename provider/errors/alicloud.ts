/**
 * Alibaba Cloud errors: what `@alicloud/openapi-core` throws, turned into one error type.
 *
 * The SDK throws `ClientError` (4xx), `ServerError` (5xx) and `ThrottlingError` (code
 * containing `Throttling`) with `code`, `statusCode`, `requestId` and the body in `data`
 * (`{RequestId, HostId, Code, Message, Recommend}`). Below HTTP it lets Node's errors
 * through (`ECONNRESET`, "socket hang up"), httpx's `RequestTimeoutError`, and a
 * `SyntaxError` when an error body is not JSON.
 *
 * DAS reports failures two ways (the evidence is in emulator/services/das/backend.ts): as an
 * HTTP 4xx with the usual error body, and inside HTTP 200 as `{Success: false, Code, Message}`
 * where `Code` is the HTTP-style status and `Message` names the documented code. Both become the
 * same error: the documented code, the status, the request id and the operation's hint.
 */
import {
  isTlsFailure,
  ProviderApiError,
  TLS_FAILURE_HINT,
  TRANSPORT_ERROR_CODES,
  type ErrorHints,
  type ProviderApiErrorInit,
} from "./base";

// Kept here too: operation modules of both clouds import it from this module.
export type { ErrorHints };

/**
 * The documented code of each HTTP status an operation's error table lists (DAS: 400
 * InvalidParams, 403 NoPermission), for failures that carry only the status.
 */
export type StatusCodes = Readonly<Record<number, string>>;

/** Hints for codes any Alibaba Cloud API can return. */
const COMMON_HINTS: ErrorHints = {
  InvalidAccessKeyId:
    "Check alicloud:accessKey / ALIBABA_CLOUD_ACCESS_KEY_ID: the cloud does not know this key.",
  "InvalidAccessKeyId.NotFound":
    "Check alicloud:accessKey / ALIBABA_CLOUD_ACCESS_KEY_ID: the cloud does not know this key.",
  SignatureDoesNotMatch:
    "Check alicloud:secretKey / ALIBABA_CLOUD_ACCESS_KEY_SECRET: it does not match the key.",
  IncompleteSignature: "Check the access key secret and the system clock.",
  InvalidSecurityToken: "The STS security token is invalid or expired: refresh alicloud:securityToken.",
  "InvalidSecurityToken.Expired": "The STS security token expired: refresh alicloud:securityToken.",
  Forbidden: "The caller lacks the RAM permission for this action: grant it to the user or role.",
  "Forbidden.RAM": "The caller lacks the RAM permission for this action: grant it to the user or role.",
  NoPermission: "The caller lacks the RAM permission for this action: grant it to the user or role.",
  "InvalidRegionId.NotFound": "Check the region (input `region` or alicloud:region): it does not exist.",
  "RegionId.ApiNotSupported": "Session Manager is not available in this region: pick another region.",
  InternalError: "The cloud had an internal error: retry later.",
  ServiceUnavailable: "The service is temporarily unavailable: retry later.",
};

/** The name every Alibaba Cloud API error carries; match on it, not on the class. */
export const ALICLOUD_API_ERROR = "AlicloudApiError";

/** An Alibaba Cloud API call that failed (HTTP error, business error, or transport failure). */
export class AlicloudApiError extends ProviderApiError {
  constructor(init: Omit<ProviderApiErrorInit, "cloud">) {
    super({ ...init, cloud: "alicloud" });
    this.name = ALICLOUD_API_ERROR;
  }
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && value !== "undefined" ? value : undefined;
}

/**
 * Converts anything the SDK (or Node below it) threw into an {@link AlicloudApiError}.
 * `hints` are the operation's documented codes; common codes have hints of their own.
 */
export function toAlicloudError(
  err: unknown,
  operation: string,
  hints: ErrorHints = {},
  statusCodes: StatusCodes = {},
): AlicloudApiError {
  if (err !== null && typeof err === "object" && (err as { name?: unknown }).name === ALICLOUD_API_ERROR) {
    return err as AlicloudApiError;
  }
  const status = field(err, "statusCode");
  const data = field(err, "data");
  if (typeof status === "number") {
    // The body's fields when there is one; else what the SDK kept of them (its message is its own).
    const failure =
      data !== null && typeof data === "object"
        ? failureOf(data, status, hints, statusCodes)
        : failureOf({ Code: field(err, "code") }, status, hints, statusCodes);
    const code = failure.code;
    const recommend = str(field(data, "Recommend"));
    const retryAfter = field(err, "retryAfter");
    return new AlicloudApiError({
      operation,
      code,
      cloudMessage: failure.message || (str(field(err, "message")) ?? ""),
      requestId: str(field(data, "RequestId")) ?? str(field(err, "requestId")),
      httpStatus: status,
      hint: hints[code] ?? COMMON_HINTS[code] ?? genericHint(status, recommend),
      retryAfterSeconds: typeof retryAfter === "number" && retryAfter > 0 ? retryAfter : undefined,
      cause: err,
    });
  }
  const name = str(field(err, "name")) ?? "";
  const nodeCode = str(field(err, "code"));
  const message = str(field(err, "message")) ?? String(err);
  if (name === "SyntaxError") {
    return new AlicloudApiError({
      operation,
      code: "InvalidResponse",
      cloudMessage: message,
      hint: "The endpoint answered with something that is not an API response: check the endpoint URL.",
      transport: true,
      cause: err,
    });
  }
  if (
    name.includes("RequestTimeout") ||
    (nodeCode !== undefined && TRANSPORT_ERROR_CODES.includes(nodeCode))
  ) {
    return new AlicloudApiError({
      operation,
      code: nodeCode ?? "RequestTimeout",
      cloudMessage: transportMessage(message),
      hint:
        nodeCode === "ECONNREFUSED"
          ? "Nothing accepts connections at this endpoint: check sessions:localCloud or the product's " +
            "endpoint override (sessions:ecsEndpoint, sessions:dasEndpoint), and that the local cloud is running."
          : "The request got no complete answer: check the endpoint and the network, then retry.",
      transport: true,
      cause: err,
    });
  }
  // Everything else (a TLS failure, no credentials found, bad config): keep its code.
  return new AlicloudApiError({
    operation,
    code: nodeCode ?? (name || "Error"),
    cloudMessage: transportMessage(message),
    hint: isTlsFailure(nodeCode)
      ? TLS_FAILURE_HINT
      : nodeCode === "InvalidCredentials" || /credential|profile|cli config/i.test(message)
        ? "Alibaba Cloud credentials could not be loaded: set alicloud:accessKey and alicloud:secretKey, ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, or a valid alicloud:profile."
        : "The request could not be sent: see the message above.",
    cause: err,
  });
}

/**
 * The SDK appends `<METHOD> <url> failed.` to Node's message with no space in between, and
 * the URL carries the whole query (every parameter of the call): keep Node's words and the
 * endpoint, e.g. `connect ECONNREFUSED 127.0.0.1:1 (POST http://127.0.0.1:1/)`.
 */
export function transportMessage(message: string): string {
  const m = /^(.*?)\s*(GET|POST|PUT|DELETE|PATCH|HEAD) (\S+) failed\.?$/s.exec(message);
  if (!m) return message;
  const [, cause, method, url] = m;
  const where = `${method} ${url.split("?")[0]}`;
  return cause.trim() === "" ? `${where} failed` : `${cause.trim()} (${where})`;
}

function genericHint(status: number, recommend: string | undefined): string {
  const more = recommend ? ` See ${recommend}` : "";
  if (status >= 500) return `The cloud failed to process the request: retry later.${more}`;
  if (status === 404) return `The object or region was not found: check the ids.${more}`;
  if (status === 403) return `The request was refused: check permissions and limits.${more}`;
  return `The request was rejected: check the inputs.${more}`;
}

/** A `Code` that is only a number: DAS's HTTP-style status (400), or one of its own (-404). */
const NUMERIC_CODE = /^-?\d+$/;

/**
 * The code and message of a failure body, either form. A named `Code` (`InvalidSessionId.NotFound`)
 * is the code. DAS keeps `Code` a number and names the documented code in `Message`
 * (`{"Code": 400, "Message": "InvalidParams: The instance ... does not exist."}`, or the code
 * alone): the code is taken from there and the message keeps the rest. A number with no name
 * becomes the code the operation documents for that status, else `HTTP<status>`, else (DAS's own
 * codes, e.g. -404) the number as sent.
 */
export function failureOf(
  body: unknown,
  status: number | undefined,
  hints: ErrorHints = {},
  statusCodes: StatusCodes = {},
): { code: string; message: string } {
  const message = str(field(body, "Message")) ?? "";
  const raw = field(body, "Code");
  const code = typeof raw === "number" ? String(raw) : str(raw);
  if (code !== undefined && !NUMERIC_CODE.test(code)) return { code, message };
  const prefixed = /^([A-Za-z][\w.]*):\s*(.*)$/s.exec(message);
  if (prefixed) return { code: prefixed[1], message: prefixed[2] };
  const documented = [...Object.keys(hints), ...Object.values(statusCodes)];
  if (documented.includes(message)) return { code: message, message: "" };
  const n = code === undefined ? status : Number(code);
  if (n === undefined) return { code: "UnknownError", message };
  const named = statusCodes[n];
  if (named !== undefined) return { code: named, message };
  return { code: n >= 100 && n <= 599 ? `HTTP${n}` : String(n), message };
}

/**
 * Turns a business failure reported inside HTTP 200 (DAS: `{Success: false, Code, Message}`)
 * into an error; returns undefined for a successful body. DAS documents `Code` as "the HTTP status
 * code returned": the error carries it as its status, so it reads exactly as the same failure
 * answered with that HTTP status does.
 */
export function alicloudBodyError(
  body: unknown,
  operation: string,
  hints: ErrorHints = {},
  statusCodes: StatusCodes = {},
): AlicloudApiError | undefined {
  if (field(body, "Success") !== false) return undefined;
  const { code, message } = failureOf(body, undefined, hints, statusCodes);
  const reported = Number(field(body, "Code"));
  const httpStatus = reported >= 400 && reported <= 599 ? reported : 200;
  return new AlicloudApiError({
    operation,
    code,
    cloudMessage: message,
    requestId: str(field(body, "RequestId")),
    httpStatus,
    hint: hints[code] ?? COMMON_HINTS[code] ?? genericHint(httpStatus, undefined),
  });
}

/**
 * Classifies a failed call for the retry loop, from fields any of our errors carry
 * (`code`, `httpStatus`/`statusCode`, `name`, `transport`), so it works for every cloud and
 * for errors made by another copy of the module.
 */
import { TRANSPORT_ERROR_CODES } from "../errors/base";

/**
 * Why a call failed, as far as retrying is concerned. `unreachable`: the connection was
 * refused, so nothing listens at the endpoint; the request never arrived, and retrying for
 * half a minute would not make a wrong endpoint right: fail at once.
 */
export type FailureClass = "throttling" | "transient" | "server" | "client" | "unreachable";

/** Extra knowledge a caller has about one operation. */
export interface ClassifyOptions {
  /** Codes that mean "try again later" for this operation (e.g. `IdempotentProcessing`). */
  retryableCodes?: readonly string[];
  /** Codes that must never be retried even if the status says 5xx. */
  fatalCodes?: readonly string[];
}

const THROTTLING = /throttl|toomanyrequests|requestlimitexceeded|slowdown|ratelimit/i;

/** Codes of a request that got no complete answer: Node's, and this package's own two. */
const NETWORK_CODES = new Set([...TRANSPORT_ERROR_CODES, "RequestTimeout", "InvalidResponse"]);

function get(err: unknown, key: string): unknown {
  return err !== null && typeof err === "object" ? (err as Record<string, unknown>)[key] : undefined;
}

/** Sorts a failure into throttling / transient (network, "try later") / server (5xx) / client. */
export function classify(err: unknown, options: ClassifyOptions = {}): FailureClass {
  const code = typeof get(err, "code") === "string" ? (get(err, "code") as string) : "";
  const name = typeof get(err, "name") === "string" ? (get(err, "name") as string) : "";
  // Our errors use httpStatus, the Alibaba SDK statusCode, the AWS SDK $metadata.httpStatusCode.
  const rawStatus =
    get(err, "httpStatus") ?? get(err, "statusCode") ?? get(get(err, "$metadata"), "httpStatusCode");
  const status = typeof rawStatus === "number" ? rawStatus : undefined;

  if (options.fatalCodes?.includes(code)) return "client";
  if (code === "ECONNREFUSED") return "unreachable";
  if (status === 429 || THROTTLING.test(code) || (status === undefined && THROTTLING.test(name)))
    return "throttling";
  if (options.retryableCodes?.includes(code)) return "transient";
  if (get(err, "transport") === true || NETWORK_CODES.has(code) || name.includes("RequestTimeout"))
    return "transient";
  if (status !== undefined && status >= 500) return "server";
  return "client";
}

/** True for throttling, transient and server failures. */
export function isRetryable(failure: FailureClass): boolean {
  return failure !== "client" && failure !== "unreachable";
}

/**
 * The admin API takes JSON bodies only. `Content-Type: application/json` is not one a web page may
 * send cross-site without a preflight; `text/plain` (a "simple" request, sent without asking) is.
 */
import type { Refusal } from "./refusal";

const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/** Null when the method takes no body or the body is declared `application/json`. */
export function jsonBodyRefusal(method: string, contentType: string | undefined): Refusal | null {
  if (!WITH_BODY.has(method.toUpperCase())) return null;
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType === "application/json") return null;
  return {
    status: 415,
    reason: `The admin API takes JSON only: send Content-Type: application/json (got ${JSON.stringify(contentType ?? "none")}).`,
  };
}

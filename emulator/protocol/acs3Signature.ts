/**
 * ACS3-HMAC-SHA256 (Alibaba Cloud signature V3), server side.
 *
 * The client (`@alicloud/openapi-core`) signs:
 *   method \n canonicalUri \n canonicalQuery \n canonicalHeaders \n signedHeaders \n payloadHash
 * and sends `authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=<hex>`.
 * The URL itself is built with `querystring.stringify`, which leaves `! ' ( ) *` raw while the
 * canonical query percent-encodes them, so the server must parse the query and re-encode it with
 * `acsPercentEncode` before comparing: never sign the raw URL text.
 */
import { createHash, createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { secretsEqual } from "../security/secretsEqual";

export const ACS3_ALGORITHM = "ACS3-HMAC-SHA256";

/** `encodeURIComponent` plus `! ' ( ) *`, as openapi-core's canonical query does. */
export function acsPercentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Keys sorted (code-unit order, like JS `sort()`), `key=enc(value)` joined by `&`. */
export function canonicalQuery(query: ReadonlyArray<readonly [string, string]>): string {
  return [...query]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${acsPercentEncode(v)}`)
    .join("&");
}

/** `name:value\n` for each signed header, lower-cased, values trimmed (repeated values sorted and joined by `,`). */
export function canonicalHeaders(headers: IncomingHttpHeaders, signed: readonly string[]): string {
  return signed
    .map((name) => {
      // Names come from the peer: own headers only, never `constructor` of the prototype.
      const raw = Object.hasOwn(headers, name) ? headers[name] : undefined;
      const values = (Array.isArray(raw) ? raw : [raw ?? ""]).map((v) => v.trim()).sort();
      return `${name}:${values.join(",")}\n`;
    })
    .join("");
}

export interface ParsedAuthorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses the `authorization` header; returns undefined when it is not well formed. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const space = header.indexOf(" ");
  if (space <= 0) return undefined;
  const algorithm = header.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return {
    algorithm,
    accessKeyId,
    signedHeaders: signedHeaders.split(";").map((h) => h.trim().toLowerCase()),
    signature: signature.toLowerCase(),
  };
}

export interface CanonicalInput {
  method: string;
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  headers: IncomingHttpHeaders;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalInput): string {
  // Same path normalisation as openapi-core's getAuthorization.
  const uri = input.path.replace(/\+/g, "%20").replace(/\*/g, "%2A").replace(/%7E/g, "~");
  return [
    input.method.toUpperCase(),
    uri,
    canonicalQuery(input.query),
    canonicalHeaders(input.headers, input.signedHeaders),
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
}

export function acs3Signature(secret: string, input: CanonicalInput): string {
  const stringToSign = `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest(input))}`;
  return createHmac("sha256", secret).update(stringToSign).digest("hex");
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(expected: string, given: string): boolean {
  return secretsEqual(given, expected);
}

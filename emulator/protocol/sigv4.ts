/**
 * Server-side AWS Signature Version 4 verification (header form, `AWS4-HMAC-SHA256`).
 *
 * The server rebuilds the canonical request from what it received (method, path, query, the
 * headers the client listed in `SignedHeaders`, and the SHA-256 of the body it actually read),
 * re-signs it with the secret it knows for the access key, and compares signatures in constant
 * time. Hashing the received body (not trusting `x-amz-content-sha256`) is what makes a body
 * altered in transit fail, as it does on AWS for JSON services.
 *
 * As AWS does, the signature must cover `host` and `x-amz-date`, `x-amz-security-token` when the
 * request carries one, and whatever the caller names (JSON 1.1: `x-amz-target`, which routes
 * the call): an unsigned one could be changed in transit. Header names come from the peer, so
 * headers are read as own properties only (a `SignedHeaders` of `constructor` reads nothing).
 * Tokens and signatures are compared in constant time.
 *
 * Error codes and messages follow what AWS JSON services return; the codes are the coral
 * framework's (`com.amazon.coral.service#...` on the wire, see awsJson.ts).
 *
 * Not implemented: presigned URLs (query-string auth), `AWS4-ECDSA-P256-SHA256` (SigV4a),
 * chunked payload signing. The official SDK uses none of them for JSON 1.1 services.
 */
import { createHash, createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { credentialExpired, type Credential } from "../config";
import { secretsEqual } from "../security/secretsEqual";
import { ApiError } from "./apiError";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
/** AWS accepts a signing time at most 15 minutes away from its own clock, either way. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The request parts the signature covers. */
export interface SignedRequest {
  method: string;
  /** Path and query as sent on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface VerifyOptions {
  /** Keys the server knows; read per request (the admin API may add keys). */
  credentials: readonly Credential[];
  /** The signing name the credential scope must carry (`ssm`). */
  service: string;
  /** The server's time, to reject stale or future-dated signatures. */
  now: Date;
  /** The time an STS key's `expiresAt` is judged by (the service clock); default `now`. */
  credentialsNow?: Date;
  /** Headers the protocol reads that the signature must cover, beyond `host` and `x-amz-date`. */
  signedHeadersRequired?: readonly string[];
}

/** Who signed the request, and for which region. */
export interface VerifiedCaller {
  accessKeyId: string;
  /** Region from the credential scope: the only region signal a custom endpoint keeps. */
  region: string;
  credential: Credential;
}

/** The parsed `Authorization` header. */
interface AuthorizationHeader {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

// Message texts as AWS JSON services send them (checked against published error samples).
const MSG_MISSING_TOKEN = "Request is missing Authentication Token";
const MSG_BAD_TOKEN = "The security token included in the request is invalid.";
const MSG_EXPIRED_TOKEN = "The security token included in the request is expired";
const MSG_SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const missingToken = () => new ApiError(400, "MissingAuthenticationTokenException", MSG_MISSING_TOKEN);
const incomplete = (message: string) => new ApiError(400, "IncompleteSignatureException", message);
const invalidSignature = (message: string) => new ApiError(400, "InvalidSignatureException", message);
const unrecognizedClient = () => new ApiError(400, "UnrecognizedClientException", MSG_BAD_TOKEN);
const expiredToken = () => new ApiError(400, "ExpiredTokenException", MSG_EXPIRED_TOKEN);
/** AWS's wording for an unsigned Host, applied to every header that must be signed. */
const unsigned = (quoted: string) =>
  invalidSignature(`${quoted} must be a 'SignedHeader' in the AWS Authorization.`);

/** How AWS's messages name the headers that must be signed. */
const QUOTED_NAMES: Record<string, string> = {
  host: "'Host' or ':authority'",
  "x-amz-date": "'X-Amz-Date'",
  "x-amz-target": "'X-Amz-Target'",
  "x-amz-security-token": "'X-Amz-Security-Token'",
};

/**
 * Verifies the request's SigV4 signature and returns the caller.
 * Throws `ApiError` with the code AWS would return; the checks run in the order AWS applies
 * them, so a request with several faults reports the same one AWS would.
 */
export function verifySigV4(req: SignedRequest, opts: VerifyOptions): VerifiedCaller {
  const rawAuth = headerValue(req.headers, "authorization");
  if (rawAuth === undefined || rawAuth.trim() === "") throw missingToken();
  const auth = parseAuthorization(rawAuth);

  const amzDate = headerValue(req.headers, "x-amz-date");
  if (amzDate === undefined) {
    throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  }

  // Identity before time and signature: an unknown key says so even when the date is also off.
  const credential = opts.credentials.find((c) => c.accessKeyId === auth.accessKeyId);
  if (credential === undefined) throw unrecognizedClient();
  const token = headerValue(req.headers, "x-amz-security-token");
  // STS keys need their session token; a long-term key sent with a token is also refused.
  const expectedToken = credential.securityToken;
  const tokenMatches =
    expectedToken === undefined
      ? token === undefined
      : token !== undefined && secretsEqual(token, expectedToken);
  if (!tokenMatches) throw unrecognizedClient();
  if (credentialExpired(credential, opts.credentialsNow ?? opts.now)) throw expiredToken();

  checkFreshness(amzDate, signedAt, opts.now);
  checkScope(auth, amzDate, opts.service);
  const required = ["host", "x-amz-date", ...(token === undefined ? [] : ["x-amz-security-token"])];
  for (const name of [...required, ...(opts.signedHeadersRequired ?? [])]) {
    if (!auth.signedHeaders.includes(name)) throw unsigned(QUOTED_NAMES[name] ?? `'${name}'`);
  }

  const expected = computeSignature(req, auth, amzDate, credential.accessKeySecret);
  if (!secretsEqual(auth.signature, expected)) throw invalidSignature(MSG_SIGNATURE_MISMATCH);

  return { accessKeyId: auth.accessKeyId, region: auth.region, credential };
}

/** `AWS4-HMAC-SHA256 Credential=AK/20200221/us-east-2/ssm/aws4_request, SignedHeaders=a;b, Signature=hex`. */
function parseAuthorization(raw: string): AuthorizationHeader {
  const trimmed = raw.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    // Cut: without a space the "algorithm" is the whole header.
    throw incomplete(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 32)}'`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((k) => !fields.get(k));
  if (missing.length > 0) {
    // AWS echoes the header here; it carries the signature, so it stays out of the message.
    throw incomplete(missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" "));
  }
  const scope = (fields.get("Credential") ?? "").split("/");
  if (scope.length !== 5 || scope.some((s) => s === "")) {
    throw incomplete(`Credential should be scoped to a valid region, not '${scope[2] ?? ""}'.`);
  }
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: (fields.get("SignedHeaders") ?? "").split(";").map((h) => h.trim().toLowerCase()),
    signature: (fields.get("Signature") ?? "").toLowerCase(),
  };
}

function checkFreshness(amzDate: string, signedAt: Date, now: Date): void {
  const skew = signedAt.getTime() - now.getTime();
  if (skew < -MAX_CLOCK_SKEW_MS) {
    const limit = formatAmzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS));
    throw invalidSignature(
      `Signature expired: ${amzDate} is now earlier than ${limit} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_CLOCK_SKEW_MS) {
    const limit = formatAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS));
    throw invalidSignature(
      `Signature not yet current: ${amzDate} is still later than ${limit} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

function checkScope(auth: AuthorizationHeader, amzDate: string, service: string): void {
  const day = amzDate.slice(0, 8);
  if (auth.date !== day) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${auth.date}' != '${day}', from '${amzDate}'.`,
    );
  }
  if (auth.service !== service) {
    throw invalidSignature(`Credential should be scoped to correct service: '${service}'. `);
  }
  if (auth.terminator !== "aws4_request") {
    throw invalidSignature(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'. `,
    );
  }
}

function computeSignature(
  req: SignedRequest,
  auth: AuthorizationHeader,
  amzDate: string,
  secret: string,
): string {
  const canonical = canonicalRequest(req, auth.signedHeaders);
  const scope = `${auth.date}/${auth.region}/${auth.service}/${auth.terminator}`;
  const stringToSign = [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join("\n");
  const key = signingKey(secret, auth.date, auth.region, auth.service);
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

/** The canonical request: method, URI, query, headers, signed header list, payload hash. */
export function canonicalRequest(req: SignedRequest, signedHeaders: readonly string[]): string {
  const queryStart = req.url.indexOf("?");
  const rawPath = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? "" : req.url.slice(queryStart + 1);
  const headers = signedHeaders
    .map((name) => `${name}:${canonicalHeaderValue(ownHeader(req.headers, name))}\n`)
    .join("");
  return [
    req.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    headers,
    signedHeaders.join(";"),
    sha256Hex(req.body),
  ].join("\n");
}

/** Non-S3 services normalise the path and URI-encode each (already encoded) segment again. */
function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of (rawPath || "/").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = rawPath.length > 1 && rawPath.endsWith("/") && segments.length > 0 ? "/" : "";
  return "/" + segments.map(uriEncode).join("/") + trailing;
}

/** Pairs decoded, re-encoded RFC 3986 style, sorted by key then value. */
function canonicalQuery(rawQuery: string): string {
  if (rawQuery === "") return "";
  const pairs = rawQuery
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const eq = p.indexOf("=");
      const key = eq === -1 ? p : p.slice(0, eq);
      const value = eq === -1 ? "" : p.slice(eq + 1);
      return [uriEncode(safeDecode(key)), uriEncode(safeDecode(value))] as const;
    });
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** Trimmed, inner runs of spaces collapsed; repeated headers joined with commas. */
function canonicalHeaderValue(value: string | string[] | undefined): string {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.map((v) => v.trim().replace(/\s+/g, " ")).join(",");
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  return createHmac("sha256", kService).update("aws4_request").digest();
}

/** RFC 3986 unreserved characters stay; everything else is percent-encoded (upper-case hex). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, "%20"));
  } catch {
    return value;
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A header the request carries, never a member of the headers object's prototype. */
function ownHeader(headers: IncomingHttpHeaders, name: string): string | string[] | undefined {
  return Object.hasOwn(headers, name) ? headers[name] : undefined;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = ownHeader(headers, name);
  return Array.isArray(value) ? value[0] : value;
}

/** `20200221T182708Z` -> Date; undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Date -> `20200221T182708Z`. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

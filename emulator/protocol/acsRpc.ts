/**
 * Alibaba Cloud RPC-style APIs (ECS 2014-05-26, DAS 2020-01-16) as `@alicloud/openapi-core`
 * speaks them: `POST /?<params>` (GET accepted too), every parameter in the query string (a
 * form-encoded body is merged in), signed with ACS3-HMAC-SHA256. Routed by `x-acs-version`
 * (or `Version`) and `x-acs-action` (or `Action`).
 *
 * Checks, in order, each with its own error: required headers, authorization format, algorithm,
 * date format and 15-minute skew, access key, STS token, payload hash, signature, nonce replay,
 * version, action. Differences from the real gateway: only ACS3-HMAC-SHA256 is accepted (no V2
 * `Signature` query parameter, no SM3/RSA), and there is no RAM policy evaluation.
 */
import { credentialExpired, type Credential } from "../config";
import { ApiError } from "./apiError";
import {
  ACS3_ALGORITHM,
  acs3Signature,
  parseAuthorization,
  sha256Hex,
  signaturesEqual,
  type ParsedAuthorization,
} from "./acs3Signature";
import { secretsEqual } from "../security/secretsEqual";
import { acsErrors, acsStandardErrors } from "./acsErrors";
import type { Dispatch, ProtocolEnv, RawRequest, RawResponse, WireProtocol } from "./types";

/** The real gateway rejects requests dated more than 15 minutes away from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Region used when the request carries no `RegionId` (DAS is served from one central region). */
const DEFAULT_REGION_BY_VERSION: Record<string, string> = { "2020-01-16": "cn-shanghai" };
const DEFAULT_REGION = "cn-hangzhou";

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Nonces seen within the skew window; a replayed nonce is refused like the real gateway does. */
class NonceCache {
  private readonly seen = new Map<string, number>();
  /** Returns false when the nonce was already used. */
  remember(nonce: string, nowMs: number): boolean {
    if (this.seen.size > 10_000) this.prune(nowMs);
    const expires = this.seen.get(nonce);
    if (expires !== undefined && expires > nowMs) return false;
    this.seen.set(nonce, nowMs + 2 * MAX_CLOCK_SKEW_MS);
    return true;
  }
  private prune(nowMs: number): void {
    for (const [nonce, expires] of this.seen) if (expires <= nowMs) this.seen.delete(nonce);
  }
}
const nonces = new NonceCache();

/** A header the request carries (names may come from the peer: never a prototype member). */
function header(req: RawRequest, name: string): string | undefined {
  const v = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
  return Array.isArray(v) ? v[0] : v;
}

function splitUrl(url: string): { path: string; query: Array<[string, string]> } {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  // URLSearchParams decodes `%XX` and `+` the way querystring.stringify encoded them.
  const query = q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))];
  return { path: path || "/", query };
}

function bodyParams(req: RawRequest): Array<[string, string]> {
  const type = header(req, "content-type") ?? "";
  if (req.body.length === 0 || !type.startsWith("application/x-www-form-urlencoded")) return [];
  return [...new URLSearchParams(req.body.toString("utf8"))];
}

function requireHeader(req: RawRequest, name: string): string {
  const v = header(req, name);
  if (v === undefined || v === "") throw acsErrors.missingParameter(name);
  return v;
}

function checkDate(value: string, nowMs: number): void {
  if (!ISO_SECONDS.test(value)) throw acsErrors.timestampFormat();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw acsErrors.timestampFormat();
  if (Math.abs(t - nowMs) > MAX_CLOCK_SKEW_MS) throw acsErrors.timestampExpired();
}

function checkSecurityToken(req: RawRequest, cred: Credential, auth: ParsedAuthorization, now: Date): void {
  const token = header(req, "x-acs-security-token");
  if (cred.securityToken === undefined) {
    // A token sent with a long-term key cannot be resolved by the gateway.
    if (token !== undefined) throw acsErrors.securityTokenMalformed();
    return;
  }
  if (token === undefined || token === "") throw acsErrors.missingSecurityToken();
  if (!secretsEqual(token, cred.securityToken)) throw acsErrors.securityTokenMismatch();
  const akHeader = header(req, "x-acs-accesskey-id");
  if (akHeader !== undefined && akHeader !== auth.accessKeyId) throw acsErrors.securityTokenMismatch();
  if (credentialExpired(cred, now)) throw acsErrors.securityTokenExpired();
}

/** Authenticates the request; returns the caller's credential. */
function authenticate(
  req: RawRequest,
  env: ProtocolEnv,
  query: Array<[string, string]>,
  path: string,
): Credential {
  const authHeader = header(req, "authorization");
  if (!authHeader) throw acsErrors.incompleteSignature("The Authorization header is missing.");
  const date = requireHeader(req, "x-acs-date");
  const nonce = requireHeader(req, "x-acs-signature-nonce");
  const contentHash = requireHeader(req, "x-acs-content-sha256");

  const auth = parseAuthorization(authHeader);
  if (!auth)
    throw acsErrors.incompleteSignature(
      "Expected `<algorithm> Credential=..,SignedHeaders=..,Signature=..`.",
    );
  if (auth.algorithm !== ACS3_ALGORITHM) throw acsErrors.invalidSignatureMethod(auth.algorithm);
  // Everything the gateway reads must be covered by the signature.
  for (const name of ["host", ...Object.keys(req.headers).filter((h) => h.startsWith("x-acs-"))]) {
    if (!auth.signedHeaders.includes(name))
      throw acsErrors.incompleteSignature(`Header ${name} is not signed.`);
  }
  for (const name of auth.signedHeaders) {
    if (header(req, name) === undefined)
      throw acsErrors.incompleteSignature(`Signed header ${name} is missing.`);
  }

  const nowMs = env.clock.now().getTime();
  checkDate(date, nowMs);

  const cred = env.credentials().find((c) => c.accessKeyId === auth.accessKeyId);
  if (!cred) throw acsErrors.accessKeyNotFound();
  checkSecurityToken(req, cred, auth, (env.credentialClock ?? env.clock).now());

  if (sha256Hex(req.body) !== contentHash.toLowerCase()) {
    throw acsErrors.signatureDoesNotMatch("The x-acs-content-sha256 header does not match the request body.");
  }
  const expected = acs3Signature(cred.accessKeySecret, {
    method: req.method,
    path,
    query,
    headers: req.headers,
    signedHeaders: auth.signedHeaders,
    payloadHash: contentHash,
  });
  if (!signaturesEqual(expected, auth.signature)) {
    throw acsErrors.signatureDoesNotMatch("Check the AccessKey secret and the signing method.");
  }
  // Checked after the signature so a forged request cannot burn a legitimate nonce.
  if (!nonces.remember(nonce, nowMs)) throw acsErrors.nonceUsed();
  return cred;
}

function json(status: number, requestId: string, body: Record<string, unknown>): RawResponse {
  return {
    status,
    headers: { "content-type": "application/json;charset=utf-8", "x-acs-request-id": requestId },
    body: JSON.stringify(body),
  };
}

export const acsRpcProtocol: WireProtocol = {
  name: "acsRpc",

  matches(req) {
    if (req.headers["x-amz-target"] !== undefined) return false;
    if (req.headers["x-acs-version"] !== undefined || req.headers["x-acs-action"] !== undefined) return true;
    const auth = header(req, "authorization") ?? "";
    return auth.startsWith("ACS3-") || /[?&]Action=/.test(req.url);
  },

  parse(req, env, requestId): Dispatch {
    const method = req.method.toUpperCase();
    if (method !== "POST" && method !== "GET") throw acsErrors.unsupportedMethod();
    const { path, query } = splitUrl(req.url);
    const cred = authenticate(req, env, query, path);

    // fromEntries defines own properties: a parameter named `__proto__` is just a parameter.
    const params: Record<string, unknown> = Object.fromEntries([...query, ...bodyParams(req)]);

    const version = header(req, "x-acs-version") ?? (params.Version as string | undefined);
    if (!version) throw acsErrors.missingParameter("Version");
    const action = header(req, "x-acs-action") ?? (params.Action as string | undefined);
    if (!action) throw acsErrors.missingParameter("Action");
    const service = env.services.find((s) => s.version === version);
    if (!service) throw acsErrors.invalidVersion();
    if (!Object.prototype.hasOwnProperty.call(service.actions, action)) throw acsErrors.actionNotFound();

    const regionParam =
      typeof params.RegionId === "string" && params.RegionId !== "" ? params.RegionId : undefined;
    return {
      service,
      action,
      params,
      ctx: {
        requestId,
        accessKeyId: cred.accessKeyId,
        region: regionParam ?? DEFAULT_REGION_BY_VERSION[version] ?? DEFAULT_REGION,
        clientIp: req.remoteAddress,
      },
    };
  },

  encodeResult(dispatch, result) {
    return json(200, dispatch.ctx.requestId, { RequestId: dispatch.ctx.requestId, ...result });
  },

  encodeError(error: ApiError, requestId: string) {
    return json(error.httpStatus, requestId, {
      RequestId: requestId,
      HostId: "127.0.0.1",
      Code: error.code,
      Message: error.message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&requestId=${requestId}`,
    });
  },

  standardErrors: acsStandardErrors,
};

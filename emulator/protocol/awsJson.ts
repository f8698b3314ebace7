/**
 * AWS JSON 1.1 (the `awsJson1_1` Smithy protocol, used by SSM): `POST /` with
 * `x-amz-target: <TargetPrefix>.<Operation>`, a JSON body, SigV4 in the `Authorization` header.
 *
 * The service is the one whose `version` equals the target prefix (`AmazonSSM`); its `name`
 * (`ssm`) is the signing name the credential scope must carry. The region is the credential
 * scope's: with a custom endpoint that is the only place the client's region travels.
 *
 * Errors are `{"__type": code, "message": text}` with the error's HTTP status, as AWS sends them.
 * Framework-level codes (authentication, routing, body parsing, constraint validation) carry the
 * coral namespace prefix AWS puts on them (`com.amazon.coral.service#UnrecognizedClientException`);
 * the SDK strips everything up to `#`, so `error.name` is the bare code either way.
 */
import type { Service } from "../services/types";
import { ApiError } from "./apiError";
import { verifySigV4 } from "./sigv4";
import type { Dispatch, ProtocolEnv, RawRequest, RawResponse, WireProtocol } from "./types";

const CONTENT_TYPE = "application/x-amz-json-1.1";

/** Codes AWS emits from its request framework rather than from the service, with their namespace. */
const FRAMEWORK_NAMESPACES: Record<string, string> = {
  MissingAuthenticationTokenException: "com.amazon.coral.service",
  IncompleteSignatureException: "com.amazon.coral.service",
  InvalidSignatureException: "com.amazon.coral.service",
  UnrecognizedClientException: "com.amazon.coral.service",
  UnknownOperationException: "com.amazon.coral.service",
  SerializationException: "com.amazon.coral.service",
  InternalFailure: "com.amazon.coral.service",
  ValidationException: "com.amazon.coral.validate",
};

/** `AmazonSSM.StartSession` -> prefix and operation. */
function splitTarget(target: string): { prefix: string; operation: string } | undefined {
  const dot = target.lastIndexOf(".");
  if (dot <= 0 || dot === target.length - 1) return undefined;
  return { prefix: target.slice(0, dot), operation: target.slice(dot + 1) };
}

function header(req: RawRequest, name: string): string | undefined {
  const value = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
  return Array.isArray(value) ? value[0] : value;
}

/** Resolves the target to a service and action, or throws what AWS returns for an unknown one. */
function route(req: RawRequest, services: readonly Service[]): { service: Service; action: string } {
  const parts = splitTarget(header(req, "x-amz-target") ?? "");
  const service = parts && services.find((s) => s.version === parts.prefix);
  if (!parts || !service || !Object.hasOwn(service.actions, parts.operation)) {
    // AWS answers an unknown target with an empty-message UnknownOperationException.
    throw new ApiError(400, "UnknownOperationException", "");
  }
  return { service, action: parts.operation };
}

/** An empty body means "no members"; anything but a JSON object is a serialization error. */
function parseBody(body: Buffer): Record<string, unknown> {
  const text = body.toString("utf8").trim();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, "SerializationException", "Unexpected character in the request body");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ApiError(400, "SerializationException", "Start of structure or map found where not expected.");
  }
  return parsed as Record<string, unknown>;
}

/** JSON 1.1 sends timestamps as epoch seconds (fractional allowed); convert any Date a handler returned. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

function response(status: number, requestId: string, body: unknown): RawResponse {
  return {
    status,
    headers: { "content-type": CONTENT_TYPE, "x-amzn-requestid": requestId },
    body: JSON.stringify(body),
  };
}

export const awsJsonProtocol: WireProtocol = {
  name: "aws-json-1.1",

  matches(req: RawRequest): boolean {
    return req.method.toUpperCase() === "POST" && typeof header(req, "x-amz-target") === "string";
  },

  parse(req: RawRequest, env: ProtocolEnv, requestId: string): Dispatch {
    const { service, action } = route(req, env.services);
    const caller = verifySigV4(req, {
      credentials: env.credentials(),
      service: service.name,
      now: env.clock.now(),
      credentialsNow: (env.credentialClock ?? env.clock).now(),
      // It picks the operation: unsigned, a captured request could be replayed as another call.
      signedHeadersRequired: ["x-amz-target"],
    });
    const params = parseBody(req.body);
    return {
      service,
      action,
      params,
      ctx: { requestId, accessKeyId: caller.accessKeyId, region: caller.region, clientIp: req.remoteAddress },
    };
  },

  encodeResult(dispatch: Dispatch, result: Record<string, unknown>): RawResponse {
    return response(200, dispatch.ctx.requestId, toWire(result));
  },

  encodeError(error: ApiError, requestId: string): RawResponse {
    const namespace = FRAMEWORK_NAMESPACES[error.code];
    const type = namespace ? `${namespace}#${error.code}` : error.code;
    return response(error.httpStatus, requestId, { __type: type, message: error.message });
  },
};

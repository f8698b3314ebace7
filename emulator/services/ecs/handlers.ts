/**
 * ECS Session Manager handlers: turn the flat RPC query map into typed requests, enforce every
 * limit and conflict that needs no state (lengths, ranges, value sets, parameter combinations),
 * call the backend and shape the response exactly like the API reference's samples.
 * No state lives here.
 */
import type { ActionHandler, CallContext } from "../types";
import type { EcsBackend } from "./backend";
import { ecsErrors } from "./errors";
import {
  ECS_LIMITS,
  type ConnectionType,
  type DescribeRequest,
  type EncryptionOptions,
  type EndRequest,
  type StartRequest,
} from "./model";

type Params = Record<string, unknown>;

/** An optional string parameter; the SDK omits unset ones, and an empty value counts as unset. */
function optional(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  return s === "" ? undefined : s;
}

function required(params: Params, name: string): string {
  const v = optional(params, name);
  if (v === undefined) throw ecsErrors.missingParameter(name);
  return v;
}

/** `InstanceId.1`, `InstanceId.2`, ... in index order (a plain `InstanceId` counts as one). */
function instanceIds(params: Params): string[] {
  const indexed = Object.keys(params)
    .map((k) => /^InstanceId\.(\d+)$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => optional(params, m[0]))
    .filter((v): v is string => v !== undefined);
  const plain = optional(params, "InstanceId");
  return plain !== undefined ? [plain, ...indexed] : indexed;
}

function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw)) throw ecsErrors.portNumberInvalid();
  const port = Number(raw);
  if (port < 1 || port > 65535) throw ecsErrors.portNumberInvalid();
  return port;
}

function parseBool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  throw ecsErrors.encryptionOptionsMalformed();
}

/** `EncryptionOptions` travels as a JSON string: `{"Enabled":true,"Mode":"Kms","KMSKeyId":"key-..."}`. */
function parseEncryption(raw: string | undefined, forwarding: boolean): EncryptionOptions | undefined {
  if (raw === undefined) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch {
    throw ecsErrors.encryptionOptionsMalformed();
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw ecsErrors.encryptionOptionsMalformed();
  const o = obj as Record<string, unknown>;
  const enabled = parseBool(o.Enabled) ?? false;
  const mode = o.Mode === undefined || o.Mode === null || o.Mode === "" ? undefined : String(o.Mode);
  const kmsKeyId =
    o.KMSKeyId === undefined || o.KMSKeyId === null || o.KMSKeyId === "" ? undefined : String(o.KMSKeyId);

  if (!enabled) {
    if (mode !== undefined) throw ecsErrors.encryptionModeWhileDisabled();
    if (kmsKeyId !== undefined) throw ecsErrors.kmsKeyIdInvalid();
    return { enabled: false };
  }
  const effectiveMode = mode ?? "Auto";
  if (effectiveMode !== "Auto" && effectiveMode !== "Kms") throw ecsErrors.encryptionModeInvalid();
  if (effectiveMode === "Kms" && kmsKeyId === undefined) throw ecsErrors.kmsKeyIdMissing();
  // KMSKeyId may be given only in Kms mode, and must look like a KMS key id or ARN.
  if (kmsKeyId !== undefined && (effectiveMode !== "Kms" || !ECS_LIMITS.kmsKeyIdPattern.test(kmsKeyId))) {
    throw ecsErrors.kmsKeyIdInvalid();
  }
  // End-to-end encryption covers shell/command streams only, never forwarded ports.
  if (forwarding) throw ecsErrors.encryptionConflict();
  return { enabled: true, mode: effectiveMode, kmsKeyId };
}

export function parseStartRequest(params: Params): StartRequest {
  const regionId = required(params, "RegionId");
  const ids = instanceIds(params);
  if (ids.length === 0) throw ecsErrors.missingParameter("InstanceId.N");

  const clientToken = optional(params, "ClientToken");
  const ascii = (s: string) => [...s].every((ch) => ch.charCodeAt(0) < 0x80);
  if (clientToken !== undefined && (clientToken.length > ECS_LIMITS.clientTokenMax || !ascii(clientToken))) {
    throw ecsErrors.clientTokenMalformed();
  }
  const connectionType = optional(params, "ConnectionType") ?? "Internet";
  if (connectionType !== "Internet" && connectionType !== "Intranet") throw ecsErrors.connectionTypeInvalid();

  const portNumber = parsePort(optional(params, "PortNumber"));
  const commandLine = optional(params, "CommandLine");
  const targetServer = optional(params, "TargetServer");
  const username = optional(params, "Username");
  const passwordName = optional(params, "PasswordName");

  if (commandLine !== undefined && commandLine.length > ECS_LIMITS.commandLineMax)
    throw ecsErrors.commandLineTooLong();
  if (targetServer !== undefined && targetServer.length > ECS_LIMITS.targetServerMax) {
    throw ecsErrors.targetServerTooLong();
  }
  if (passwordName !== undefined && passwordName.length > ECS_LIMITS.passwordNameMax) {
    throw ecsErrors.passwordNameTooLong();
  }
  if (username !== undefined && username.length > ECS_LIMITS.usernameMax) throw ecsErrors.usernameTooLong();

  if (commandLine !== undefined && (portNumber !== undefined || targetServer !== undefined)) {
    throw ecsErrors.commandLineConflict();
  }
  if (targetServer !== undefined && portNumber === undefined) throw ecsErrors.targetServerMissingPort();
  if (ids.length > ECS_LIMITS.maxInstances) {
    throw targetServer !== undefined || commandLine !== undefined
      ? ecsErrors.instanceCountLimitExceeded()
      : ecsErrors.instanceIdsExceedLimit();
  }
  const encryption = parseEncryption(
    optional(params, "EncryptionOptions"),
    portNumber !== undefined || targetServer !== undefined,
  );

  return {
    regionId,
    instanceIds: ids,
    portNumber,
    commandLine,
    targetServer,
    username,
    passwordName,
    clientToken,
    connectionType: connectionType as ConnectionType,
    encryption,
  };
}

export function parseDescribeRequest(params: Params): DescribeRequest {
  const regionId = required(params, "RegionId");
  const rawMax = optional(params, "MaxResults");
  let maxResults: number = ECS_LIMITS.describeDefaultResults;
  if (rawMax !== undefined) {
    if (!/^\d{1,4}$/.test(rawMax)) throw ecsErrors.maxResultsInvalid();
    maxResults = Number(rawMax);
    if (maxResults < 1 || maxResults > ECS_LIMITS.describeMaxResults) throw ecsErrors.maxResultsInvalid();
  }
  return {
    regionId,
    instanceId: optional(params, "InstanceId"),
    sessionId: optional(params, "SessionId"),
    maxResults,
    nextToken: optional(params, "NextToken"),
  };
}

export function parseEndRequest(params: Params): EndRequest {
  return { regionId: required(params, "RegionId"), sessionId: required(params, "SessionId") };
}

export function createHandlers(backend: EcsBackend): Record<string, ActionHandler> {
  return {
    async StartTerminalSession(params, ctx: CallContext) {
      const session = await backend.startSession(parseStartRequest(params), ctx);
      return {
        SessionId: session.sessionId,
        SecurityToken: session.securityToken,
        WebSocketUrl: session.webSocketUrl,
      };
    },
    async DescribeTerminalSessions(params, ctx) {
      const page = backend.describeSessions(parseDescribeRequest(params), ctx);
      const body: Record<string, unknown> = { Sessions: { Session: page.sessions } };
      if (page.nextToken !== undefined) body.NextToken = page.nextToken;
      return body;
    },
    async EndTerminalSession(params, ctx) {
      backend.endSession(parseEndRequest(params), ctx);
      return {};
    },
  };
}

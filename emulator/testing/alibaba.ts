/**
 * Test helpers: the official Alibaba Cloud clients pointed at a local cloud. Explicit credentials
 * only (never the default chain, which could reach the instance-metadata address).
 */
import OpenApi, { $OpenApiUtil } from "@alicloud/openapi-core";
import * as $dara from "@darabonba/typescript";
import type { Credential } from "../config";

/** The credential every test config starts with. */
export const TEST_CREDENTIAL = { accessKeyId: "LTAItestkey000001", accessKeySecret: "test-secret-0001" };

export interface Endpointed {
  endpoint: string;
}

export function acsConfig(
  cloud: Endpointed,
  cred: Partial<Credential> = TEST_CREDENTIAL,
  regionId = "cn-hangzhou",
) {
  return new $OpenApiUtil.Config({
    endpoint: cloud.endpoint,
    protocol: "http",
    regionId,
    accessKeyId: cred.accessKeyId,
    accessKeySecret: cred.accessKeySecret,
    securityToken: cred.securityToken,
  });
}

/** The generic openapi-core client, as PROTOCOLS.md shows (responses keep PascalCase keys). */
export function openApiClient(cloud: Endpointed, cred?: Partial<Credential>): OpenApi {
  return new OpenApi(acsConfig(cloud, cred));
}

export interface CallOptions {
  version?: string;
  /** Extra headers; they are signed like the SDK's own (e.g. an old `x-acs-date`). */
  headers?: Record<string, string>;
}

export interface AcsResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Calls an RPC action the way a caller without a generated package does (DAS-style). */
export async function callRpc(
  client: OpenApi,
  action: string,
  query: Record<string, unknown>,
  options: CallOptions = {},
): Promise<AcsResponse> {
  const params = new $OpenApiUtil.Params({
    action,
    version: options.version ?? "2014-05-26",
    protocol: "HTTPS",
    pathname: "/",
    method: "POST",
    authType: "AK",
    style: "RPC",
    reqBodyType: "formData",
    bodyType: "json",
  });
  const request = new $OpenApiUtil.OpenApiRequest({
    query: $OpenApiUtil.default.query(query),
    headers: options.headers,
  });
  return (await client.callApi(params, request, new $dara.RuntimeOptions({}))) as AcsResponse;
}

/** A session's connections as DescribeTerminalSessions reports them: `Status` or `Status/ClosedReason`. */
export async function connectionStatuses(
  client: OpenApi,
  region: string,
  sessionId: string,
): Promise<string[]> {
  const r = await callRpc(client, "DescribeTerminalSessions", { RegionId: region, SessionId: sessionId });
  const [s] = (
    r.body.Sessions as {
      Session: Array<{ Connections: { Connection: Array<{ Status: string; ClosedReason?: string }> } }>;
    }
  ).Session;
  return s.Connections.Connection.map((c) => (c.ClosedReason ? `${c.Status}/${c.ClosedReason}` : c.Status));
}

/** The error fields tests check; openapi-core throws ClientError / ServerError / ThrottlingError. */
export interface AcsErrorShape {
  name: string;
  code: string;
  statusCode: number;
  data: Record<string, unknown>;
}

export async function acsError(p: Promise<unknown>): Promise<AcsErrorShape> {
  try {
    await p;
  } catch (e) {
    return e as AcsErrorShape;
  }
  throw new Error("expected the call to fail");
}

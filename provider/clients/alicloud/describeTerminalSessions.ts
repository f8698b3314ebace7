/**
 * ECS DescribeTerminalSessions (2014-05-26): session records of the last four weeks,
 * newest first, paged with NextToken (MaxResults 1..100, default 10).
 *
 * The API has no session status field. What it shows is each connection's status; a session
 * ended by EndTerminalSession shows its connections as Terminating/Terminated. A session that
 * never had a connection looks the same before and after it ends, so {@link sessionUsability}
 * also treats a session whose WebSocket URL has expired (10 minutes) with no live connection
 * as unusable: nothing can ever connect to it again.
 */
import type { ErrorHints } from "../../errors/alicloud";
import { findFirst, paginate, type Page } from "../../paging";
import type { AlicloudRpcClient } from "./client";

/** Request. */
export interface DescribeTerminalSessionsRequest {
  /** `RegionId`. */
  regionId: string;
  /** `InstanceId`: only sessions on this instance. */
  instanceId?: string;
  /** `SessionId`: only this session. */
  sessionId?: string;
  /** `MaxResults`, 1..100 (default 10). */
  maxResults?: number;
  /** `NextToken` from the previous page. */
  nextToken?: string;
}

/** One connection of a session (`Connections.Connection[]`). */
export interface TerminalConnection {
  /** `InstanceId`. */
  instanceId?: string;
  /** `Status`: Connecting, Connected, Disconnected, Terminating, Terminated or Failed. */
  status?: string;
  /** `StartTime` (ISO 8601). */
  startTime?: string;
  /** `EndTime` (ISO 8601), once closed. */
  endTime?: string;
  /** `ClosedReason`, for Disconnected, Terminated and Failed. */
  closedReason?: string;
}

/** One session record (`Sessions.Session[]`). */
export interface TerminalSessionRecord {
  /** `SessionId`. */
  sessionId: string;
  /** `CreationTime` (ISO 8601). */
  creationTime?: string;
  /** `PrincipalId`. */
  principalId?: string;
  /** `IdentityType`: Account, RAMUser or AssumedRoleUser. */
  identityType?: string;
  /** `ClientIP`. */
  clientIp?: string;
  /** `Username`. */
  username?: string;
  /** `TargetServer`. */
  targetServer?: string;
  /** `PortNumber`. */
  portNumber?: number;
  /** `Connections.Connection[]`. */
  connections: TerminalConnection[];
}

/** Every code the API reference lists, with what to do about it. */
export const DESCRIBE_TERMINAL_SESSIONS_ERRORS: ErrorHints = {
  "InvalidParameter.NextToken": "The paging token is invalid or belongs to other filters: restart paging.",
  "InvalidParameter.MaxResults": "MaxResults must be between 1 and 100.",
  "InvalidRegionId.NotFound": "Check the region: it does not exist.",
  InternalError: "The cloud had an internal error: retry later.",
};

/** How long a WebSocket URL stays valid after StartTerminalSession. */
export const WEBSOCKET_URL_TTL_MS = 10 * 60 * 1000;

/** Connection statuses that mean the session was ended. */
const ENDED_STATUSES = new Set(["Terminating", "Terminated"]);
/** Connection statuses of a connection that is (or may become) open. */
const LIVE_STATUSES = new Set(["Connecting", "Connected"]);

/** Whether a session can still be used. */
export type SessionUsability = "live" | "ended" | "expired";

/**
 * `ended`: a connection shows Terminating/Terminated (EndTerminalSession ran).
 * `expired`: the URL's 10 minutes are over and no connection is open: nobody can use it again.
 * `live`: otherwise. `now` should be in the cloud's clock (see the client's server date).
 */
export function sessionUsability(record: TerminalSessionRecord, now: Date): SessionUsability {
  if (record.connections.some((c) => c.status !== undefined && ENDED_STATUSES.has(c.status))) return "ended";
  const created = record.creationTime ? Date.parse(record.creationTime) : NaN;
  const urlValid = Number.isNaN(created) || now.getTime() < created + WEBSOCKET_URL_TTL_MS;
  if (urlValid) return "live";
  return record.connections.some((c) => c.status !== undefined && LIVE_STATUSES.has(c.status))
    ? "live"
    : "expired";
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** `{Session: [...]}` as documented, or a bare array (tolerated). */
function list(container: unknown, key: string): Record<string, unknown>[] {
  const inner = Array.isArray(container)
    ? container
    : container !== null && typeof container === "object"
      ? (container as Record<string, unknown>)[key]
      : undefined;
  return Array.isArray(inner)
    ? inner.filter((x): x is Record<string, unknown> => x !== null && typeof x === "object")
    : [];
}

/** Converts one `Sessions.Session[]` item. */
export function toSessionRecord(raw: Record<string, unknown>): TerminalSessionRecord {
  const port = raw.PortNumber;
  return {
    sessionId: String(raw.SessionId ?? ""),
    creationTime: str(raw.CreationTime),
    principalId: raw.PrincipalId === undefined ? undefined : String(raw.PrincipalId),
    identityType: str(raw.IdentityType),
    clientIp: str(raw.ClientIP),
    username: str(raw.Username),
    targetServer: str(raw.TargetServer),
    portNumber:
      typeof port === "number" ? port : typeof port === "string" && port !== "" ? Number(port) : undefined,
    connections: list(raw.Connections, "Connection").map((c) => ({
      instanceId: str(c.InstanceId),
      status: str(c.Status),
      startTime: str(c.StartTime),
      endTime: str(c.EndTime),
      closedReason: str(c.ClosedReason),
    })),
  };
}

/** One page of DescribeTerminalSessions, with the cloud's clock. */
export interface DescribePage extends Page<TerminalSessionRecord> {
  /** The server's `Date` header. */
  serverDate?: Date;
}

/** Calls DescribeTerminalSessions for one page (retrying throttling, 5xx and network errors). */
export async function describeTerminalSessions(
  client: AlicloudRpcClient,
  req: DescribeTerminalSessionsRequest,
): Promise<DescribePage> {
  const { body, serverDate } = await client.call(
    "DescribeTerminalSessions",
    {
      RegionId: req.regionId,
      InstanceId: req.instanceId,
      SessionId: req.sessionId,
      MaxResults: req.maxResults,
      NextToken: req.nextToken,
    },
    { hints: DESCRIBE_TERMINAL_SESSIONS_ERRORS },
  );
  return {
    items: list(body.Sessions, "Session").map(toSessionRecord),
    nextToken: str(body.NextToken),
    serverDate,
  };
}

/** Every session matching the filters, all pages. */
export function listTerminalSessions(
  client: AlicloudRpcClient,
  filters: Omit<DescribeTerminalSessionsRequest, "nextToken" | "maxResults">,
): AsyncGenerator<TerminalSessionRecord> {
  return paginate((nextToken) =>
    describeTerminalSessions(client, { ...filters, maxResults: 100, nextToken }),
  );
}

/** What {@link findTerminalSession} found. */
export interface FoundSession {
  /** The record, or undefined when Describe does not list the session. */
  record?: TerminalSessionRecord;
  /** The cloud's clock at the last page read, to judge URL expiry with. */
  serverDate?: Date;
}

/**
 * Looks one session up. No record when Describe does not know it (never existed, older
 * than four weeks, another region, or, with `instanceId`, on another instance). Pages
 * through the results even though the SessionId filter should leave at most one.
 */
export async function findTerminalSession(
  client: AlicloudRpcClient,
  regionId: string,
  sessionId: string,
  instanceId?: string,
): Promise<FoundSession> {
  let serverDate: Date | undefined;
  const record = await findFirst(
    async (nextToken) => {
      const page = await describeTerminalSessions(client, {
        regionId,
        sessionId,
        instanceId,
        maxResults: 100,
        nextToken,
      });
      serverDate = page.serverDate ?? serverDate;
      return page;
    },
    (s) => s.sessionId === sessionId,
  );
  return { record, serverDate };
}

/**
 * SSM DescribeSessions (2014-11-06): sessions of the last 30 days, `Active` (Connecting,
 * Connected, Disconnected, Terminating) or `History` (Terminated, Failed), filtered (1..6
 * filters, ANDed; keys InvokedAfter, InvokedBefore, Target, Owner, Status, SessionId,
 * AccessType) and paged with NextToken (MaxResults 1..200).
 */
import type { ErrorHints } from "../../errors/alicloud";
import { findFirst, paginate, type Page } from "../../paging";
import type { SsmClient } from "./client";

/** `State`: which sessions to list. */
export type SsmSessionState = "Active" | "History";

/** A `SessionFilter` (lower-case `key`/`value` on the wire). */
export interface SsmSessionFilter {
  /** The filter key. */
  key: "InvokedAfter" | "InvokedBefore" | "Target" | "Owner" | "Status" | "SessionId" | "AccessType";
  /** The value, 1..400 characters. */
  value: string;
}

/** Request. */
export interface DescribeSessionsRequest {
  /** `State`. */
  state: SsmSessionState;
  /** `Filters`, at most 6. */
  filters?: SsmSessionFilter[];
  /** `MaxResults`, 1..200. */
  maxResults?: number;
  /** `NextToken` from the previous page. */
  nextToken?: string;
}

/** One session (`Sessions[]`), timestamps as ISO 8601. */
export interface SsmSessionRecord {
  /** `SessionId`. */
  sessionId: string;
  /** `Target`. */
  target?: string;
  /** `Status`: Connecting, Connected, Disconnected, Terminating, Terminated or Failed. */
  status?: string;
  /** `StartDate`. */
  startDate?: string;
  /** `EndDate`, once ended. */
  endDate?: string;
  /** `DocumentName`. */
  documentName?: string;
  /** `Owner`: the ARN of the IAM identity that started it. */
  owner?: string;
  /** `Reason`. */
  reason?: string;
  /** `Details` (reserved by AWS). */
  details?: string;
  /** `MaxSessionDuration`, minutes, when the account limits it. */
  maxSessionDuration?: string;
  /** `AccessType`: Standard or JustInTime. */
  accessType?: string;
}

/** The largest page the API allows. */
export const DESCRIBE_SESSIONS_MAX_RESULTS = 200;

/** Statuses of a session that can still be used (or resumed). */
export const LIVE_SSM_STATUSES: readonly string[] = ["Connecting", "Connected", "Disconnected"];

/** The codes DescribeSessions documents, with what to do. */
export const DESCRIBE_SESSIONS_ERRORS: ErrorHints = {
  InvalidFilterKey:
    "A session filter key is not supported: use Target, Owner, Status, SessionId, InvokedAfter, InvokedBefore or AccessType.",
  InvalidNextToken: "The paging token is invalid or expired: run again.",
  InternalServerError: "Systems Manager had an internal error: run again later.",
};

/** True for a session that is neither ending nor ended. */
export function isLiveSsmSession(record: SsmSessionRecord): boolean {
  return record.status !== undefined && LIVE_SSM_STATUSES.includes(record.status);
}

function iso(date: Date | undefined): string | undefined {
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** Calls DescribeSessions for one page. */
export async function describeSessions(
  client: SsmClient,
  req: DescribeSessionsRequest,
): Promise<Page<SsmSessionRecord>> {
  const out = await client.send(
    "DescribeSessions",
    {
      State: req.state,
      // The API rejects an empty filter list (1..6): leave it out instead.
      Filters: req.filters && req.filters.length > 0 ? req.filters : undefined,
      MaxResults: req.maxResults,
      NextToken: req.nextToken,
    },
    { hints: DESCRIBE_SESSIONS_ERRORS },
  );
  const items = (out.Sessions ?? [])
    .filter((s) => typeof s.SessionId === "string" && s.SessionId !== "")
    .map((s) => ({
      sessionId: s.SessionId as string,
      target: s.Target,
      status: s.Status,
      startDate: iso(s.StartDate),
      endDate: iso(s.EndDate),
      documentName: s.DocumentName,
      owner: s.Owner,
      reason: s.Reason,
      details: s.Details,
      maxSessionDuration: s.MaxSessionDuration,
      accessType: s.AccessType,
    }));
  return { items, nextToken: out.NextToken };
}

/** Every session in `state` matching the filters, all pages. */
export function listSsmSessions(
  client: SsmClient,
  state: SsmSessionState,
  filters: SsmSessionFilter[] = [],
): AsyncGenerator<SsmSessionRecord> {
  return paginate((nextToken) =>
    describeSessions(client, { state, filters, maxResults: DESCRIBE_SESSIONS_MAX_RESULTS, nextToken }),
  );
}

/**
 * Looks one session up: Active first, then History. Undefined when neither lists it (never
 * existed, another region, or ended more than 30 days ago).
 */
export async function findSsmSession(
  client: SsmClient,
  sessionId: string,
): Promise<SsmSessionRecord | undefined> {
  for (const state of ["Active", "History"] as const) {
    const found = await findFirst(
      (nextToken) =>
        describeSessions(client, {
          state,
          filters: [{ key: "SessionId", value: sessionId }],
          maxResults: DESCRIBE_SESSIONS_MAX_RESULTS,
          nextToken,
        }),
      (s) => s.sessionId === sessionId,
    );
    if (found) return found;
  }
  return undefined;
}

/**
 * The request log behind `GET /_admin/requests`: one row per API call, newest last. Bounded in
 * rows and in memory: a parameter value longer than `requestLogValueBytes` (as JSON) is kept as a
 * note of its size, and the oldest rows go once the rows' JSON passes `requestLogBytes`, so a
 * benchmark of large requests cannot grow the process without end.
 */
import { DEFAULT_LIMITS, type Limits } from "../limits";

export interface RequestLogEntry {
  /** ISO time the request arrived, by the local cloud's (injectable) clock. */
  time: string;
  requestId: string;
  /** Wire protocol that took the request (`acsRpc`, `awsJson`), or null when none matched. */
  protocol: string | null;
  /** Service name (`ecs`, `das`, `ssm`), or null when the request failed before routing. */
  service: string | null;
  action: string | null;
  /**
   * The action's parameters as the service got them (the signature and keys travel in headers),
   * secret ones as `***`, long ones as `[N bytes, not logged]`; absent when the request failed
   * before it was parsed.
   */
  params?: Record<string, unknown>;
  /** HTTP status sent; 0 when the response was dropped on purpose (fault `dropResponse`). */
  status: number;
  /** Error code for failed calls, null on success. */
  code: string | null;
  durationMs: number;
  /** Fault rule kinds applied to this call, if any. */
  faults?: string[];
}

export type RequestLogLimits = Pick<Limits, "requestLogRows" | "requestLogBytes" | "requestLogValueBytes">;

/** Parameters logged per row at most; the rest are counted under `…`. */
const MAX_LOGGED_PARAMS = 64;
/** A parameter's name is cut to this many characters (real names are short). */
const MAX_NAME_CHARS = 64;

export class RequestLog {
  private rows: Array<{ row: RequestLogEntry; bytes: number }> = [];
  private bytes = 0;

  constructor(private readonly limits: RequestLogLimits = DEFAULT_LIMITS) {}

  add(row: RequestLogEntry): void {
    const kept = row.params === undefined ? row : { ...row, params: this.bounded(row.params) };
    const bytes = Buffer.byteLength(JSON.stringify(kept));
    this.rows.push({ row: kept, bytes });
    this.bytes += bytes;
    while (this.rows.length > this.limits.requestLogRows || this.bytes > this.limits.requestLogBytes) {
      this.bytes -= this.rows.shift()?.bytes ?? 0;
    }
  }

  list(): RequestLogEntry[] {
    return this.rows.map((r) => r.row);
  }

  clear(): void {
    this.rows = [];
    this.bytes = 0;
  }

  /** The first parameters, each value kept only when its JSON is short. */
  private bounded(params: Record<string, unknown>): Record<string, unknown> {
    const entries = Object.entries(params);
    const out: Record<string, unknown> = Object.fromEntries(
      entries.slice(0, MAX_LOGGED_PARAMS).map(([k, v]) => {
        const size = Buffer.byteLength(JSON.stringify(v) ?? "");
        const name = k.length > MAX_NAME_CHARS ? `${k.slice(0, MAX_NAME_CHARS)}…` : k;
        return [name, size > this.limits.requestLogValueBytes ? `[${size} bytes, not logged]` : v];
      }),
    );
    if (entries.length > MAX_LOGGED_PARAMS)
      out["…"] = `${entries.length - MAX_LOGGED_PARAMS} more, not logged`;
    return out;
  }
}

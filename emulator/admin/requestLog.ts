/** The request log behind `GET /_admin/requests`: one row per API call, newest last, bounded. */

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
   * secret ones as `***`; absent when the request failed before it was parsed.
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

export class RequestLog {
  private rows: RequestLogEntry[] = [];
  constructor(private readonly limit = 10_000) {}

  add(row: RequestLogEntry): void {
    this.rows.push(row);
    // Bounded so a long benchmark cannot grow memory without end.
    if (this.rows.length > this.limit) this.rows.splice(0, this.rows.length - this.limit);
  }

  list(): RequestLogEntry[] {
    return [...this.rows];
  }

  clear(): void {
    this.rows = [];
  }
}

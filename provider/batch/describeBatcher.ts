/**
 * Batches TerminalSession reads into DescribeTerminalSessions region listings.
 *
 * `pulumi refresh` reads every session; one SessionId-filtered Describe per session costs N
 * calls against an API that throttles. DescribeTerminalSessions takes a single `SessionId`
 * (no list filter, seed 003), but without it lists the region's sessions, 100 per page. So:
 *
 * - Reads arriving within `windowMs` for the same region, endpoint and credentials are
 *   collected (flushed early at `maxBatch`). A lone read gets the SessionId-filtered call,
 *   exactly as without batching.
 * - Two or more are served by paging the region listing (`MaxResults` 100) until all are
 *   found, the listing ends, or `ceil(k/2)` pages were read (the listing can hold four weeks of
 *   other sessions); whatever is still missing falls back to one SessionId call each. A
 *   complete listing without the id proves it is gone, as the SessionId filter would.
 * - Every record a listing returns is remembered for `snapshotTtlMs`: the engine reads at most
 *   `--parallel` (default 8) resources at a time, so later reads of the same refresh are served
 *   from the listing the first ones paid for. That is the one place where a read may see data
 *   up to `snapshotTtlMs` old; a remembered record only ever proves presence (never absence),
 *   and {@link DescribeBatcher.forget} drops sessions this process changed itself.
 * - Any failure of a listing falls back to the per-session calls, so errors are the ones a
 *   read would have had without batching.
 *
 * One batcher per provider process (the provider module is loaded once per process), shared
 * by every resource of the stack.
 */
import { createHash } from "node:crypto";
import {
  describeTerminalSessions,
  findTerminalSession,
  type AlicloudRpcClient,
  type DescribePage,
  type DescribeTerminalSessionsRequest,
  type FoundSession,
  type TerminalSessionRecord,
} from "../clients/alicloud";

/** Tuning and test seams; every field has a default. */
export interface DescribeBatcherOptions {
  /** How long the first read of a batch waits for others, ms (default 10). */
  windowMs?: number;
  /** Flush as soon as this many reads wait (default 100, one full page). */
  maxBatch?: number;
  /** How long a listed record may serve later reads, ms (default 2000). */
  snapshotTtlMs?: number;
  /** Local clock, ms (default `Date.now`). */
  now?: () => number;
  /** One Describe page (default: the real call, with its retries). */
  describe?: (client: AlicloudRpcClient, req: DescribeTerminalSessionsRequest) => Promise<DescribePage>;
  /** One SessionId-filtered lookup (default: the real one). */
  find?: (client: AlicloudRpcClient, regionId: string, sessionId: string) => Promise<FoundSession>;
}

/** Counters for tests and benchmarks. */
export interface DescribeBatcherStats {
  /** Reads asked for. */
  reads: number;
  /** Reads answered from a remembered listing, without a call of their own. */
  servedFromSnapshot: number;
  /** Listing pages fetched. */
  pages: number;
  /** SessionId-filtered lookups made (lone reads and fallbacks). */
  singleLookups: number;
  /** Listings that failed and fell back to single lookups. */
  fallbacks: number;
}

interface Waiter {
  regionId: string;
  sessionId: string;
  client: AlicloudRpcClient;
  resolve: (found: FoundSession) => void;
  reject: (err: unknown) => void;
}

interface Remembered {
  record: TerminalSessionRecord;
  /** The cloud's clock when the page was answered. */
  serverDate?: Date;
  /** Local time the page arrived. */
  receivedAt: number;
}

interface Group {
  regionId: string;
  pending: Waiter[];
  timer?: ReturnType<typeof setTimeout>;
  /** The listing under way, if any; a flush waits for it before deciding what to fetch. */
  inFlight?: Promise<void>;
  snapshot: Map<string, Remembered>;
  /** Sessions this process changed, and when: a listing sent before that must not re-remember them. */
  forgotten: Map<string, number>;
}

const PAGE_SIZE = 100;

/** A key that separates callers who must not share answers; the secret only ever enters a hash. */
export function batchKey(client: AlicloudRpcClient, regionId: string, credentials: unknown): string {
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([client.product, client.endpoint, regionId, credentials ?? null]))
    .digest("hex");
  return fingerprint.slice(0, 32);
}

export class DescribeBatcher {
  private readonly groups = new Map<string, Group>();
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly describe: NonNullable<DescribeBatcherOptions["describe"]>;
  private readonly findOne: NonNullable<DescribeBatcherOptions["find"]>;
  readonly stats: DescribeBatcherStats = {
    reads: 0,
    servedFromSnapshot: 0,
    pages: 0,
    singleLookups: 0,
    fallbacks: 0,
  };

  constructor(options: DescribeBatcherOptions = {}) {
    this.windowMs = options.windowMs ?? 10;
    this.maxBatch = options.maxBatch ?? PAGE_SIZE;
    this.ttlMs = options.snapshotTtlMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.describe = options.describe ?? describeTerminalSessions;
    this.findOne =
      options.find ?? ((client, regionId, sessionId) => findTerminalSession(client, regionId, sessionId));
  }

  /**
   * Looks a session up like `findTerminalSession(client, regionId, sessionId)`, sharing calls
   * with concurrent lookups that have the same endpoint, region and `credentials`.
   */
  find(
    client: AlicloudRpcClient,
    regionId: string,
    sessionId: string,
    credentials?: unknown,
  ): Promise<FoundSession> {
    this.stats.reads++;
    const group = this.group(batchKey(client, regionId, credentials), regionId);
    const hit = this.remembered(group, sessionId);
    if (hit) {
      this.stats.servedFromSnapshot++;
      return Promise.resolve(hit);
    }
    return new Promise<FoundSession>((resolve, reject) => {
      group.pending.push({ regionId, sessionId, client, resolve, reject });
      if (group.pending.length >= this.maxBatch) this.flushSoon(group, 0);
      else if (!group.timer) this.flushSoon(group, this.windowMs);
    });
  }

  /** Drops what is remembered about a session (this process just ended or changed it). */
  forget(regionId: string, sessionId: string): void {
    for (const group of this.groups.values()) {
      if (group.regionId !== regionId) continue;
      group.snapshot.delete(sessionId);
      group.forgotten.set(sessionId, this.now());
    }
  }

  private group(key: string, regionId: string): Group {
    let group = this.groups.get(key);
    if (!group) {
      group = { regionId, pending: [], snapshot: new Map(), forgotten: new Map() };
      this.groups.set(key, group);
    }
    return group;
  }

  /** A still-fresh listed record, with the cloud's clock moved on by the time since. */
  private remembered(group: Group, sessionId: string): FoundSession | undefined {
    const entry = group.snapshot.get(sessionId);
    if (!entry) return undefined;
    const age = this.now() - entry.receivedAt;
    if (age > this.ttlMs) {
      group.snapshot.delete(sessionId);
      return undefined;
    }
    const serverDate = entry.serverDate ? new Date(entry.serverDate.getTime() + age) : undefined;
    return { record: entry.record, serverDate };
  }

  /** Drops remembered records past their time, so a long-lived process does not accumulate them. */
  private prune(group: Group): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, entry] of group.snapshot) if (entry.receivedAt < cutoff) group.snapshot.delete(id);
    for (const [id, at] of group.forgotten) if (at < cutoff) group.forgotten.delete(id);
  }

  private flushSoon(group: Group, delayMs: number): void {
    if (group.timer) clearTimeout(group.timer);
    group.timer = setTimeout(() => {
      group.timer = undefined;
      const batch = group.pending.splice(0);
      if (batch.length > 0) void this.serve(group, batch);
    }, delayMs);
  }

  private async serve(group: Group, batch: Waiter[]): Promise<void> {
    // A listing already under way may answer some of these: wait for it rather than list twice.
    while (group.inFlight) await group.inFlight;
    const open: Waiter[] = [];
    for (const w of batch) {
      const hit = this.remembered(group, w.sessionId);
      if (hit) {
        this.stats.servedFromSnapshot++;
        w.resolve(hit);
      } else open.push(w);
    }
    if (open.length === 0) return;
    const run = open.length === 1 ? this.single(open[0]) : this.list(group, open);
    const inFlight: Promise<void> = run.finally(() => {
      if (group.inFlight === inFlight) group.inFlight = undefined;
    });
    group.inFlight = inFlight;
    await inFlight;
  }

  private async single(w: Waiter): Promise<void> {
    this.stats.singleLookups++;
    try {
      w.resolve(await this.findOne(w.client, w.regionId, w.sessionId));
    } catch (err) {
      w.reject(err);
    }
  }

  /** Pages the region listing for `waiters`, then single lookups for whatever it did not settle. */
  private async list(group: Group, waiters: Waiter[]): Promise<void> {
    const wanted = new Map(waiters.map((w) => [w.sessionId, w]));
    const found = new Map<string, FoundSession>();
    const budget = Math.ceil(waiters.length / 2);
    this.prune(group);
    let complete = false;
    try {
      let nextToken: string | undefined;
      for (let page = 1; page <= budget; page++) {
        this.stats.pages++;
        const sentAt = this.now();
        const result = await this.describe(waiters[0].client, {
          regionId: group.regionId,
          maxResults: PAGE_SIZE,
          nextToken,
        });
        const receivedAt = this.now();
        for (const record of result.items) {
          const forgottenAt = group.forgotten.get(record.sessionId);
          if (forgottenAt === undefined || forgottenAt < sentAt) {
            group.snapshot.set(record.sessionId, { record, serverDate: result.serverDate, receivedAt });
          }
          if (wanted.has(record.sessionId))
            found.set(record.sessionId, { record, serverDate: result.serverDate });
        }
        nextToken = result.nextToken || undefined;
        if (nextToken === undefined) {
          complete = true;
          // Gone from a complete listing: what the SessionId filter would say too.
          for (const id of wanted.keys())
            if (!found.has(id)) found.set(id, { serverDate: result.serverDate });
        }
        if (complete || found.size === wanted.size) break;
      }
    } catch {
      // Listing is an optimisation: what it found stands, the rest gets the calls a read makes
      // without batching (and so the errors it would have had).
      this.stats.fallbacks++;
    }
    const rest: Waiter[] = [];
    for (const w of waiters) {
      const hit = found.get(w.sessionId);
      if (hit) w.resolve(hit);
      else rest.push(w);
    }
    await Promise.all(rest.map((w) => this.single(w)));
  }
}

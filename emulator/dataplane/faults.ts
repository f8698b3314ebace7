/**
 * Faults on the data planes' WebSockets (`POST /_admin/dataplane/faults`), so clients can be
 * tested against what networks and the clouds do to long-lived connections:
 * - `drop`: the TCP connection is destroyed without a close frame, as when a network drops. The
 *   service side does not notice either (an SSM session stays Connected and its agent keeps its
 *   state for a ResumeSession, as on AWS). At once (`at: "now"`), `everyMs` after each connection
 *   opened, or once a connection carried `afterBytes` either way.
 * - SSM only, on stream data messages (input_stream_data, output_stream_data): `delayFrames` holds
 *   them `delayMs` on the clock; `dropFrames` loses them, so the peers must resend them.
 * A rule with `count` retires after that many drops or frames; `sessionId` narrows it to one
 * session. Timers run on the local cloud's clock.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Clock, ClockTimer } from "../clock";

const plane = z.enum(["ssm", "ecs"]);
const direction = z.enum(["toClient", "toAgent", "both"]).default("both");
const count = z.number().int().positive().optional();
const sessionId = z.string().min(1).optional();
const probability = z.number().min(0).max(1).optional();

const dropRule = z
  .object({
    plane,
    sessionId,
    kind: z.literal("drop"),
    /** Every matching live connection, once, as the rule is added. */
    at: z.literal("now").optional(),
    /** Each connection, this long after it opened (or after the rule was added, if later). */
    everyMs: z.number().int().positive().optional(),
    /** A connection, once it carried this many bytes either way (counted from the later of the two). */
    afterBytes: z.number().int().positive().optional(),
    count,
  })
  .strict()
  .refine((r) => [r.at, r.everyMs, r.afterBytes].filter((v) => v !== undefined).length === 1, {
    message: 'a drop needs exactly one of at: "now", everyMs, afterBytes',
    path: ["at"],
  });

const delayFramesRule = z
  .object({
    plane: z.literal("ssm"),
    sessionId,
    kind: z.literal("delayFrames"),
    delayMs: z.number().int().positive().max(600_000),
    direction,
    probability,
    count,
  })
  .strict();

const dropFramesRule = z
  .object({
    plane: z.literal("ssm"),
    sessionId,
    kind: z.literal("dropFrames"),
    direction,
    probability,
    /** Every Nth matching frame is lost (instead of by chance). */
    everyNth: z.number().int().min(1).optional(),
    count,
  })
  .strict()
  .refine((r) => r.everyNth === undefined || r.probability === undefined, {
    message: "everyNth and probability exclude each other",
    path: ["everyNth"],
  });

export const dataPlaneFaultSchema = z.discriminatedUnion("kind", [dropRule, delayFramesRule, dropFramesRule]);

export type DataPlaneFaultInput = z.input<typeof dataPlaneFaultSchema>;
export type DataPlaneFault = z.output<typeof dataPlaneFaultSchema> & {
  id: string;
  /** Drops done, or frames delayed or lost, so far. */
  applied: number;
};
export type FrameDirection = "toClient" | "toAgent";
export type Plane = DataPlaneFault["plane"];

/** What a data plane tells the faults of one live WebSocket. */
export interface FaultTarget {
  plane: Plane;
  sessionId: string;
  /** Destroys the TCP connection, no close frame (ws `terminate`). */
  drop(): void;
}

/** The faults' view of one live WebSocket; `close` when it ends. */
export interface ConnectionFaults {
  /** Bytes carried (either way); an `afterBytes` rule may drop the connection. */
  carried(bytes: number): void;
  /**
   * A stream data message on its way: `deliver` runs now, later (delayFrames) or never
   * (dropFrames). Other frames must not come here.
   */
  frame(way: FrameDirection, deliver: () => void): void;
  close(): void;
}

interface Watched {
  target: FaultTarget;
  /** Bytes carried in all. */
  bytes: number;
  /** Per afterBytes rule: the byte count when it started watching this connection. */
  baselines: Map<string, number>;
  /** Per everyMs rule: the timer that drops this connection. */
  timers: Map<string, ClockTimer>;
  /** Delayed frames not delivered yet. */
  delayed: Set<ClockTimer>;
  closed: boolean;
}

export class DataPlaneFaults {
  private rules: DataPlaneFault[] = [];
  private readonly live = new Set<Watched>();
  /** Per dropFrames rule with everyNth: matching frames seen. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** Adds a rule (throws ZodError naming the field); `at: "now"` is applied at once and not kept. */
  add(input: unknown): DataPlaneFault {
    const rule: DataPlaneFault = {
      ...dataPlaneFaultSchema.parse(input),
      id: `df-${randomBytes(6).toString("hex")}`,
      applied: 0,
    };
    if (rule.kind === "drop" && rule.at === "now") {
      for (const w of [...this.live])
        if (this.matches(rule, w.target) && !this.retired(rule)) this.drop(rule, w);
      return { ...rule };
    }
    this.rules.push(rule);
    for (const w of this.live) this.startWatching(rule, w);
    return { ...rule };
  }

  /** Whether any rule delays or loses frames (the data plane looks at frames only then). */
  get hasFrameRules(): boolean {
    return this.rules.some((r) => r.kind !== "drop");
  }

  list(): DataPlaneFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    for (const rule of [...this.rules]) this.retire(rule);
    this.seen.clear();
  }

  /** A WebSocket came up (SSM: after OpenDataChannel was accepted). */
  watch(target: FaultTarget): ConnectionFaults {
    const w: Watched = {
      target,
      bytes: 0,
      baselines: new Map(),
      timers: new Map(),
      delayed: new Set(),
      closed: false,
    };
    this.live.add(w);
    for (const rule of this.rules) this.startWatching(rule, w);
    return {
      carried: (bytes) => this.carried(w, bytes),
      frame: (way, deliver) => this.frame(w, way, deliver),
      close: () => this.unwatch(w),
    };
  }

  private matches(rule: DataPlaneFault, target: FaultTarget): boolean {
    return (
      rule.plane === target.plane && (rule.sessionId === undefined || rule.sessionId === target.sessionId)
    );
  }

  private startWatching(rule: DataPlaneFault, w: Watched): void {
    if (rule.kind !== "drop" || !this.matches(rule, w.target)) return;
    if (rule.afterBytes !== undefined) w.baselines.set(rule.id, w.bytes);
    if (rule.everyMs !== undefined)
      w.timers.set(
        rule.id,
        this.clock.setTimeout(() => {
          w.timers.delete(rule.id);
          if (!w.closed && this.rules.includes(rule)) this.drop(rule, w);
        }, rule.everyMs),
      );
  }

  private carried(w: Watched, bytes: number): void {
    w.bytes += bytes;
    // A dropped connection still reports what was written to it until its close event.
    if (w.closed || w.baselines.size === 0) return;
    for (const rule of this.rules) {
      const since = w.baselines.get(rule.id);
      if (rule.kind !== "drop" || rule.afterBytes === undefined || since === undefined) continue;
      if (w.bytes - since < rule.afterBytes) continue;
      this.drop(rule, w);
      return;
    }
  }

  private frame(w: Watched, way: FrameDirection, deliver: () => void): void {
    for (const rule of this.rules) {
      if (rule.kind === "drop" || !this.matches(rule, w.target)) continue;
      if (rule.direction !== "both" && rule.direction !== way) continue;
      if (!this.fires(rule)) continue;
      this.count(rule);
      if (rule.kind === "dropFrames") return;
      const timer = this.clock.setTimeout(() => {
        w.delayed.delete(timer);
        deliver();
      }, rule.delayMs);
      w.delayed.add(timer);
      return;
    }
    deliver();
  }

  /** Whether a frame rule takes this frame (by its every-Nth counter, or by chance). */
  private fires(rule: DataPlaneFault): boolean {
    if (rule.kind === "dropFrames" && rule.everyNth !== undefined) {
      const n = (this.seen.get(rule.id) ?? 0) + 1;
      this.seen.set(rule.id, n);
      return n % rule.everyNth === 0;
    }
    const p = rule.kind === "drop" ? 1 : (rule.probability ?? 1);
    return this.random() < p;
  }

  private drop(rule: DataPlaneFault, w: Watched): void {
    this.count(rule);
    this.unwatch(w);
    w.target.drop();
  }

  private count(rule: DataPlaneFault): void {
    rule.applied++;
    if (this.retired(rule)) this.retire(rule);
  }

  private retired(rule: DataPlaneFault): boolean {
    return rule.count !== undefined && rule.applied >= rule.count;
  }

  private retire(rule: DataPlaneFault): void {
    this.rules = this.rules.filter((r) => r !== rule);
    this.seen.delete(rule.id);
    for (const w of this.live) {
      w.baselines.delete(rule.id);
      w.timers.get(rule.id)?.clear();
      w.timers.delete(rule.id);
    }
  }

  /** The connection ended: its timers go; frames still delayed are lost with it. */
  private unwatch(w: Watched): void {
    if (w.closed) return;
    w.closed = true;
    this.live.delete(w);
    for (const t of [...w.timers.values(), ...w.delayed]) t.clear();
  }
}

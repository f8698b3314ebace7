/**
 * Fault injection (`POST /_admin/faults`): rules that make matching API calls fail, slow down or
 * lose their response, so retry and error paths can be tested against the official clients.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

export const faultRuleSchema = z
  .object({
    /** Service name (`ecs`, `das`, `ssm`); any service when absent. */
    service: z.string().min(1).optional(),
    /** Action name (`StartTerminalSession`), or `*` for every action. */
    action: z.string().min(1),
    /**
     * throttle: the cloud's throttling error. serverError: 503 ServiceUnavailable.
     * latency: wait `latencyMs` then proceed. dropResponse: run the action, then destroy the
     * socket without answering (the client sees a reset; the state change happened).
     */
    kind: z.enum(["throttle", "serverError", "latency", "dropResponse"]),
    /** Chance each matching call is affected (default 1). */
    probability: z.number().min(0).max(1).default(1),
    /** Number of calls to affect before the rule retires itself (default: unlimited). */
    count: z.number().int().positive().optional(),
    /** For `latency` (default 1000). */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema> & { id: string; applied: number };
export type FaultKind = FaultRule["kind"];

export class FaultInjector {
  private rules: FaultRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(input: unknown): FaultRule {
    const rule: FaultRule = {
      ...faultRuleSchema.parse(input),
      id: `f-${randomBytes(6).toString("hex")}`,
      applied: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * Rules that fire for this call, in the order added, at most one per kind. Counting happens here,
   * so a rule with `count: 2` affects exactly two calls.
   */
  pick(service: string, action: string): FaultRule[] {
    const fired: FaultRule[] = [];
    for (const rule of this.rules) {
      if (rule.service !== undefined && rule.service !== service) continue;
      if (rule.action !== "*" && rule.action !== action) continue;
      if (fired.some((r) => r.kind === rule.kind)) continue;
      if (this.random() >= rule.probability) continue;
      rule.applied++;
      fired.push({ ...rule });
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.applied < r.count);
    return fired;
  }
}

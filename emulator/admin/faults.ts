/**
 * Fault injection (`POST /_admin/faults`): rules that make matching API calls fail, slow down or
 * lose their response, so retry and error paths can be tested against the official clients.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ApiError } from "../protocol/apiError";

/**
 * The 5xx answers a `serverError` rule may give, per service, as the API references document
 * them (ECS DescribeTerminalSessions `InternalError`, StartTerminalSession `InternalError.Dispatch`,
 * SSM `InternalServerError`; `ServiceUnavailable` is the gateways' outage answer, the default).
 */
export const SERVER_ERRORS: Record<string, Record<string, { status: number; message: string }>> = {
  ecs: {
    ServiceUnavailable: {
      status: 503,
      message: "The request has failed due to a temporary failure of the server.",
    },
    InternalError: { status: 500, message: "An error occurred when you dispatched the request." },
    "InternalError.Dispatch": { status: 500, message: "An error occurred when you dispatched the request." },
  },
  das: {
    ServiceUnavailable: {
      status: 503,
      message: "The request has failed due to a temporary failure of the server.",
    },
    InternalError: {
      status: 500,
      message: "The request processing has failed due to some unknown error, exception or failure.",
    },
  },
  ssm: {
    ServiceUnavailable: { status: 503, message: "Service is unavailable. Try again later." },
    InternalServerError: { status: 500, message: "An error occurred on the server side." },
  },
};

/** The error a `serverError` rule with a `code` answers with. */
export function injectedServerError(service: string, code: string): ApiError {
  const known = SERVER_ERRORS[service]?.[code];
  if (!known) throw new Error(`no injectable server error ${code} for ${service}`);
  return new ApiError(known.status, code, known.message);
}

export const faultRuleSchema = z
  .object({
    /** Service name (`ecs`, `das`, `ssm`); any service when absent. */
    service: z.string().min(1).optional(),
    /** Action name (`StartTerminalSession`), or `*` for every action. */
    action: z.string().min(1),
    /**
     * throttle: the cloud's throttling error. serverError: 503 ServiceUnavailable, or `code`.
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
    /**
     * For `serverError`: which documented 5xx to answer (see SERVER_ERRORS; needs `service`).
     * Default: 503 ServiceUnavailable.
     */
    code: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.code === undefined) return;
    const codes = rule.service === undefined ? undefined : SERVER_ERRORS[rule.service];
    if (rule.kind !== "serverError" || !codes || !(rule.code in codes)) {
      const choices = Object.entries(SERVER_ERRORS)
        .map(([service, byCode]) => `${service}: ${Object.keys(byCode).join(", ")}`)
        .join("; ");
      ctx.addIssue({
        code: "custom",
        path: ["code"],
        message: `code goes with kind "serverError" and a service, one of ${choices}`,
      });
    }
  });

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

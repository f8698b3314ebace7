/**
 * A small typed client for the admin API, for tests and benchmarks:
 *   const admin = new AdminClient(cloud); // or the start line's {url, adminToken}
 *   await admin.addFault({ action: "StartTerminalSession", kind: "throttle", count: 1 });
 */
import type { DataPlaneFault, DataPlaneFaultInput } from "../dataplane/faults";
import type { DataPlaneSettingsInput, DataPlaneSettingsView } from "../dataplane/settings";
import type { StateStatus } from "../persistence/store";
import type { FaultRule, FaultRuleInput } from "./faults";
import type { InventoryChange } from "./inventory";
import type { RequestLogEntry } from "./requestLog";

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`admin API answered ${status}: ${JSON.stringify(body)}`);
    this.name = "AdminError";
  }
}

/** Where the admin API is and its token: a started `LocalCloud`, or the CLI's start line. */
export interface AdminTarget {
  /** The local cloud's base URL (`http://127.0.0.1:PORT`). */
  url: string;
  adminToken: string;
}

export class AdminClient {
  private readonly base: string;
  private readonly token: string;

  constructor(target: AdminTarget) {
    this.base = target.url.replace(/\/+$/, "");
    this.token = target.adminToken;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/_admin/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text === "" ? undefined : JSON.parse(text);
    if (!res.ok) throw new AdminError(res.status, parsed);
    return parsed as T;
  }

  /** `state`: how the state dir's writes go (absent without a state dir). */
  health(): Promise<{ ok: boolean; state?: StateStatus }> {
    return this.call("GET", "health");
  }

  requests(): Promise<RequestLogEntry[]> {
    return this.call("GET", "requests");
  }

  async clearRequests(): Promise<void> {
    await this.call("DELETE", "requests");
  }

  sessions(): Promise<Record<string, unknown>> {
    return this.call("GET", "sessions");
  }

  faults(): Promise<FaultRule[]> {
    return this.call("GET", "faults");
  }

  addFault(rule: FaultRuleInput): Promise<FaultRule> {
    return this.call("POST", "faults", rule);
  }

  async clearFaults(): Promise<void> {
    await this.call("DELETE", "faults");
  }

  dataPlaneFaults(): Promise<DataPlaneFault[]> {
    return this.call("GET", "dataplane/faults");
  }

  /** A drop `at: "now"` is done when this resolves (`applied`: connections dropped). */
  addDataPlaneFault(rule: DataPlaneFaultInput): Promise<DataPlaneFault> {
    return this.call("POST", "dataplane/faults", rule);
  }

  async clearDataPlaneFaults(): Promise<void> {
    await this.call("DELETE", "dataplane/faults");
  }

  dataPlaneSettings(): Promise<DataPlaneSettingsView> {
    return this.call("GET", "dataplane/settings");
  }

  setDataPlaneSettings(change: DataPlaneSettingsInput): Promise<DataPlaneSettingsView> {
    return this.call("POST", "dataplane/settings", change);
  }

  inventory(): Promise<Record<string, unknown>> {
    return this.call("GET", "inventory");
  }

  addInventory(change: InventoryChange): Promise<Record<string, unknown>> {
    return this.call("POST", "inventory", change);
  }
}

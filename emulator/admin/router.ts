/**
 * The admin API under `/_admin/`. The server lets a call through only with the admin token
 * (`Authorization: Bearer <adminToken>`) and, for bodies, `Content-Type: application/json`
 * (emulator/security/):
 *   GET    /_admin/requests    request log rows {time, requestId, protocol, service, action, status, code, durationMs}
 *   DELETE /_admin/requests    clear the log
 *   GET    /_admin/sessions    live state of every service, keyed by service name
 *   GET    /_admin/faults      active fault rules
 *   POST   /_admin/faults      add a rule {service?, action, kind, probability?, count?, latencyMs?} -> the rule
 *   DELETE /_admin/faults      remove every rule
 *   GET    /_admin/dataplane/faults    active data-plane fault rules
 *   POST   /_admin/dataplane/faults    add a rule (emulator/dataplane/faults.ts) -> the rule {id, applied, ...}:
 *            {plane: "ssm"|"ecs", sessionId?, kind: "drop", at: "now" | everyMs | afterBytes, count?}
 *            {plane: "ssm", sessionId?, kind: "delayFrames", delayMs, direction?, probability?, count?}
 *            {plane: "ssm", sessionId?, kind: "dropFrames", direction?, probability? | everyNth?, count?}
 *   DELETE /_admin/dataplane/faults    remove every data-plane rule
 *   GET    /_admin/dataplane/settings  {ssm: {idleTimeoutMs, periodicCloseMs?}, ecs: {...}}
 *   POST   /_admin/dataplane/settings  change some of them (periodicCloseMs: null turns it off) -> all of them
 *   GET    /_admin/inventory   credentials (masked), ECS instances, SSM targets, DAS instances
 *   POST   /_admin/inventory   upsert/remove items (see inventory.ts) -> the new inventory
 *   GET    /_admin/health      {ok: true, state?: {file, savedAt?, lastError?}} (state: with a state dir)
 */
import { ZodError } from "zod";
import type { LocalCloudConfig } from "../config";
import type { Service } from "../services/types";
import type { StateStatus } from "../persistence/store";
import type { DataPlaneFaults } from "../dataplane/faults";
import type { DataPlaneSettings } from "../dataplane/settings";
import type { FaultInjector } from "./faults";
import { applyInventoryChange, inventoryView, type AppliedInventoryChange } from "./inventory";
import type { RequestLog } from "./requestLog";

export const ADMIN_PREFIX = "/_admin/";

export interface AdminDeps {
  config: LocalCloudConfig;
  services: Service[];
  requestLog: RequestLog;
  faults: FaultInjector;
  dataPlaneFaults: DataPlaneFaults;
  dataPlaneSettings: DataPlaneSettings;
  /** How the state dir's writes go; undefined without a state dir. */
  stateStatus?(): StateStatus | undefined;
  /** Told of every inventory change applied (the state dir keeps them). */
  inventoryChanged?(change: AppliedInventoryChange): void;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  return JSON.parse(body.toString("utf8"));
}

export function handleAdmin(deps: AdminDeps, method: string, path: string, body: Buffer): AdminResponse {
  const route = `${method.toUpperCase()} ${path.replace(/\/+$/, "")}`;
  try {
    switch (route) {
      case "GET /_admin/health":
        return { status: 200, body: { ok: true, state: deps.stateStatus?.() } };
      case "GET /_admin/requests":
        return { status: 200, body: deps.requestLog.list() };
      case "DELETE /_admin/requests":
        deps.requestLog.clear();
        return { status: 204, body: null };
      case "GET /_admin/sessions": {
        const out: Record<string, unknown> = {};
        for (const s of deps.services) if (s.snapshot) out[s.name] = s.snapshot();
        return { status: 200, body: out };
      }
      case "GET /_admin/faults":
        return { status: 200, body: deps.faults.list() };
      case "POST /_admin/faults":
        return { status: 201, body: deps.faults.add(parseJson(body)) };
      case "DELETE /_admin/faults":
        deps.faults.clear();
        return { status: 204, body: null };
      case "GET /_admin/dataplane/faults":
        return { status: 200, body: deps.dataPlaneFaults.list() };
      case "POST /_admin/dataplane/faults":
        return { status: 201, body: deps.dataPlaneFaults.add(parseJson(body)) };
      case "DELETE /_admin/dataplane/faults":
        deps.dataPlaneFaults.clear();
        return { status: 204, body: null };
      case "GET /_admin/dataplane/settings":
        return { status: 200, body: deps.dataPlaneSettings.view() };
      case "POST /_admin/dataplane/settings":
        return { status: 200, body: deps.dataPlaneSettings.update(parseJson(body)) };
      case "GET /_admin/inventory":
        return { status: 200, body: inventoryView(deps.config) };
      case "POST /_admin/inventory":
        deps.inventoryChanged?.(applyInventoryChange(deps.config, parseJson(body)));
        return { status: 200, body: inventoryView(deps.config) };
      default:
        return { status: 404, body: { error: `No admin route ${route}` } };
    }
  } catch (err) {
    if (err instanceof ZodError) return { status: 400, body: { error: "Invalid body", issues: err.issues } };
    if (err instanceof SyntaxError) return { status: 400, body: { error: `Invalid JSON: ${err.message}` } };
    throw err;
  }
}

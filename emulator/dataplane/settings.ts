/**
 * The data planes' timing settings (`GET/POST /_admin/dataplane/settings`): the idle timeouts and
 * the service's periodic close of long-lived WebSockets, per plane. Both run on the local cloud's
 * clock, so a test moves a ManualClock past 20 minutes or an hour instead of waiting.
 */
import { z } from "zod";

const MINUTE = 60_000;
/** A day: longer than any session the clouds allow, short enough to catch a unit mistake. */
const MAX_SETTING_MS = 24 * 60 * MINUTE;

const planeSettingsInput = z
  .object({
    /** No stream data either way for this long ends the session (SSM) or connection (ECS). */
    idleTimeoutMs: z.number().int().positive().max(MAX_SETTING_MS).optional(),
    /**
     * Every WebSocket of the plane is closed by the service this long after it opened (AWS: about
     * hourly); `null` turns it off (the default).
     */
    periodicCloseMs: z.number().int().positive().max(MAX_SETTING_MS).nullable().optional(),
  })
  .strict();

export const dataPlaneSettingsSchema = z
  .object({ ssm: planeSettingsInput.optional(), ecs: planeSettingsInput.optional() })
  .strict();

export type DataPlaneSettingsInput = z.input<typeof dataPlaneSettingsSchema>;

/** One plane's settings in force. */
export interface PlaneSettings {
  idleTimeoutMs: number;
  /** Absent: the service never closes a WebSocket on its own schedule. */
  periodicCloseMs?: number;
}

export interface DataPlaneSettingsView {
  ssm: PlaneSettings;
  ecs: PlaneSettings;
}

/** Session Manager's default idle timeout (its preferences allow 1..60 minutes). */
export const SSM_IDLE_TIMEOUT_MS = 20 * MINUTE;
/** Cloud Assistant closes a connection with no data for 3 minutes (seed 004). */
export const ECS_IDLE_TIMEOUT_MS = 3 * MINUTE;

export class DataPlaneSettings {
  private current: DataPlaneSettingsView;

  constructor(initial: { ssmIdleTimeoutMs?: number; ecsIdleTimeoutMs?: number } = {}) {
    this.current = {
      ssm: { idleTimeoutMs: initial.ssmIdleTimeoutMs ?? SSM_IDLE_TIMEOUT_MS },
      ecs: { idleTimeoutMs: initial.ecsIdleTimeoutMs ?? ECS_IDLE_TIMEOUT_MS },
    };
  }

  get ssm(): PlaneSettings {
    return this.current.ssm;
  }

  get ecs(): PlaneSettings {
    return this.current.ecs;
  }

  /** Applies what the body names (throws ZodError naming the field); returns the settings in force. */
  update(input: unknown): DataPlaneSettingsView {
    const change = dataPlaneSettingsSchema.parse(input);
    this.current = { ssm: merged(this.current.ssm, change.ssm), ecs: merged(this.current.ecs, change.ecs) };
    return this.view();
  }

  view(): DataPlaneSettingsView {
    return { ssm: { ...this.current.ssm }, ecs: { ...this.current.ecs } };
  }
}

function merged(
  settings: PlaneSettings,
  change: z.output<typeof planeSettingsInput> | undefined,
): PlaneSettings {
  if (!change) return settings;
  const out = { ...settings, idleTimeoutMs: change.idleTimeoutMs ?? settings.idleTimeoutMs };
  if (change.periodicCloseMs === null) delete out.periodicCloseMs;
  else if (change.periodicCloseMs !== undefined) out.periodicCloseMs = change.periodicCloseMs;
  return out;
}

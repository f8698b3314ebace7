/** The Command resources' limits, apart from the schemas so that runs never load zod. */
export const COMMAND_LIMITS = {
  /** The default `timeout`: ten minutes, as `remote.Command` users expect of a deployment step. */
  defaultTimeoutSeconds: 600,
  /** A day: longer runs belong in a service, not a deployment step. */
  maxTimeoutSeconds: 86_400,
  /**
   * Sessions one provider process holds at once per instance: below ECS's 20 connected per
   * instance, leaving room for the tunnels and shells other processes hold there.
   */
  sessionsPerInstance: 16,
  /** Sessions one provider process holds at once per region: below ECS's 100 active per region. */
  sessionsPerRegion: 90,
} as const;

/**
 * What `alicloud.KillInstanceSessionTask` warns about: inputs that are valid but probably not
 * what the user meant. The class logs them on the resource, since a dynamic provider's `check`
 * can only fail.
 */

/** Warnings about inputs that are valid but probably not what the user meant. */
export function killTaskWarnings(v: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  if (v.killAllSessions === true && Array.isArray(v.sessionIds) && v.sessionIds.length > 0) {
    warnings.push(
      "sessionIds is ignored because killAllSessions is true: every session except those of ignoredUsers, " +
        "internal O&M accounts and Binlog Dump threads will be killed. Remove sessionIds, or set " +
        "killAllSessions: false to kill only the listed sessions.",
    );
  }
  return warnings;
}

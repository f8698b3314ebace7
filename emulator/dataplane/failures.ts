/**
 * Failures the local cloud confines to one request, connection or session: one log line each, without
 * secrets, and a wrapper that keeps anything a listener or timer throws from reaching the
 * event loop (where it would end the local cloud and every other session).
 */

/** One line naming the failure; query strings (which may carry a token) are cut out. */
export function describeFailure(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const line = text.split("\n", 1)[0].replace(/\?\S*/g, "?…");
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Logs a confined failure: where it happened (a data plane and a session id) and what it was. */
export function logFailure(where: string, err: unknown): void {
  console.error(`[local-cloud] ${where}: ${describeFailure(err)}`);
}

/**
 * Wraps a listener or timer callback: what it throws goes to `onFailure` (which ends that one
 * connection or session); a failure of `onFailure` itself is only logged.
 */
export function contained<A extends unknown[]>(
  where: () => string,
  fn: (...args: A) => void,
  onFailure: (err: unknown) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      try {
        onFailure(err);
      } catch (again) {
        logFailure(where(), again);
      }
    }
  };
}

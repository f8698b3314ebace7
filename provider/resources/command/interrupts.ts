/**
 * Runs in flight, stopped on SIGINT or SIGTERM, or by the engine's Cancel (the plugin's). A
 * terminal's Ctrl-C reaches only the CLI: plugins run in process groups of their own. On the
 * first, the engine cancels gracefully: it calls Cancel and waits for the steps in flight (the
 * Node.js dynamic provider host ignores Cancel, so its scripts run on, up to their timeout). On
 * the second, it stops its plugins with SIGINT, then SIGKILL 5 s later: each running script is
 * aborted and its session ended before the process exits.
 */

/** How long the runs may take to end their sessions before the process exits anyway. */
const SETTLE_MS = 4_000;

const running = new Map<AbortController, Promise<unknown>>();
let watching = false;

/** Stops every run in flight: each fails its step and ends its session. */
export function abortRuns(reason: string): void {
  for (const controller of running.keys()) controller.abort(new Error(reason));
}

async function stopAll(signal: NodeJS.Signals): Promise<void> {
  const settling = [...running.values()].map((done) => done.catch(() => undefined));
  abortRuns(`stopped by ${signal}`);
  await Promise.race([Promise.all(settling), new Promise((r) => setTimeout(r, SETTLE_MS).unref())]);
  // Another handler (the plugin's tunnels) exits the process itself; without one, this does,
  // as the default handler would have.
  if (process.listenerCount(signal) <= 1) process.exit(130);
}

function watch(): void {
  if (watching) return;
  watching = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    let stopping = false;
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stopAll(signal);
    });
  }
}

/** Runs `work` with a signal that aborts on SIGINT/SIGTERM; the process waits for it to settle. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  watch();
  const controller = new AbortController();
  const done = work(controller.signal);
  running.set(controller, done);
  try {
    return await done;
  } finally {
    running.delete(controller);
  }
}

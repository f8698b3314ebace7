/**
 * A process that runs our session clients (client/ssm, client/ecs) on request, so a far end's
 * bytes can be thrown at them and their memory read apart from the caller's. Run with
 * `node -r bench/register.js` (see clientProcess.ts), driven over IPC:
 *   {id, op: "ssmForward", streamUrl, tokenValue}   ssm.forwardPort
 *   {id, op: "ecsForward", url}                     ecs.forwardPort
 *   {id, op: "ecsChannel", url}                     ecs.EcsChannel.open, until it ends
 *   {id, op: "close", target}                       close what request `target` opened
 * and answers {id, event: "opened", port?} then {id, event: "settled", ...}. A throw that
 * escapes a client is caught here (a real program would exit) and reported as {event: "crash"}.
 */
import * as ecs from "../../../client/ecs";
import * as ssm from "../../../client/ssm";

export type HostRequest =
  | { id: number; op: "ssmForward"; streamUrl: string; tokenValue: string }
  | { id: number; op: "ecsForward"; url: string }
  | { id: number; op: "ecsChannel"; url: string }
  | { id: number; op: "close"; target: number };

/** An error as it crosses the process boundary. */
export interface HostError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
}

export type HostEvent =
  | { id: number; event: "opened"; port?: number }
  | { id: number; event: "settled"; ok: boolean; error?: HostError; detail?: unknown }
  | { event: "crash"; error: HostError };

const reply = (e: HostEvent): void => void process.send?.(e);
const describe = (err: unknown): HostError => {
  const e = err as Error & { code?: unknown };
  return {
    name: e?.name ?? typeof err,
    code: typeof e?.code === "string" ? e.code : undefined,
    message: String(e?.message ?? err),
    stack: e?.stack,
  };
};

const closers = new Map<number, () => Promise<unknown>>();

async function serve(r: HostRequest): Promise<void> {
  const settle = (ok: boolean, error?: unknown, detail?: unknown): void =>
    reply({
      id: r.id,
      event: "settled",
      ok,
      error: error === undefined ? undefined : describe(error),
      detail,
    });
  try {
    switch (r.op) {
      case "ssmForward": {
        const f = await ssm.forwardPort({ streamUrl: r.streamUrl, tokenValue: r.tokenValue });
        closers.set(r.id, () => f.close());
        reply({ id: r.id, event: "opened", port: f.port });
        return settle(true, undefined, await f.done);
      }
      case "ecsForward": {
        const f = await ecs.forwardPort(r.url, { startDelayMs: 0 });
        closers.set(r.id, () => f.close());
        reply({ id: r.id, event: "opened", port: f.port });
        return;
      }
      case "ecsChannel": {
        const ended = new Promise<unknown>((resolve) => {
          void ecs.EcsChannel.open(r.url, { onOutput: () => undefined, onEnd: resolve }).then(
            (c) => {
              closers.set(r.id, async () => c.close());
              reply({ id: r.id, event: "opened" });
            },
            (err: unknown) => resolve({ rejected: err }),
          );
        });
        const end = (await ended) as { rejected?: unknown };
        return "rejected" in end ? settle(false, end.rejected) : settle(true, undefined, end);
      }
      case "close": {
        const close = closers.get(r.target);
        closers.delete(r.target);
        await close?.();
        return settle(true);
      }
    }
  } catch (err) {
    settle(false, err);
  }
}

process.on("message", (r: HostRequest) => void serve(r));
process.on("uncaughtException", (err) => reply({ event: "crash", error: describe(err) }));
process.on("unhandledRejection", (err) => reply({ event: "crash", error: describe(err) }));

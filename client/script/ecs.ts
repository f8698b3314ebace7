/**
 * A script on an ECS instance, over a session started with `ecsCommandLine()`'s CommandLine. The
 * session runs it on a pseudo-terminal, which has one output stream: stdout and stderr arrive
 * merged, in the order they were written.
 */
import { EcsChannel, type EcsChannelOptions } from "../ecs/channel";
import { refusedError } from "../ecs/shell";
import { ScriptSession, type ScriptResult, type ScriptRun } from "./run";

export type EcsScriptOptions = Omit<EcsChannelOptions, "signal">;

/** Runs `run` over the session's WebSocketUrl; resolves with the exit code, whatever it is. */
export async function runEcsScript(
  webSocketUrl: string,
  run: ScriptRun,
  options: EcsScriptOptions = {},
): Promise<ScriptResult> {
  const session = new ScriptSession(run, false);
  let drained: (() => void) | undefined;
  EcsChannel.open(
    webSocketUrl,
    {
      onOutput: (data) => session.output(data),
      onDrain: () => drained?.(),
      onEnd: (end) => {
        drained?.();
        if (end.error) return session.failed(end.error);
        if (end.refusal !== undefined) return session.failed(refusedError(end.refusal));
        session.ended(`close ${end.closeCode}${end.reason ? ` ${end.reason}` : ""}`);
      },
    },
    { ...options, signal: session.signal },
  ).then(
    (channel) =>
      session.attach({
        send: (data) =>
          channel.write(data) ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve)),
        close: () => channel.close(),
      }),
    (err: Error) => session.failed(err),
  );
  return session.result;
}

/**
 * A script on an SSM managed node, over a session started with `ssmCommandSession()`. That is an
 * InteractiveCommands session (a pseudo-terminal: the only kind whose input reaches the command),
 * so stderr is kept apart by the bootstrap itself and arrives, decoded, once the script ends.
 */
import { SsmPayloadType } from "../ssm/codec";
import { SsmDataChannel, type SsmSessionOptions } from "../ssm/dataChannel";
import { ScriptSession, type ScriptResult, type ScriptRun } from "./run";

export type SsmScriptOptions = Omit<SsmSessionOptions, "signal">;

export interface SsmScriptTarget {
  streamUrl: string;
  tokenValue: string;
  sessionId?: string;
}

/** Runs `run` over the session's data channel; resolves with the exit code, whatever it is. */
export async function runSsmScript(
  target: SsmScriptTarget,
  run: ScriptRun,
  options: SsmScriptOptions = {},
): Promise<ScriptResult> {
  const session = new ScriptSession(run, true);
  let paused = false;
  let resumed: (() => void) | undefined;
  SsmDataChannel.open(
    target,
    { ...options, signal: session.signal },
    {
      onMessage: (type, payload) => {
        if (type === SsmPayloadType.Output) session.output(payload);
        else if (type === SsmPayloadType.StdErr) session.stderrOutput(payload);
      },
      onPressure: (p) => {
        paused = p;
        if (!p) resumed?.();
      },
    },
  ).then(
    ({ channel, handshake }) => {
      session.attach({
        send: async (data) => {
          while (paused) await new Promise<void>((resolve) => (resumed = resolve));
          channel.send(SsmPayloadType.Output, data);
        },
        close: () => {
          resumed?.();
          channel.close();
        },
      });
      if (handshake.sessionType !== "InteractiveCommands" && handshake.sessionType !== "Standard_Stream")
        return session.failed(
          new Error(`a ${handshake.sessionType} session takes no input: start it with ssmCommandSession()`),
        );
      channel.closed.then(
        (end) =>
          session.ended(end.closedBy === "service" ? "channel_closed" : `close ${end.closeCode ?? ""}`),
        (err: Error) => session.failed(err),
      );
    },
    (err: Error) => session.failed(err),
  );
  return session.result;
}

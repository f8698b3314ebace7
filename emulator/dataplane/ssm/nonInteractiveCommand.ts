/**
 * A command as the SSM agent's NonInteractiveCommands plugin runs it: no terminal and no stdin;
 * stdout and stderr read apart (the agent sends them as Output and StdErr payloads, with the
 * document's separateOutputStream; the caller's `onStderr`). The client's input is not the
 * command's: the agent only looks in it for Ctrl-C and Ctrl-\, which it turns into SIGINT and
 * SIGQUIT to the command's process group.
 *
 * The agent splits the command like a shell and runs it without one; here `/bin/sh -c` runs it
 * (quoting behaves the same; shell syntax such as pipes works here and not there).
 */
import { ProcessPipe, type ProcessEvents } from "../processPipe";

/** The input bytes the agent turns into signals (appconfig.ByteControlSignalsLinux). */
const CONTROL_SIGNALS: ReadonlyMap<number, NodeJS.Signals> = new Map([
  [0x03, "SIGINT"],
  [0x1c, "SIGQUIT"],
]);

export class NonInteractiveCommand extends ProcessPipe {
  constructor(commandLine: string, sessionId: string, events: ProcessEvents) {
    super("/bin/sh", ["-c", commandLine], events, {
      env: { TERM: "xterm-256color", SESSION_ID: sessionId },
      // The agent's exec.Cmd has no Stdin: the command reads /dev/null.
      stdin: "ignore",
    });
  }

  /** The client's input: only the first control byte counts, as a signal to the command. */
  override write(chunk: Buffer): boolean {
    for (const byte of chunk) {
      const signal = CONTROL_SIGNALS.get(byte);
      if (signal) {
        this.signal(signal);
        break;
      }
    }
    return true;
  }
}

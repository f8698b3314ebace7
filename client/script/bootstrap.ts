/**
 * The fixed command a script session starts with. It is all the cloud records (StartTerminalSession's
 * CommandLine, the document's `command` parameter), so it holds no script and no secret: it reads
 * them from the session's input.
 *
 * On the far end's pseudo-terminal it turns echo and output processing off, says it is ready, then
 * reads (canonical mode, so a `^D` at a line's start ends each part) a header line and three
 * base64 parts: the script, the environment (shell `export` lines) and stdin. Base64 in short
 * lines is what the line discipline passes unchanged. The parts go to 0600 files in a private
 * temporary folder, which are opened and removed before the script runs. After the script it
 * prints a trailer with the exit code (the real ECS agent reports none), tagged with the run's
 * nonce so that no output can fake it.
 *
 * Both agents run it without a shell of their own (ECS splits it like a shell; SSM's
 * InteractiveCommands passes it to `sh -c`), hence the explicit `sh -c '...'`.
 */
import { ScriptError } from "./errors";

/** What the far end prints once echo is off: the payload may be sent from then on. */
export const READY = "\x1eready\x1e";
/** What the bootstrap exits with when it could not set the run up (no mktemp, base64, or space). */
export const SETUP_FAILED = 125;
/** StartTerminalSession's CommandLine limit. */
export const COMMAND_LINE_MAX = 512;

export interface BootstrapOptions {
  /** The shell that runs the script (an absolute path). Default `/bin/sh`. */
  shell?: string;
}

/**
 * `n` the nonce and `m` the stderr mode from the header line; `s` keeps stderr in a file sent
 * (base64) after the run, anything else leaves it on the terminal with stdout.
 */
function body(shell: string): string {
  return [
    "stty -echo -opost 2>/dev/null",
    "umask 077",
    `d=$(mktemp -d)||exit ${SETUP_FAILED}`,
    'trap "rm -rf $d" 0',
    'trap "exit 129" 1 2 15',
    `printf "${printfEscape(READY)}"`,
    "read -r n m",
    `base64 -d >$d/s&&base64 -d >$d/e&&base64 -d >$d/i||exit ${SETUP_FAILED}`,
    ". $d/e",
    "exec 3<$d/s 4<$d/i",
    "rm $d/s $d/e $d/i",
    `if [ "$m" = s ];then ${shell} /dev/fd/3 <&4 2>$d/x;else ${shell} /dev/fd/3 <&4;fi`,
    "r=$?",
    '[ "$m" = s ]&&{ printf "\\036%s:e\\036" $n;base64 $d/x;}',
    'printf "\\036%s:%d\\036" $n $r',
    "exit $r",
  ].join(";");
}

/** Writes control characters as printf's octal escapes (the command line stays printable). */
function printfEscape(text: string): string {
  return [...text].map((c) => (c < " " ? `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}` : c)).join("");
}

function bootstrap(options: BootstrapOptions = {}): string {
  const shell = options.shell ?? "/bin/sh";
  // It goes inside single quotes on a command line: a path of plain characters only.
  if (!/^\/[A-Za-z0-9_./+-]*$/.test(shell))
    throw new ScriptError(
      "Protocol",
      `shell must be an absolute path of letters, digits and _ . / + -; got ${JSON.stringify(shell)}`,
      "",
    );
  return `sh -c '${body(shell)}'`;
}

/** StartTerminalSession's CommandLine for a script run (at most 512 characters). */
export function ecsCommandLine(options?: BootstrapOptions): string {
  const line = bootstrap(options);
  if (line.length > COMMAND_LINE_MAX)
    throw new ScriptError(
      "Protocol",
      `the shell path makes the command line longer than ${COMMAND_LINE_MAX} characters`,
      "",
    );
  return line;
}

/**
 * StartSession's document and parameters for a script run. InteractiveCommands, not
 * NonInteractiveCommands: the agent gives a non-interactive command no stdin (it only reads
 * Ctrl-C and Ctrl-\ from the input, as signals), so nothing could reach the script that way.
 */
export function ssmCommandSession(options?: BootstrapOptions): {
  documentName: string;
  parameters: Record<string, string[]>;
} {
  return { documentName: "AWS-StartInteractiveCommand", parameters: { command: [bootstrap(options)] } };
}

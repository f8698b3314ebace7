/**
 * The `pulumi-sessions` command line: `pulumi-sessions <command> [options]`.
 * Each command parses its own options; this module only dispatches and reports errors.
 */
import { errorLine, UsageError, type Command } from "./command";
import { connect } from "./connect";
import { forward } from "./forward";
import { localCloud } from "./localCloud";

const COMMANDS: Command[] = [localCloud, connect, forward];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: pulumi-sessions <command> [options]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "`pulumi-sessions <command> --help` describes a command's options.",
    "",
  ].join("\n");
}

/** Runs one command line (without node and the script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest);
  } catch (e) {
    const prefix = command ? `pulumi-sessions ${command.name}` : "pulumi-sessions";
    process.stderr.write(`${prefix}: ${errorLine(e)}\n`);
    if (!(e instanceof UsageError)) return 1;
    process.stderr.write(`run \`${prefix} --help\` for usage\n`);
    return 2;
  }
}

/** Starts `main` as the process's bin and exits with its code. */
export function runBin(argv: string[]): void {
  void main(argv).then((code) => process.exit(code));
}

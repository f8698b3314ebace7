/**
 * What a subcommand of `pulumi-sessions` is: its name, one line for the overview, and a `run`
 * that parses its own arguments (node:util parseArgs) and resolves to the process exit code.
 */
export interface Command {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** A mistake in the command line: printed as one line with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** Wraps parseArgs' own errors (unknown option, missing value) as usage errors. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

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

/**
 * Wraps parseArgs' own errors (unknown option, missing value) as usage errors, never repeating
 * an argument: it may be a URL with its token.
 */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new UsageError(message.replace(/^Unexpected argument '.*?'\./s, "Unexpected argument."));
  }
}

/** One line for an error: a session's typed error by name and code, then its message. */
export function errorLine(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const typed = /SessionError$|SessionProtocolError$/.test(e.name) && typeof code === "string";
  return (typed ? `${e.name} ${code}: ${e.message}` : e.message).replace(/\s*\n\s*/g, " ");
}

/** A tunnel's lines for the engine's log: one line each, without secrets. */
import { redactSecrets } from "../errors/redact";

/** An error's message as one line without secrets, for the engine's log. */
export function logLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactSecrets(text).replace(/\s+/g, " ").trim().replace(/\.$/, "").slice(0, 300);
}

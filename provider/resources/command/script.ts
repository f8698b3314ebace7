/**
 * The session clients' script runner (`client/script`), loaded on first run only: a destroy
 * with no `delete` script and a refresh never load the session clients.
 */
import type * as ScriptModule from "../../../client/script";

export type { ScriptErrorCode, ScriptResult, ScriptRun } from "../../../client/script";

/** `client/script`, loaded on first use. */
export function scriptModule(): typeof ScriptModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../../../client/script") as typeof ScriptModule;
}

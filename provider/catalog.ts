/**
 * Every resource of the package, with what schema.json and the docs are generated from.
 * One entry per resource; the zod schemas and their doc comments are the single source.
 */
import type { z } from "zod";
import * as killInstanceSessionTask from "./schemas/killInstanceSessionTask";
import * as terminalSession from "./schemas/terminalSession";
import * as ssmSession from "./schemas/ssmSession";
import * as ssmSessionRevocation from "./schemas/ssmSessionRevocation";
import * as terminalSessionRevocation from "./schemas/terminalSessionRevocation";
import { revocationResultSchema } from "./schemas/revocation";

/** A resource as schema.json describes it. */
export interface CatalogEntry {
  /** The schema token, `sessions:<module>:<Type>`. */
  token: string;
  /** The resource's doc page, relative to the repo root. */
  docFile: string;
  /** Source of the public class, whose doc comment describes the resource. */
  sdk: { file: string; className: string };
  /** Source of the zod schemas, whose property doc comments describe the fields. */
  sourceFile: string;
  /** The inputs schema and the name of its `const` in `sourceFile`. */
  inputs: { schema: z.ZodObject; name: string };
  /**
   * The computed outputs (state holds inputs too) and the name of its `const`, declared in
   * `sourceFile` unless it names its own (outputs shared by several resources).
   */
  outputs: { schema: z.ZodObject; name: string; sourceFile?: string };
  /** Inputs kept secret in state. */
  secretInputs: readonly string[];
  /** Outputs the resource class marks secret (`additionalSecretOutputs`). */
  secretOutputs: readonly string[];
  /** Inputs that update in place; every other input replaces the resource when it changes. */
  inPlaceInputs?: readonly string[];
}

export const catalog: readonly CatalogEntry[] = [
  {
    token: "sessions:alicloud:TerminalSession",
    docFile: "docs/alicloud/terminal-session.md",
    sdk: { file: "sdk/alicloud/terminalSession.ts", className: "TerminalSession" },
    sourceFile: "provider/schemas/terminalSession.ts",
    inputs: { schema: terminalSession.terminalSessionInputsSchema, name: "terminalSessionInputsSchema" },
    outputs: { schema: terminalSession.terminalSessionComputedSchema, name: "terminalSessionComputedSchema" },
    secretInputs: [],
    secretOutputs: terminalSession.TERMINAL_SESSION_SECRET_OUTPUTS,
  },
  {
    token: "sessions:alicloud:KillInstanceSessionTask",
    docFile: "docs/alicloud/kill-instance-session-task.md",
    sdk: { file: "sdk/alicloud/killInstanceSessionTask.ts", className: "KillInstanceSessionTask" },
    sourceFile: "provider/schemas/killInstanceSessionTask.ts",
    inputs: {
      schema: killInstanceSessionTask.killInstanceSessionTaskInputsSchema,
      name: "killInstanceSessionTaskInputsSchema",
    },
    outputs: {
      schema: killInstanceSessionTask.killInstanceSessionTaskComputedSchema,
      name: "killInstanceSessionTaskComputedSchema",
    },
    secretInputs: ["dbUserPassword"],
    secretOutputs: killInstanceSessionTask.KILL_INSTANCE_SESSION_TASK_SECRET_OUTPUTS,
    inPlaceInputs: killInstanceSessionTask.IN_PLACE_KEYS,
  },
  {
    token: "sessions:alicloud:TerminalSessionRevocation",
    docFile: "docs/alicloud/terminal-session-revocation.md",
    sdk: { file: "sdk/alicloud/terminalSessionRevocation.ts", className: "TerminalSessionRevocation" },
    sourceFile: "provider/schemas/terminalSessionRevocation.ts",
    inputs: {
      schema: terminalSessionRevocation.terminalSessionRevocationInputsSchema,
      name: "terminalSessionRevocationInputsSchema",
    },
    outputs: {
      schema: revocationResultSchema,
      name: "revocationResultSchema",
      sourceFile: "provider/schemas/revocation.ts",
    },
    secretInputs: [],
    secretOutputs: [],
  },
  {
    token: "sessions:aws:SsmSession",
    docFile: "docs/aws/ssm-session.md",
    sdk: { file: "sdk/aws/ssmSession.ts", className: "SsmSession" },
    sourceFile: "provider/schemas/ssmSession.ts",
    inputs: { schema: ssmSession.ssmSessionInputsSchema, name: "ssmSessionInputsSchema" },
    outputs: { schema: ssmSession.ssmSessionComputedSchema, name: "ssmSessionComputedSchema" },
    secretInputs: [],
    secretOutputs: ssmSession.SSM_SESSION_SECRET_OUTPUTS,
  },
  {
    token: "sessions:aws:SsmSessionRevocation",
    docFile: "docs/aws/ssm-session-revocation.md",
    sdk: { file: "sdk/aws/ssmSessionRevocation.ts", className: "SsmSessionRevocation" },
    sourceFile: "provider/schemas/ssmSessionRevocation.ts",
    inputs: {
      schema: ssmSessionRevocation.ssmSessionRevocationInputsSchema,
      name: "ssmSessionRevocationInputsSchema",
    },
    outputs: {
      schema: revocationResultSchema,
      name: "revocationResultSchema",
      sourceFile: "provider/schemas/revocation.ts",
    },
    secretInputs: [],
    secretOutputs: [],
  },
];

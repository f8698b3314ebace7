/**
 * The provider's side of each resource row (`sdk/contract/resources.ts`): its lifecycle, for the
 * plugin's doors, and what schema.json and the docs are generated from. The zod schemas and
 * their doc comments are the single source of the fields.
 *
 * An entry's lifecycle and schemas load on first use: the plugin starts without either, and a
 * plugin process loads only the lifecycles of the resources it serves.
 */
import type { z } from "zod";
import { RESOURCES, type ResourceRow } from "../sdk/contract/resources";
import { onFirstUse, type Lifecycle } from "./lifecycle";
import type * as KillInstanceSessionTask from "./resources/killInstanceSessionTask/schema";
import type * as KillInstanceSessionTaskLifecycle from "./resources/killInstanceSessionTask/lifecycle";
import type * as Revocation from "./resources/revocation/schema";
import type * as RevocationLifecycle from "./resources/revocation/lifecycle";
import type * as SsmSession from "./resources/ssmSession/schema";
import type * as SsmSessionLifecycle from "./resources/ssmSession/lifecycle";
import type * as SsmSessionRevocation from "./resources/ssmSessionRevocation/schema";
import type * as SsmSessionRevocationLifecycle from "./resources/ssmSessionRevocation/lifecycle";
import type * as TerminalSession from "./resources/terminalSession/schema";
import type * as TerminalSessionLifecycle from "./resources/terminalSession/lifecycle";
import type * as TerminalSessionRevocation from "./resources/terminalSessionRevocation/schema";
import type * as TerminalSessionRevocationLifecycle from "./resources/terminalSessionRevocation/lifecycle";
import type * as AlicloudCommand from "./resources/alicloudCommand/schema";
import type * as AlicloudCommandLifecycle from "./resources/alicloudCommand/lifecycle";
import type * as AwsCommand from "./resources/awsCommand/schema";
import type * as AwsCommandLifecycle from "./resources/awsCommand/lifecycle";
import type * as Command from "./resources/command/schema";

/** What a door gives the lifecycles it makes. */
export interface LifecycleDeps {
  /** Where lines for the user go while a step runs (a Command's live output); default stderr. */
  log?: (line: string) => void;
}

/** A resource as the plugin runs it and schema.json describes it. */
export interface CatalogEntry {
  /** What the SDK and the doors read: token, provider module, secrets, URN. */
  row: ResourceRow;
  /** A new lifecycle of the resource (the plugin's door; the dynamic provider is the row's module). */
  lifecycle: (deps?: LifecycleDeps) => Lifecycle;
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
  /** Inputs that update in place; every other input replaces the resource when it changes. */
  inPlaceInputs?: readonly string[];
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use (see the module comment) */
const killInstanceSessionTask = onFirstUse(
  () => require("./resources/killInstanceSessionTask/schema") as typeof KillInstanceSessionTask,
);
const revocation = onFirstUse(() => require("./resources/revocation/schema") as typeof Revocation);
const ssmSession = onFirstUse(() => require("./resources/ssmSession/schema") as typeof SsmSession);
const ssmSessionRevocation = onFirstUse(
  () => require("./resources/ssmSessionRevocation/schema") as typeof SsmSessionRevocation,
);
const terminalSession = onFirstUse(
  () => require("./resources/terminalSession/schema") as typeof TerminalSession,
);
const terminalSessionRevocation = onFirstUse(
  () => require("./resources/terminalSessionRevocation/schema") as typeof TerminalSessionRevocation,
);
const alicloudCommand = onFirstUse(
  () => require("./resources/alicloudCommand/schema") as typeof AlicloudCommand,
);
const awsCommand = onFirstUse(() => require("./resources/awsCommand/schema") as typeof AwsCommand);
const command = onFirstUse(() => require("./resources/command/schema") as typeof Command);

const lifecycles = {
  killInstanceSessionTask: () =>
    require("./resources/killInstanceSessionTask/lifecycle") as typeof KillInstanceSessionTaskLifecycle,
  revocation: () => require("./resources/revocation/lifecycle") as typeof RevocationLifecycle,
  ssmSession: () => require("./resources/ssmSession/lifecycle") as typeof SsmSessionLifecycle,
  ssmSessionRevocation: () =>
    require("./resources/ssmSessionRevocation/lifecycle") as typeof SsmSessionRevocationLifecycle,
  terminalSession: () => require("./resources/terminalSession/lifecycle") as typeof TerminalSessionLifecycle,
  terminalSessionRevocation: () =>
    require("./resources/terminalSessionRevocation/lifecycle") as typeof TerminalSessionRevocationLifecycle,
  alicloudCommand: () => require("./resources/alicloudCommand/lifecycle") as typeof AlicloudCommandLifecycle,
  awsCommand: () => require("./resources/awsCommand/lifecycle") as typeof AwsCommandLifecycle,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The schema `name` of a module, read from the module on first use. */
function schemaOf<M>(load: () => M, name: keyof M & string, sourceFile?: string) {
  return {
    name,
    ...(sourceFile === undefined ? {} : { sourceFile }),
    get schema() {
      return load()[name] as z.ZodObject;
    },
  };
}

const COMMAND_OUTPUTS = schemaOf(command, "commandComputedSchema", "provider/resources/command/schema.ts");

/** A Command's inputs that update in place: every other one (instance, region, triggers, user) replaces it. */
const commandInPlaceInputs = (keys: readonly string[]) =>
  keys.filter((k) => !["instanceId", "target", "region", "triggers", "username"].includes(k));

const REVOCATION_OUTPUTS = schemaOf(
  revocation,
  "revocationResultSchema",
  "provider/resources/revocation/schema.ts",
);

export const catalog: readonly CatalogEntry[] = [
  {
    row: RESOURCES.terminalSession,
    lifecycle: () => lifecycles.terminalSession().terminalSessionLifecycle(),
    docFile: "docs/alicloud/terminal-session.md",
    sdk: { file: "sdk/alicloud/terminalSession.ts", className: "TerminalSession" },
    sourceFile: "provider/resources/terminalSession/schema.ts",
    inputs: schemaOf(terminalSession, "terminalSessionInputsSchema"),
    outputs: schemaOf(terminalSession, "terminalSessionComputedSchema"),
  },
  {
    row: RESOURCES.killInstanceSessionTask,
    lifecycle: () => lifecycles.killInstanceSessionTask().killInstanceSessionTaskLifecycle(),
    docFile: "docs/alicloud/kill-instance-session-task.md",
    sdk: { file: "sdk/alicloud/killInstanceSessionTask.ts", className: "KillInstanceSessionTask" },
    sourceFile: "provider/resources/killInstanceSessionTask/schema.ts",
    inputs: schemaOf(killInstanceSessionTask, "killInstanceSessionTaskInputsSchema"),
    outputs: schemaOf(killInstanceSessionTask, "killInstanceSessionTaskComputedSchema"),
    get inPlaceInputs() {
      return killInstanceSessionTask().IN_PLACE_KEYS;
    },
  },
  {
    row: RESOURCES.terminalSessionRevocation,
    lifecycle: () =>
      lifecycles
        .revocation()
        .revocationLifecycle(lifecycles.terminalSessionRevocation().terminalSessionRevocationCloud),
    docFile: "docs/alicloud/terminal-session-revocation.md",
    sdk: { file: "sdk/alicloud/terminalSessionRevocation.ts", className: "TerminalSessionRevocation" },
    sourceFile: "provider/resources/terminalSessionRevocation/schema.ts",
    inputs: schemaOf(terminalSessionRevocation, "terminalSessionRevocationInputsSchema"),
    outputs: REVOCATION_OUTPUTS,
  },
  {
    row: RESOURCES.ssmSession,
    lifecycle: () => lifecycles.ssmSession().ssmSessionLifecycle(),
    docFile: "docs/aws/ssm-session.md",
    sdk: { file: "sdk/aws/ssmSession.ts", className: "SsmSession" },
    sourceFile: "provider/resources/ssmSession/schema.ts",
    inputs: schemaOf(ssmSession, "ssmSessionInputsSchema"),
    outputs: schemaOf(ssmSession, "ssmSessionComputedSchema"),
  },
  {
    row: RESOURCES.ssmSessionRevocation,
    lifecycle: () =>
      lifecycles
        .revocation()
        .revocationLifecycle(lifecycles.ssmSessionRevocation().ssmSessionRevocationCloud),
    docFile: "docs/aws/ssm-session-revocation.md",
    sdk: { file: "sdk/aws/ssmSessionRevocation.ts", className: "SsmSessionRevocation" },
    sourceFile: "provider/resources/ssmSessionRevocation/schema.ts",
    inputs: schemaOf(ssmSessionRevocation, "ssmSessionRevocationInputsSchema"),
    outputs: REVOCATION_OUTPUTS,
  },
  {
    row: RESOURCES.alicloudCommand,
    lifecycle: (deps) => lifecycles.alicloudCommand().alicloudCommandLifecycle(deps),
    docFile: "docs/alicloud/command.md",
    sdk: { file: "sdk/alicloud/command.ts", className: "Command" },
    sourceFile: "provider/resources/alicloudCommand/schema.ts",
    inputs: schemaOf(alicloudCommand, "alicloudCommandInputsSchema"),
    outputs: COMMAND_OUTPUTS,
    get inPlaceInputs() {
      return commandInPlaceInputs(alicloudCommand().ALICLOUD_COMMAND_INPUT_KEYS);
    },
  },
  {
    row: RESOURCES.awsCommand,
    lifecycle: (deps) => lifecycles.awsCommand().awsCommandLifecycle(deps),
    docFile: "docs/aws/command.md",
    sdk: { file: "sdk/aws/command.ts", className: "Command" },
    sourceFile: "provider/resources/awsCommand/schema.ts",
    inputs: schemaOf(awsCommand, "awsCommandInputsSchema"),
    outputs: COMMAND_OUTPUTS,
    get inPlaceInputs() {
      return commandInPlaceInputs(awsCommand().AWS_COMMAND_INPUT_KEYS);
    },
  },
];

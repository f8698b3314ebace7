/**
 * The provider's side of each resource row (`sdk/contract/resources.ts`): its lifecycle, for the
 * plugin's doors, and what schema.json and the docs are generated from. The zod schemas and
 * their doc comments are the single source of the fields.
 */
import type { z } from "zod";
import { RESOURCES, type ResourceRow } from "../sdk/contract/resources";
import type { Lifecycle } from "./lifecycle";
import * as killInstanceSessionTask from "./resources/killInstanceSessionTask/schema";
import { killInstanceSessionTaskLifecycle } from "./resources/killInstanceSessionTask/lifecycle";
import { revocationResultSchema } from "./resources/revocation/schema";
import { revocationLifecycle } from "./resources/revocation/lifecycle";
import * as ssmSession from "./resources/ssmSession/schema";
import { ssmSessionLifecycle } from "./resources/ssmSession/lifecycle";
import * as ssmSessionRevocation from "./resources/ssmSessionRevocation/schema";
import { ssmSessionRevocationCloud } from "./resources/ssmSessionRevocation/lifecycle";
import * as terminalSession from "./resources/terminalSession/schema";
import { terminalSessionLifecycle } from "./resources/terminalSession/lifecycle";
import * as terminalSessionRevocation from "./resources/terminalSessionRevocation/schema";
import { terminalSessionRevocationCloud } from "./resources/terminalSessionRevocation/lifecycle";
import * as alicloudCommand from "./resources/alicloudCommand/schema";
import { alicloudCommandLifecycle } from "./resources/alicloudCommand/lifecycle";
import * as awsCommand from "./resources/awsCommand/schema";
import { awsCommandLifecycle } from "./resources/awsCommand/lifecycle";
import { commandComputedSchema } from "./resources/command/schema";

/** A resource as the plugin runs it and schema.json describes it. */
export interface CatalogEntry {
  /** What the SDK and the doors read: token, provider module, secrets, URN. */
  row: ResourceRow;
  /** A new lifecycle of the resource (the plugin's door; the dynamic provider is the row's module). */
  lifecycle: () => Lifecycle;
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

const COMMAND_OUTPUTS = {
  schema: commandComputedSchema,
  name: "commandComputedSchema",
  sourceFile: "provider/resources/command/schema.ts",
};

/** A Command's inputs that update in place: every other one (instance, region, triggers, user) replaces it. */
const commandInPlaceInputs = (keys: readonly string[]) =>
  keys.filter((k) => !["instanceId", "target", "region", "triggers", "username"].includes(k));

const REVOCATION_OUTPUTS = {
  schema: revocationResultSchema,
  name: "revocationResultSchema",
  sourceFile: "provider/resources/revocation/schema.ts",
};

export const catalog: readonly CatalogEntry[] = [
  {
    row: RESOURCES.terminalSession,
    lifecycle: () => terminalSessionLifecycle(),
    docFile: "docs/alicloud/terminal-session.md",
    sdk: { file: "sdk/alicloud/terminalSession.ts", className: "TerminalSession" },
    sourceFile: "provider/resources/terminalSession/schema.ts",
    inputs: { schema: terminalSession.terminalSessionInputsSchema, name: "terminalSessionInputsSchema" },
    outputs: { schema: terminalSession.terminalSessionComputedSchema, name: "terminalSessionComputedSchema" },
  },
  {
    row: RESOURCES.killInstanceSessionTask,
    lifecycle: () => killInstanceSessionTaskLifecycle(),
    docFile: "docs/alicloud/kill-instance-session-task.md",
    sdk: { file: "sdk/alicloud/killInstanceSessionTask.ts", className: "KillInstanceSessionTask" },
    sourceFile: "provider/resources/killInstanceSessionTask/schema.ts",
    inputs: {
      schema: killInstanceSessionTask.killInstanceSessionTaskInputsSchema,
      name: "killInstanceSessionTaskInputsSchema",
    },
    outputs: {
      schema: killInstanceSessionTask.killInstanceSessionTaskComputedSchema,
      name: "killInstanceSessionTaskComputedSchema",
    },
    inPlaceInputs: killInstanceSessionTask.IN_PLACE_KEYS,
  },
  {
    row: RESOURCES.terminalSessionRevocation,
    lifecycle: () => revocationLifecycle(terminalSessionRevocationCloud),
    docFile: "docs/alicloud/terminal-session-revocation.md",
    sdk: { file: "sdk/alicloud/terminalSessionRevocation.ts", className: "TerminalSessionRevocation" },
    sourceFile: "provider/resources/terminalSessionRevocation/schema.ts",
    inputs: {
      schema: terminalSessionRevocation.terminalSessionRevocationInputsSchema,
      name: "terminalSessionRevocationInputsSchema",
    },
    outputs: REVOCATION_OUTPUTS,
  },
  {
    row: RESOURCES.ssmSession,
    lifecycle: () => ssmSessionLifecycle(),
    docFile: "docs/aws/ssm-session.md",
    sdk: { file: "sdk/aws/ssmSession.ts", className: "SsmSession" },
    sourceFile: "provider/resources/ssmSession/schema.ts",
    inputs: { schema: ssmSession.ssmSessionInputsSchema, name: "ssmSessionInputsSchema" },
    outputs: { schema: ssmSession.ssmSessionComputedSchema, name: "ssmSessionComputedSchema" },
  },
  {
    row: RESOURCES.ssmSessionRevocation,
    lifecycle: () => revocationLifecycle(ssmSessionRevocationCloud),
    docFile: "docs/aws/ssm-session-revocation.md",
    sdk: { file: "sdk/aws/ssmSessionRevocation.ts", className: "SsmSessionRevocation" },
    sourceFile: "provider/resources/ssmSessionRevocation/schema.ts",
    inputs: {
      schema: ssmSessionRevocation.ssmSessionRevocationInputsSchema,
      name: "ssmSessionRevocationInputsSchema",
    },
    outputs: REVOCATION_OUTPUTS,
  },
  {
    row: RESOURCES.alicloudCommand,
    lifecycle: () => alicloudCommandLifecycle(),
    docFile: "docs/alicloud/command.md",
    sdk: { file: "sdk/alicloud/command.ts", className: "Command" },
    sourceFile: "provider/resources/alicloudCommand/schema.ts",
    inputs: { schema: alicloudCommand.alicloudCommandInputsSchema, name: "alicloudCommandInputsSchema" },
    outputs: COMMAND_OUTPUTS,
    inPlaceInputs: commandInPlaceInputs(alicloudCommand.ALICLOUD_COMMAND_INPUT_KEYS),
  },
  {
    row: RESOURCES.awsCommand,
    lifecycle: () => awsCommandLifecycle(),
    docFile: "docs/aws/command.md",
    sdk: { file: "sdk/aws/command.ts", className: "Command" },
    sourceFile: "provider/resources/awsCommand/schema.ts",
    inputs: { schema: awsCommand.awsCommandInputsSchema, name: "awsCommandInputsSchema" },
    outputs: COMMAND_OUTPUTS,
    inPlaceInputs: commandInPlaceInputs(awsCommand.AWS_COMMAND_INPUT_KEYS),
  },
];

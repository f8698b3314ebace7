/**
 * `alicloud.Command`: scripts run on an ECS instance through Session Manager sessions, as a
 * Pulumi resource (see `../command/lifecycle.ts` for the lifecycle both clouds share).
 *
 * Each run: StartTerminalSession with a short, fixed `CommandLine` that reads the script, the
 * environment and stdin from the session's input (`client/script`), so none of them is on a
 * command line or in the cloud's session record; the run over the session's WebSocket; then
 * EndTerminalSession. The session's terminal merges stdout and stderr: `stderr` stays empty.
 *
 * This module runs inside the dynamic provider process, loaded by name through the
 * `__provider` module; the SDK never imports it. The schemas (zod) and the session clients
 * load on first use.
 */
import "../../compileCache";
import { randomBytes } from "node:crypto";
import {
  alicloudClientFor,
  endTerminalSession,
  startTerminalSession,
  type AlicloudRpcClient,
} from "../../clients/alicloud";
import type { ProviderSettings } from "../../config";
import { hasErrorCode } from "../../errors/base";
import { dynamicProvider, onFirstUse, type Lifecycle } from "../../lifecycle";
import { commandLifecycle, type CommandDeps } from "../command/lifecycle";
import { COMMAND_LIMITS } from "../command/limits";
import { scriptModule } from "../command/script";
import type * as Schemas from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

/** What the lifecycle needs from its surroundings; tests replace parts. */
export interface AlicloudCommandDeps extends CommandDeps {
  /** Builds the ECS client (default: the real one from the settings). */
  client?: (settings: ProviderSettings, region: string) => AlicloudRpcClient;
  /** Runs a script over a session's WebSocket (default: `client/script`'s `runEcsScript`). */
  runScript?: typeof import("../../../client/script").runEcsScript;
  /** The session's fixed command line (default: `client/script`'s `ecsCommandLine`). */
  commandLine?: () => string;
}

/** Creates the lifecycle; `configure` stores the settings on it. */
export function alicloudCommandLifecycle(deps: AlicloudCommandDeps = {}): Lifecycle {
  const clientFor = deps.client ?? ((settings, region) => alicloudClientFor(settings, "ecs", region));
  return commandLifecycle(
    {
      kind: "alicloud.Command",
      instanceKey: "instanceId",
      replacingKeys: ["username"],
      schema: () => ({
        inputs: schemas().alicloudCommandInputsSchema,
        inputKeys: schemas().ALICLOUD_COMMAND_INPUT_KEYS,
        rules: schemas().alicloudCommandRules,
      }),
      defaultRegion: (settings) => settings.alicloud.region?.value,
      regionRequired:
        "region is required: set the region input, the stack config alicloud:region, or ALICLOUD_REGION",
      slots: { perInstance: COMMAND_LIMITS.sessionsPerInstance, perRegion: COMMAND_LIMITS.sessionsPerRegion },
      async open(settings, region, inputs) {
        const client = clientFor(settings, region);
        const started = await startTerminalSession(client, {
          regionId: region,
          instanceIds: [String(inputs.instanceId)],
          commandLine: (deps.commandLine ?? scriptModule().ecsCommandLine)(),
          username: inputs.username as string | undefined,
          // One token per run: its retries are idempotent, and no run replays another's session.
          clientToken: `cmd-${randomBytes(16).toString("hex")}`,
        });
        const run = deps.runScript ?? scriptModule().runEcsScript;
        return {
          sessionId: started.sessionId,
          run: (script) => run(String(started.webSocketUrl), script),
        };
      },
      async end(settings, region, sessionId) {
        await endTerminalSession(clientFor(settings, region), { regionId: region, sessionId });
      },
      isBusy: (err) => hasErrorCode(err, "SessionCount.ExceedLimit"),
    },
    deps,
  );
}

/** The dynamic provider of an alicloud.Command (see {@link alicloudCommandLifecycle}). */
export function createAlicloudCommandProvider(deps: AlicloudCommandDeps = {}) {
  return dynamicProvider(alicloudCommandLifecycle(deps), deps.env);
}

/** The provider instance `__provider` loads (`alicloudCommandProvider` by name). */
export const alicloudCommandProvider = createAlicloudCommandProvider();

/**
 * `aws.Command`: scripts run on a managed node through Session Manager sessions, as a Pulumi
 * resource (see `../command/lifecycle.ts` for the lifecycle both clouds share).
 *
 * Each run: StartSession with the document and parameters `client/script` names (short, fixed
 * text: the script, the environment and stdin travel through the session's input, never in the
 * session record), the run over the data channel (stdout and stderr apart, as SSM keeps them),
 * then TerminateSession.
 *
 * This module runs inside the dynamic provider process, loaded by name through the
 * `__provider` module; the SDK never imports it. The schemas (zod) and the session clients
 * load on first use.
 */
import "../../compileCache";
import { ssmClientFor, startSession, terminateSession } from "../../clients/aws";
import { dynamicProvider, onFirstUse, type Lifecycle } from "../../lifecycle";
import { commandLifecycle, type CommandDeps } from "../command/lifecycle";
import { COMMAND_LIMITS } from "../command/limits";
import { scriptModule } from "../command/script";
import type * as Schemas from "./schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = onFirstUse(() => require("./schema") as typeof Schemas);

/** What the lifecycle needs from its surroundings; tests replace parts. */
export interface AwsCommandDeps extends CommandDeps {
  /** Runs a script over a session's data channel (default: `client/script`'s `runSsmScript`). */
  runScript?: typeof import("../../../client/script").runSsmScript;
  /** The session's document and parameters (default: `client/script`'s `ssmCommandSession`). */
  commandSession?: () => { documentName: string; parameters: Record<string, string[]> };
}

/** Creates the lifecycle; `configure` stores the settings on it. */
export function awsCommandLifecycle(deps: AwsCommandDeps = {}): Lifecycle {
  return commandLifecycle(
    {
      kind: "aws.Command",
      instanceKey: "target",
      replacingKeys: [],
      schema: () => ({
        inputs: schemas().awsCommandInputsSchema,
        inputKeys: schemas().AWS_COMMAND_INPUT_KEYS,
        rules: schemas().awsCommandRules,
      }),
      defaultRegion: (settings) => settings.aws.region?.value,
      regionRequired: "region is required: set the region input, the stack config aws:region, or AWS_REGION",
      // SSM publishes no per-node session limit: the same slots keep one node from being flooded.
      slots: { perInstance: COMMAND_LIMITS.sessionsPerInstance, perRegion: COMMAND_LIMITS.sessionsPerRegion },
      async open(settings, region, inputs) {
        const { documentName, parameters } = (deps.commandSession ?? scriptModule().ssmCommandSession)();
        const started = await startSession(ssmClientFor(settings.aws, region), {
          target: String(inputs.target),
          documentName,
          parameters,
        });
        const run = deps.runScript ?? scriptModule().runSsmScript;
        return {
          sessionId: started.sessionId,
          run: (script) =>
            run(
              {
                streamUrl: String(started.streamUrl),
                tokenValue: String(started.tokenValue),
                sessionId: started.sessionId,
              },
              script,
            ),
        };
      },
      async end(settings, region, sessionId) {
        await terminateSession(ssmClientFor(settings.aws, region), sessionId);
      },
      // The client retries throttling itself; SSM has no session-count answer to wait out.
      isBusy: () => false,
    },
    deps,
  );
}

/** The dynamic provider of an aws.Command (see {@link awsCommandLifecycle}). */
export function createAwsCommandProvider(deps: AwsCommandDeps = {}) {
  return dynamicProvider(awsCommandLifecycle(deps), deps.env);
}

/** The provider instance `__provider` loads (`awsCommandProvider` by name). */
export const awsCommandProvider = createAwsCommandProvider();

/**
 * Goal: `pulumi up` then `pulumi destroy` of 20 `alicloud.Command`s on one instance of the local
 * cloud vs 20 local commands running the same script (ratio of wall times, one run each unless
 * --command-runs says more, goal <= 1.5x). The baseline stands in for `@pulumi/command`'s `local.Command`, which cannot run here
 * (see LOCAL_COMMAND_STAND_IN). Both run the script for real on this machine, through a dynamic
 * provider: the difference is the session (StartTerminalSession, the WebSocket, the bootstrap,
 * EndTerminalSession) and the per-instance queue.
 */
import * as path from "node:path";
import { measureUpDestroy } from "../lib/stacks";
import type { SuiteResult } from "../lib/types";
import { TestStack, uniqueSuffix } from "../../test/support/harness";
import { createSessionStack, startCloudFor } from "../../test/support/localCloudStack";

const COUNT = 20;
/**
 * What a deployment step typically does: a few commands and a little output. It cleans up after
 * itself, so the local arm leaves nothing in this machine's home folder.
 */
const SCRIPT =
  'set -e; d=$(mktemp -d); mkdir -p "$d/app"; echo "step on $(uname -s)" | tee "$d/app/log"; ls "$d" >/dev/null; rm -rf "$d"';
/** Why the baseline is not `local.Command` itself, and what runs instead (the method text says it). */
const LOCAL_COMMAND_STAND_IN =
  "`@pulumi/command`'s local.Command itself cannot run here: its npm package's install script downloads " +
  "the provider binary (pulumi-resource-command) from outside, and no traffic may leave loopback here; the " +
  "provider's Go module is not on the Go module proxy to build it from source. The baseline is a dynamic " +
  "resource (bench/programs/commandLocal) that does what local.Command does for create and delete and " +
  "nothing more: `/bin/sh -c <script>` through node:child_process, in the provider's working folder, with " +
  "the engine's environment, stdout and stderr kept as outputs, a non-zero exit failing the step. Its provider " +
  "is the Node.js dynamic provider, as the sessions arm's is, where local.Command's is a Go plugin.";
const INSTANCE = { instanceId: "i-benchcommand0001", region: "cn-hangzhou" };
const PROGRAMS = {
  sessions: path.join(__dirname, "..", "programs", "commandSessions"),
  local: path.join(__dirname, "..", "programs", "commandLocal"),
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export interface CommandOptions {
  /** Up+destroy runs per arm (the issue's figure is one run; more give a median on a noisy machine). */
  runs: number;
}

export async function commandSuite(options: CommandOptions): Promise<SuiteResult> {
  const started = Date.now();
  const times = await measureUpDestroy(
    [
      {
        name: "sessions",
        stack: async () => {
          const cloud = await startCloudFor([INSTANCE]);
          const stack = await createSessionStack({
            program: PROGRAMS.sessions,
            endpoint: cloud.url,
            region: INSTANCE.region,
            config: {
              "bench:count": String(COUNT),
              "bench:instanceId": INSTANCE.instanceId,
              "bench:script": SCRIPT,
            },
          });
          return {
            stack,
            cloud,
            probeFile: "",
            dispose: async () => {
              stack.cleanup();
              await cloud.stop();
            },
          };
        },
      },
      {
        name: "local",
        stack: async () => {
          const stack = await TestStack.create({
            program: PROGRAMS.local,
            config: { "bench:count": String(COUNT), "bench:script": SCRIPT },
            stackName: `c${uniqueSuffix()}`,
          });
          return { stack, probeFile: "", dispose: async () => stack.cleanup() };
        },
      },
    ],
    options.runs,
  );
  const ratio = times.sessions.total.median / times.local.total.median;
  return {
    suite: "command",
    method:
      `${options.runs === 1 ? "One run" : `${options.runs} runs (median; the arms' order alternates)`} each, on fresh stacks: \`pulumi up --yes --skip-preview\` then \`pulumi destroy --yes --skip-preview\` ` +
      `of ${COUNT} alicloud.Command (create and delete scripts, on one instance of a fresh in-process local cloud) ` +
      `and of ${COUNT} local commands running the same script (\`${SCRIPT}\`), engine default parallelism. ` +
      `Ratio = sessions / local. ${LOCAL_COMMAND_STAND_IN}`,
    figures: [
      {
        id: "C1",
        what: `up + destroy of ${COUNT} Commands on one instance vs ${COUNT} local commands (local.Command's work), same script`,
        goal: "<= 1.5x",
        measured: `${ratio.toFixed(2)}x (${seconds(times.sessions.total.median)} vs ${seconds(times.local.total.median)})`,
        pass: ratio <= 1.5,
        details: { ratio, ...times },
      },
    ],
    durationMs: Date.now() - started,
  };
}

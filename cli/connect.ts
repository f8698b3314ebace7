/**
 * `pulumi-sessions connect`: an interactive shell (or a command session's output) through a
 * session's URL, in this terminal. The terminal goes raw while connected, resizes are passed on,
 * and the exit code is the far end's exit status when the cloud reports one.
 */
import { parseArgs } from "node:util";
import * as ecs from "../client/ecs";
import type { TerminalSize } from "../client/options";
import * as ssm from "../client/ssm";
import { usageErrors, type Command } from "./command";
import {
  reconnectLine,
  refuseSecretOptions,
  resolveSource,
  resumeOf,
  RESUME_USAGE,
  SOURCE_OPTIONS,
  SOURCE_USAGE,
} from "./sessionSource";

export const USAGE = `usage: pulumi-sessions connect [--output NAME [--stack NAME] [--cwd DIR] | --session-file PATH]

Opens the session's shell (or streams its command's output) in this terminal: Alibaba Cloud ECS
Session Manager sessions (TerminalSession) and AWS SSM sessions (SsmSession). Exits with the
far end's exit status when the cloud reports one.

${SOURCE_USAGE}${RESUME_USAGE}  -h, --help      this text
`;

function terminalSize(): TerminalSize | undefined {
  const { rows, columns } = process.stdout;
  return rows && columns ? { rows, cols: columns } : undefined;
}

async function run(argv: string[]): Promise<number> {
  refuseSecretOptions(argv);
  const { values } = usageErrors(() =>
    parseArgs({
      args: argv,
      options: { ...SOURCE_OPTIONS, help: { type: "boolean", short: "h" } },
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const source = await resolveSource(values);
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  try {
    if (source.cloud === "alicloud") {
      const shell = await ecs.openShell(source.webSocketUrl, {
        input: stdin,
        output: process.stdout,
        size: terminalSize(),
      });
      const onResize = () => {
        const size = terminalSize();
        if (size) shell.resize(size);
      };
      process.stdout.on("resize", onResize);
      const end = await shell.done.finally(() => process.stdout.off("resize", onResize));
      return end.exitCode ?? 0;
    }
    const shell = await ssm.openShell(
      { streamUrl: source.streamUrl, tokenValue: source.tokenValue },
      {
        input: stdin,
        output: process.stdout,
        size: terminalSize(),
        resume: resumeOf(source),
        onReconnect: (e) => process.stderr.write(reconnectLine("connect", e)),
      },
    );
    const onResize = () => {
      const size = terminalSize();
      if (size) shell.resize(size);
    };
    process.stdout.on("resize", onResize);
    await shell.done.finally(() => process.stdout.off("resize", onResize));
    return 0;
  } finally {
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
}

export const connect: Command = {
  name: "connect",
  summary: "open a session's shell (or its command's output) in this terminal",
  run,
};

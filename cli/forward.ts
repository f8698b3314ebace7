/**
 * `pulumi-sessions forward`: a local port that reaches a port-forwarding session's target
 * (TerminalSession with portNumber, SsmSession with AWS-StartPortForwardingSession*), until
 * SIGINT or SIGTERM. Prints one JSON line once it listens, for scripts: {"host","port"}.
 */
import { parseArgs } from "node:util";
import * as ecs from "../client/ecs";
import * as ssm from "../client/ssm";
import { errorLine, UsageError, usageErrors, type Command } from "./command";
import {
  reconnectLine,
  refuseSecretOptions,
  resolveSource,
  resumeOf,
  RESUME_USAGE,
  SOURCE_OPTIONS,
  SOURCE_USAGE,
} from "./sessionSource";

export const USAGE = `usage: pulumi-sessions forward [--local-port N] [--host ADDR] [--output NAME [--stack NAME] [--cwd DIR] | --session-file PATH]

Listens on a local port and carries every TCP connection to it through the session to its target
(Alibaba Cloud: one WebSocket per connection; AWS SSM: multiplexed over the one session), until
SIGINT or SIGTERM. Prints {"host","port"} as one JSON line once it listens.

  --local-port N  the local port (default 0: any free port)
  --host ADDR     the local address to listen on (default 127.0.0.1)
${SOURCE_USAGE}${RESUME_USAGE}  -h, --help      this text
`;

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

async function run(argv: string[]): Promise<number> {
  refuseSecretOptions(argv);
  const { values } = usageErrors(() =>
    parseArgs({
      args: argv,
      options: {
        ...SOURCE_OPTIONS,
        "local-port": { type: "string" },
        host: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const localPort = values["local-port"] === undefined ? 0 : Number(values["local-port"]);
  if (!/^\d+$/.test(values["local-port"] ?? "0") || localPort > 65535)
    throw new UsageError("--local-port must be a number 0..65535");
  const host = values.host ?? "127.0.0.1";
  const source = await resolveSource(values);
  const forward =
    source.cloud === "alicloud"
      ? await ecs.forwardPort(source.webSocketUrl, {
          localPort,
          host,
          // One connection failed; the others, and the listener, go on.
          onConnectionError: (err) => process.stderr.write(`pulumi-sessions forward: ${errorLine(err)}\n`),
        })
      : await ssm.forwardPort(
          { streamUrl: source.streamUrl, tokenValue: source.tokenValue },
          {
            localPort,
            host,
            resume: resumeOf(source),
            onReconnect: (e) => process.stderr.write(reconnectLine("forward", e)),
          },
        );
  process.stdout.write(`${JSON.stringify({ host, port: forward.port })}\n`);
  const ended =
    "done" in forward ? forward.done.then(() => "the session ended") : new Promise<string>(() => undefined);
  // A failed session rejects: the forward closes, and the error is the command's one line.
  const why = await Promise.race([untilSignal(), ended]).finally(() => forward.close());
  process.stderr.write(`pulumi-sessions forward: ${why}, closing\n`);
  return 0;
}

export const forward: Command = {
  name: "forward",
  summary: "forward a local port through a port-forwarding session",
  run,
};

/**
 * Where `connect` and `forward` find the session to use: a stack output (read with
 * `pulumi stack output --show-secrets`, so the secret never passes through a command line), or
 * the URL and token given directly (environment or flags). Nothing here ever prints them.
 *
 * A URL whose path is `/v1/data-channel/<id>` is an AWS SSM StreamUrl (its TokenValue is needed
 * too); any other `ws://`/`wss://` URL is an Alibaba Cloud WebSocketUrl (its token rides in it).
 */
import { execFile } from "node:child_process";
import { UsageError } from "./command";

export type SessionSource =
  { cloud: "alicloud"; webSocketUrl: string } | { cloud: "aws"; streamUrl: string; tokenValue: string };

/** The options both commands share, for parseArgs. */
export const SOURCE_OPTIONS = {
  stack: { type: "string" },
  output: { type: "string" },
  cwd: { type: "string" },
  url: { type: "string" },
  token: { type: "string" },
} as const;

export const SOURCE_USAGE = `Where the session comes from (first that applies):
  --output NAME   a stack output: a WebSocketUrl (TerminalSession.webSocketUrl), or an object with
                  streamUrl and tokenValue (an exported SsmSession, or a StartSession response
                  as JSON text), read with
                  \`pulumi stack output --show-secrets\`; with --stack NAME and --cwd DIR (the
                  project folder) when they are not the current ones
  --url URL       the URL itself; PULUMI_SESSIONS_URL in the environment does the same and keeps it
                  out of the process list
  --token TOKEN   an SSM session's TokenValue (or PULUMI_SESSIONS_TOKEN)
`;

export interface SourceArgs {
  stack?: string;
  output?: string;
  cwd?: string;
  url?: string;
  token?: string;
}

const isStreamUrl = (url: string) => /^wss?:\/\/[^/]+\/v1\/data-channel\/[^/?]+/.test(url);

function fromUrl(url: string, token: string | undefined, origin: string): SessionSource {
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`${origin} is not a ws:// or wss:// URL`);
  if (!isStreamUrl(url)) return { cloud: "alicloud", webSocketUrl: url };
  if (!token)
    throw new UsageError(
      `${origin} is an SSM StreamUrl: give its TokenValue too (--token or PULUMI_SESSIONS_TOKEN)`,
    );
  return { cloud: "aws", streamUrl: url, tokenValue: token };
}

/** A field in either spelling: the resources' (`streamUrl`) or the API's (`StreamUrl`). */
function field(o: Record<string, unknown>, name: string): string | undefined {
  const value = o[name] ?? o[name[0].toUpperCase() + name.slice(1)];
  return typeof value === "string" ? value : undefined;
}

function fromOutput(value: unknown, name: string): SessionSource {
  // A StartSession response as the plugin takes it (JSON text) is an object too.
  if (typeof value === "string" && value.trimStart().startsWith("{")) {
    try {
      value = JSON.parse(value);
    } catch {
      throw new UsageError(`stack output "${name}" looks like JSON but does not parse`);
    }
  }
  if (typeof value === "string") return fromUrl(value, undefined, `stack output "${name}"`);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const streamUrl = field(o, "streamUrl");
    const tokenValue = field(o, "tokenValue");
    if (streamUrl && tokenValue) return fromUrl(streamUrl, tokenValue, `stack output "${name}".streamUrl`);
    const webSocketUrl = field(o, "webSocketUrl");
    if (webSocketUrl) return fromUrl(webSocketUrl, undefined, `stack output "${name}".webSocketUrl`);
  }
  throw new UsageError(
    `stack output "${name}" is neither a URL nor an object with webSocketUrl, or streamUrl and tokenValue`,
  );
}

function stackOutputs(args: SourceArgs): Promise<Record<string, unknown>> {
  const cli = ["stack", "output", "--json", "--show-secrets", "--non-interactive"];
  if (args.stack) cli.push("--stack", args.stack);
  return new Promise((resolve, reject) => {
    execFile("pulumi", cli, { cwd: args.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const why = stderr.trim().split("\n").pop() || error.message;
        reject(new Error(`pulumi stack output failed: ${why}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        reject(new Error("pulumi stack output did not print JSON"));
      }
    });
  });
}

/** Resolves the session from the arguments and the environment. */
export async function resolveSource(
  args: SourceArgs,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SessionSource> {
  if (args.output !== undefined) {
    const outputs = await stackOutputs(args);
    if (!(args.output in outputs))
      throw new UsageError(
        `the stack has no output "${args.output}" (it has: ${Object.keys(outputs).join(", ") || "none"})`,
      );
    return fromOutput(outputs[args.output], args.output);
  }
  if (args.stack !== undefined)
    throw new UsageError("--stack needs --output NAME: the output that holds the session");
  // An empty variable is an unset one (`PULUMI_SESSIONS_URL= cmd`).
  const url = args.url ?? (env.PULUMI_SESSIONS_URL || undefined);
  if (url === undefined)
    throw new UsageError("no session given: use --output NAME, --url URL or PULUMI_SESSIONS_URL");
  return fromUrl(
    url,
    args.token ?? (env.PULUMI_SESSIONS_TOKEN || undefined),
    args.url !== undefined ? "--url" : "PULUMI_SESSIONS_URL",
  );
}

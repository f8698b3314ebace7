/**
 * Where `connect` and `forward` find the session to use: a stack output (read with
 * `pulumi stack output --show-secrets`), a file or standard input, or the environment. Never the
 * command line, which every user of the machine can read; and nothing here ever prints a URL or a
 * token, not even a malformed one.
 *
 * A URL whose path is `/v1/data-channel/<id>` is an AWS SSM StreamUrl (its TokenValue is needed
 * too); any other `ws://`/`wss://` URL is an Alibaba Cloud WebSocketUrl (its token rides in it).
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type * as Ssm from "@aws-sdk/client-ssm";
import { resumeWith, type SsmReconnectEvent, type SsmSessionTarget } from "../client/ssm";
import { UsageError } from "./command";

/** An SSM session: its StreamUrl and TokenValue, and its id (the StreamUrl's last path segment). */
export interface AwsSessionSource {
  cloud: "aws";
  streamUrl: string;
  tokenValue: string;
  sessionId: string;
}

export type SessionSource = { cloud: "alicloud"; webSocketUrl: string } | AwsSessionSource;

/** The options both commands share, for parseArgs. */
export const SOURCE_OPTIONS = {
  stack: { type: "string" },
  output: { type: "string" },
  cwd: { type: "string" },
  "session-file": { type: "string" },
} as const;

export const SOURCE_USAGE = `Where the session comes from (first that applies):
  --output NAME   a stack output: a WebSocketUrl (TerminalSession.webSocketUrl), or an object with
                  streamUrl and tokenValue (an exported SsmSession, or a StartSession response
                  as JSON text), read with
                  \`pulumi stack output --show-secrets\`; with --stack NAME and --cwd DIR (the
                  project folder) when they are not the current ones
  --session-file PATH
                  a file (- for standard input) holding the session: JSON with streamUrl and
                  tokenValue (or a StartSession response), JSON with webSocketUrl, or the URL
                  alone (an SSM StreamUrl's TokenValue then comes from PULUMI_SESSIONS_TOKEN)
  PULUMI_SESSIONS_URL, PULUMI_SESSIONS_TOKEN
                  in the environment: the URL, and an SSM session's TokenValue
  The URL and token are never taken on the command line (--url, --token): every user of the
  machine can read it.
`;

export interface SourceArgs {
  stack?: string;
  output?: string;
  cwd?: string;
  "session-file"?: string;
}

/** Where to put what `--url` and `--token` used to carry. */
const INSTEAD: Record<string, string> = {
  "--url": "set PULUMI_SESSIONS_URL, or use --session-file PATH (- for standard input) or --output NAME",
  "--token": "set PULUMI_SESSIONS_TOKEN, or use --session-file PATH (- for standard input) or --output NAME",
};

/** Refuses `--url` and `--token` (in any spelling) before anything could echo their value. */
export function refuseSecretOptions(argv: string[]): void {
  for (const arg of argv) {
    if (arg === "--") return;
    const name = arg.split("=", 1)[0];
    if (name in INSTEAD)
      throw new UsageError(
        `${name} is not accepted: a command line is visible to every user of this machine; ${INSTEAD[name]}`,
      );
  }
}

/** A session file is a few hundred bytes; more is not one. */
const SESSION_FILE_MAX_BYTES = 64 * 1024;

const STREAM_URL = /^wss?:\/\/[^/]+\/v1\/data-channel\/([^/?]+)/;
const isStreamUrl = (url: string) => STREAM_URL.test(url);

function fromUrl(url: string, token: string | undefined, origin: string): SessionSource {
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`${origin} is not a ws:// or wss:// URL`);
  if (!URL.canParse(url))
    throw new UsageError(`${origin} is not a valid URL (its value is not shown: it may hold a token)`);
  if (!isStreamUrl(url)) return { cloud: "alicloud", webSocketUrl: url };
  if (!token)
    throw new UsageError(
      `${origin} is an SSM StreamUrl: give its TokenValue too (PULUMI_SESSIONS_TOKEN, or tokenValue in a session file)`,
    );
  const sessionId = decodeURIComponent(STREAM_URL.exec(url)![1]);
  return { cloud: "aws", streamUrl: url, tokenValue: token, sessionId };
}

/** A field in either spelling: the resources' (`streamUrl`) or the API's (`StreamUrl`). */
function field(o: Record<string, unknown>, name: string): string | undefined {
  const value = o[name] ?? o[name[0].toUpperCase() + name.slice(1)];
  return typeof value === "string" ? value : undefined;
}

/** A stack output's or a session file's value; `token` is the TokenValue for a bare StreamUrl. */
function fromValue(value: unknown, origin: string, token?: string): SessionSource {
  // A StartSession response as the plugin takes it (JSON text) is an object too.
  if (typeof value === "string" && value.trimStart().startsWith("{")) {
    try {
      value = JSON.parse(value);
    } catch {
      throw new UsageError(`${origin} looks like JSON but does not parse`);
    }
  }
  if (typeof value === "string") return fromUrl(value.trim(), token, origin);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const streamUrl = field(o, "streamUrl");
    const tokenValue = field(o, "tokenValue");
    if (streamUrl && tokenValue) return fromUrl(streamUrl, tokenValue, `${origin}.streamUrl`);
    const webSocketUrl = field(o, "webSocketUrl");
    if (webSocketUrl) return fromUrl(webSocketUrl, undefined, `${origin}.webSocketUrl`);
  }
  throw new UsageError(
    `${origin} is neither a URL nor an object with webSocketUrl, or streamUrl and tokenValue`,
  );
}

/** The text of a session file, or of standard input for `-`. */
async function readSessionFile(path: string, stdin: Readable): Promise<string> {
  const source = path === "-" ? stdin : createReadStream(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += (chunk as Buffer).length;
      if (size > SESSION_FILE_MAX_BYTES)
        throw new UsageError(`the session file is over ${SESSION_FILE_MAX_BYTES} bytes: it is not a session`);
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read the session file: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  } finally {
    if (path !== "-") source.destroy();
  }
  return Buffer.concat(chunks).toString("utf8");
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
  stdin: Readable = process.stdin,
): Promise<SessionSource> {
  if (args.output !== undefined) {
    const outputs = await stackOutputs(args);
    if (!(args.output in outputs))
      throw new UsageError(
        `the stack has no output "${args.output}" (it has: ${Object.keys(outputs).join(", ") || "none"})`,
      );
    return fromValue(outputs[args.output], `stack output "${args.output}"`);
  }
  if (args.stack !== undefined)
    throw new UsageError("--stack needs --output NAME: the output that holds the session");
  // An empty variable is an unset one (`PULUMI_SESSIONS_URL= cmd`).
  const token = env.PULUMI_SESSIONS_TOKEN || undefined;
  const file = args["session-file"];
  if (file !== undefined) {
    const origin = file === "-" ? "standard input" : "the session file";
    return fromValue((await readSessionFile(file, stdin)).trim(), origin, token);
  }
  const url = env.PULUMI_SESSIONS_URL || undefined;
  if (url === undefined)
    throw new UsageError(
      "no session given: use --output NAME, --session-file PATH (- for standard input) or PULUMI_SESSIONS_URL",
    );
  return fromUrl(url, token, "PULUMI_SESSIONS_URL");
}

/** `ssmmessages.<region>.amazonaws.com[.cn]`: the service's own data-channel host. */
const AWS_HOST = /^ssmmessages\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/**
 * Where ResumeSession goes for a StreamUrl: AWS's endpoint of the StreamUrl's region, or, for any
 * other host (the local cloud), the same host over HTTP(S) in the environment's region.
 */
export function ssmClientConfig(
  streamUrl: string,
  env: NodeJS.ProcessEnv = process.env,
): Ssm.SSMClientConfig {
  const url = new URL(streamUrl);
  const aws = AWS_HOST.exec(url.hostname);
  if (aws) return { region: aws[1] };
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    endpoint: `${url.protocol === "wss:" ? "https:" : "http:"}//${url.host}`,
  };
}

export const RESUME_USAGE = `An SSM session whose connection drops is resumed (ResumeSession, with the default AWS
credential chain: AWS_PROFILE, AWS_ACCESS_KEY_ID..., AWS_REGION); each attempt is one line on
standard error.
`;

/** One reconnection event as the commands print it (the reason never holds a secret). */
export const reconnectLine = (command: string, e: SsmReconnectEvent): string =>
  `pulumi-sessions ${command}: ${
    e.outcome === "resumed"
      ? `session resumed (attempt ${e.attempt})`
      : e.outcome === "retrying"
        ? `connection lost (${e.reason}), reconnecting (attempt ${e.attempt})`
        : `could not reconnect (${e.reason}), giving up`
  }\n`;

/**
 * The session's `resume`: ResumeSession with the default credential chain, asked afresh on every
 * call (the SDK is loaded on the first one: a session that never drops never loads it).
 */
export function resumeOf(source: AwsSessionSource): () => Promise<SsmSessionTarget> {
  let resume: (() => Promise<SsmSessionTarget>) | undefined;
  return () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@aws-sdk/client-ssm") as typeof Ssm;
    resume ??= resumeWith(new sdk.SSMClient(ssmClientConfig(source.streamUrl)), source.sessionId);
    return resume();
  };
}

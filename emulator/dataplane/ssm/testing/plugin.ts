/**
 * Runs the official AWS session-manager-plugin (built by scripts/ssm-plugin.sh) the way the AWS
 * CLI does, for tests: `session-manager-plugin '<StartSession response>' <region> StartSession
 * <profile> '<StartSession request>' <endpoint>`, with explicit keys in the environment and
 * nothing read from the machine's AWS configuration.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CRED, NODE, REGION, type SsmTestCloud } from "./cloud";

const REPO = resolve(__dirname, "../../../..");

/** Builds the plugin when needed (first time: about 20 s) and returns its path. */
export function officialPlugin(): string {
  const out = execFileSync("bash", [join(REPO, "scripts/ssm-plugin.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const bin = out.trim().split("\n").pop() ?? "";
  return join(bin, "session-manager-plugin");
}

export interface PluginRun {
  child: ChildProcessWithoutNullStreams;
  /** Everything the plugin printed so far. */
  stdout(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves when stdout matches. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

export interface PluginSession {
  plugin: string;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The StartSession response (SessionId, TokenValue, StreamUrl). */
  response: { SessionId?: string; TokenValue?: string; StreamUrl?: string };
  /** The StartSession request (Target, DocumentName, Parameters). */
  request: Record<string, unknown>;
  /** Extra environment, e.g. SSM_PLUGIN_SKIP_CLIENT_CONFIGURE=true (no SigV4 on the upgrade). */
  env?: Record<string, string>;
}

export function runPlugin(s: PluginSession): PluginRun {
  const home = mkdtempSync(join(tmpdir(), "ssm-plugin-home-"));
  const child = spawn(
    s.plugin,
    [JSON.stringify(s.response), s.region, "StartSession", "", JSON.stringify(s.request), s.endpoint],
    {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        AWS_ACCESS_KEY_ID: s.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s.credentials.secretAccessKey,
        AWS_CONFIG_FILE: join(home, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        ...s.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let out = "";
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
    for (const w of [...waiters]) w();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((done, fail) => {
      const check = () => {
        const m = out.match(pattern);
        if (m) {
          waiters.splice(waiters.indexOf(check), 1);
          done(m);
        }
      };
      waiters.push(check);
      void exited.then(() => fail(new Error(`plugin exited before printing ${pattern}; output:\n${out}`)));
      check();
    });
  return { child, stdout: () => out, exited, waitFor };
}

/**
 * Starts a session on the test cloud and runs the plugin on it, as the AWS CLI would after
 * StartSession; `streamUrl` may rewrite the StreamUrl the plugin gets (a relay in between).
 */
export async function startPluginSession(
  t: SsmTestCloud,
  plugin: string,
  request: Record<string, unknown>,
  options: { streamUrl?: (url: string) => string; env?: Record<string, string> } = {},
): Promise<{ run: PluginRun; sessionId: string }> {
  const started = await t.start(request);
  const response = {
    ...started,
    StreamUrl: options.streamUrl ? options.streamUrl(started.StreamUrl) : started.StreamUrl,
  };
  const run = runPlugin({
    plugin,
    endpoint: t.cloud.url,
    region: REGION,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
    response,
    request: { Target: NODE, ...request },
    env: options.env,
  });
  return { run, sessionId: response.SessionId };
}

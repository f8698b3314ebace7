/**
 * `pulumi-sessions local-cloud`: runs the local cloud until SIGINT/SIGTERM.
 *
 * Prints one JSON line on stdout once listening, for scripts to read:
 *   {"endpoint":"127.0.0.1:PORT","url":"http://127.0.0.1:PORT","admin":"http://127.0.0.1:PORT/_admin/",
 *    "adminToken":"...","credentialsFile":"/path (only when the key was generated)","pid":N}
 * Everything else (errors, shutdown notes) goes to stderr.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { UsageError, usageErrors, type Command } from "./command";

/**
 * The port when neither --port nor the config names one: fixed, so a stack's
 * `sessions:localCloud` stays right across restarts (refresh and destroy call the URL in state).
 */
export const DEFAULT_PORT = 8477;

export const USAGE = `usage: pulumi-sessions local-cloud [--config FILE] [--port N] [--state-dir DIR] [--allowed-host NAME]...

Runs the local cloud (ECS Session Manager, DAS kill-session tasks and SSM sessions) on 127.0.0.1
until SIGINT or SIGTERM, and prints one JSON line with its endpoint once it listens.

  --config FILE   a JSON file: credentials, ECS instances, DAS instances, SSM targets, limits
  --port N        the port to listen on (default ${DEFAULT_PORT}; 0: any free port)
  --state-dir DIR keep the admin token, the generated key and the services' records (sessions,
                  kill tasks, inventory changes) here (mode 0600), so a restart forgets nothing
  --allowed-host NAME
                  also answer requests whose Host is NAME or NAME:PORT (a proxy, a container's
                  name for this machine); repeatable. Every other Host and any web page's Origin
                  is refused.

Every /_admin/ call needs "Authorization: Bearer <adminToken>" (the start line has it). When the
config names no credentials, a random key is generated: the start line's credentialsFile holds it.
  -h, --help      this text
`;

function parse(argv: string[]) {
  const { values } = usageErrors(() =>
    parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        port: { type: "string" },
        "state-dir": { type: "string" },
        "allowed-host": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError("--port must be a number 0..65535");
  }
  return {
    config: values.config,
    port,
    stateDir: values["state-dir"],
    allowedHosts: values["allowed-host"] ?? [],
    help: values.help === true,
  };
}

async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const fileConfig: Record<string, unknown> = args.config
    ? JSON.parse(readFileSync(args.config, "utf8"))
    : {};
  if (args.port !== undefined) fileConfig.port = args.port;
  fileConfig.port ??= DEFAULT_PORT;
  if (args.stateDir !== undefined) fileConfig.stateDir = args.stateDir;
  if (args.allowedHosts.length > 0) {
    const fromFile = Array.isArray(fileConfig.allowedHosts) ? (fileConfig.allowedHosts as unknown[]) : [];
    fileConfig.allowedHosts = [...fromFile, ...args.allowedHosts];
  }
  // Loaded here, not at the top: `--help` and usage errors need none of the local cloud.
  const { startLocalCloud } = await import("../emulator/server");
  const cloud = await startLocalCloud(fileConfig).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    throw new Error(
      `port ${String(fileConfig.port)} is in use (another local cloud?): stop it, or pass --port N (0: any free port)`,
    );
  });
  const startLine = {
    endpoint: cloud.endpoint,
    url: cloud.url,
    admin: `${cloud.url}/_admin/`,
    adminToken: cloud.adminToken,
    ...(cloud.credentialsFile !== undefined ? { credentialsFile: cloud.credentialsFile } : {}),
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(startLine)}\n`);
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      process.stderr.write(`local cloud: ${signal}, stopping\n`);
      cloud.stop().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`local cloud: stop failed: ${String(err)}\n`);
          resolve(1);
        },
      );
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
}

export const localCloud: Command = {
  name: "local-cloud",
  summary: "run the local cloud (ECS, DAS and SSM on 127.0.0.1) until interrupted",
  run,
};

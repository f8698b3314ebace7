#!/usr/bin/env node
/**
 * pulumi-sessions-local: runs the local cloud until SIGINT/SIGTERM.
 *
 *   pulumi-sessions-local [--config local-cloud.json] [--port N]
 *
 * Prints one JSON line on stdout once listening, for scripts to read:
 *   {"endpoint":"127.0.0.1:PORT","url":"http://127.0.0.1:PORT","admin":"http://127.0.0.1:PORT/_admin/","pid":N}
 * Everything else (errors, shutdown notes) goes to stderr.
 */
import { readFileSync } from "node:fs";
import { startLocalCloud } from "./server";

interface Args {
  config?: string;
  port?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--config") args.config = value();
    else if (flag === "--port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be 0..65535");
      args.port = port;
    } else if (flag === "--help" || flag === "-h") {
      process.stderr.write("usage: pulumi-sessions-local [--config file.json] [--port N]\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fileConfig: Record<string, unknown> = args.config
    ? JSON.parse(readFileSync(args.config, "utf8"))
    : {};
  if (args.port !== undefined) fileConfig.port = args.port;
  const cloud = await startLocalCloud(fileConfig);
  process.stdout.write(
    `${JSON.stringify({ endpoint: cloud.endpoint, url: cloud.url, admin: `${cloud.url}/_admin/`, pid: process.pid })}\n`,
  );
  const shutdown = (signal: string) => {
    process.stderr.write(`local cloud: ${signal}, stopping\n`);
    cloud.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`local cloud: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`local cloud: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

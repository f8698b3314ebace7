#!/usr/bin/env node
/**
 * `pulumi-resource-sessions`: the package's resource provider plugin, for Pulumi programs in
 * any language. The engine starts it with its own address as the argument; it prints its port
 * and serves until stopped. Serves schema.json of the installed package unchanged.
 */
// First: modules loaded after this one come from Node's compile cache (provider/compileCache.ts).
import "../provider/compileCache";
import * as fs from "node:fs";
import * as path from "node:path";
import { createSessionsPlugin } from "./provider";
import { serve } from "./server";

/** The package root: the nearest folder up from here whose package.json is this package's. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "pulumi-sessions")
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`pulumi-sessions: no package.json above ${from}`);
  }
}

function run(): void {
  const root = packageRoot();
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
  };
  const schema = fs.readFileSync(path.join(root, "schema.json"), "utf8");
  serve(createSessionsPlugin({ schema, version }), process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`pulumi-resource-sessions: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

if (require.main === module) run();

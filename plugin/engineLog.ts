/**
 * Lines for the user, through the engine's `Log` RPC: the engine shows a plugin's stderr only in
 * its verbose log, so this is the one way a plugin's line reaches `pulumi` output. The engine
 * passes its address as the plugin's first argument; without one (a plugin run by hand) lines go
 * to stderr. Lines are sent one at a time, so the engine shows them in the order they were made.
 */
import * as path from "node:path";

/* eslint-disable @typescript-eslint/no-require-imports -- the modules the provider server uses, by path */
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }),
) as typeof import("@grpc/grpc-js");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
const { parseArgs } = require("@pulumi/pulumi/provider/internals") as {
  parseArgs(args: string[]): { engineAddress: string } | undefined;
};
/* eslint-enable @typescript-eslint/no-require-imports */

export type Severity = "info" | "warning";

/** One line for the user, attributed to the resource `urn` when given. */
export type EngineLog = (message: string, severity?: Severity, urn?: string) => void;

interface EngineClient {
  log(request: unknown, callback: (err: Error | null) => void): void;
  close(): void;
}

let client: EngineClient | undefined;
/** The lines sent so far, in order: each waits for the one before. */
let sent: Promise<void> = Promise.resolve();

const toStderr = (message: string) => void process.stderr.write(`${message}\n`);

/** Sends later lines to the engine whose address the plugin's arguments carry (none: stderr). */
export function useEngineFrom(args: string[]): void {
  const address = parseArgs(args)?.engineAddress;
  client?.close();
  client = address ? new engineRpc.EngineClient(address, grpc.credentials.createInsecure()) : undefined;
}

/** Sends a line to the engine's log; a line the engine does not take goes to stderr. */
export const engineLog: EngineLog = (message, severity = "info", urn) => {
  const engine = client;
  if (!engine) return toStderr(message);
  const request = new engineProto.LogRequest();
  request.setSeverity(
    severity === "warning" ? engineProto.LogSeverity.WARNING : engineProto.LogSeverity.INFO,
  );
  request.setMessage(message);
  if (urn) request.setUrn(urn);
  sent = sent.then(
    () =>
      new Promise<void>((resolve) =>
        engine.log(request, (err) => resolve(err ? toStderr(message) : undefined)),
      ),
  );
};

/** Resolves once every line so far is sent (or `ms` passed): before the process exits. */
export function engineLogFlushed(ms: number): Promise<void> {
  return Promise.race([sent, new Promise<void>((r) => setTimeout(r, ms).unref())]);
}

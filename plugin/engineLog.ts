/**
 * Lines for the user, through the engine's `Log` RPC: the engine shows a plugin's stderr only in
 * its verbose log, so this is the one way a plugin's line reaches `pulumi` output. The engine
 * passes its address as the plugin's first argument; without one (a plugin run by hand) lines go
 * to stderr. Lines are sent one at a time, so the engine shows them in the order they were made.
 * The client (and the engine's protocol modules) is made for the first line: a plugin that logs
 * nothing never loads them.
 */
import * as path from "node:path";

/* eslint-disable @typescript-eslint/no-require-imports -- the modules the provider server uses, by path */
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }),
) as typeof import("@grpc/grpc-js");
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

/** The engine's address, and its client once a line was sent. */
let address: string | undefined;
let client: EngineClient | undefined;
/** The lines sent so far, in order: each waits for the one before. */
let sent: Promise<void> = Promise.resolve();

const toStderr = (message: string) => void process.stderr.write(`${message}\n`);

/** Sends later lines to the engine whose address the plugin's arguments carry (none: stderr). */
export function useEngineFrom(args: string[]): void {
  client?.close();
  client = undefined;
  address = parseArgs(args)?.engineAddress;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded for the first line */
const engineProto = () => require("@pulumi/pulumi/proto/engine_pb");

function engineClient(): EngineClient | undefined {
  if (!client && address) {
    const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
    client = new engineRpc.EngineClient(address, grpc.credentials.createInsecure()) as EngineClient;
  }
  return client;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** Sends a line to the engine's log; a line the engine does not take goes to stderr. */
export const engineLog: EngineLog = (message, severity = "info", urn) => {
  const engine = engineClient();
  if (!engine) return toStderr(message);
  const proto = engineProto();
  const request = new proto.LogRequest();
  request.setSeverity(severity === "warning" ? proto.LogSeverity.WARNING : proto.LogSeverity.INFO);
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

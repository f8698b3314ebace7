/**
 * Asks a provider plugin executable for its schema over its own gRPC interface (GetSchema), to
 * compare the bytes it serves: `pulumi package get-schema` re-serializes what it receives.
 */
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";

/* eslint-disable @typescript-eslint/no-require-imports -- generated protobuf modules without types */
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** Starts the plugin (no engine address: it serves anyway), calls GetSchema, stops it. */
export async function pluginSchemaText(executable: string): Promise<string> {
  const child = spawn(executable, [], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        const line = out.split("\n")[0];
        if (out.includes("\n")) resolve(line.trim());
      });
      child.once("error", reject);
      child.once("exit", (code) =>
        reject(new Error(`${executable} exited (${code}) before printing its port`)),
      );
    });
    const client = new providerRpc.ResourceProviderClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const request = new providerProto.GetSchemaRequest();
      request.setVersion(0);
      return await new Promise<string>((resolve, reject) =>
        client.getSchema(request, (err: Error | null, resp: { getSchema(): string }) =>
          err ? reject(err) : resolve(resp.getSchema()),
        ),
      );
    } finally {
      client.close();
    }
  } finally {
    child.kill();
  }
}

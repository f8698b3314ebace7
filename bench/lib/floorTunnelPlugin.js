#!/usr/bin/env node
/**
 * Benchmark 17's floor arm: a `sessions` provider plugin that does only what the engine needs
 * from a tunnel's plugin. It listens on BENCH_FLOOR_PORT (the same in every command of a stack,
 * as a tunnel's port is) before it serves, pipes each connection straight to BENCH_FLOOR_TARGET
 * (`host:port`), and answers the TunnelEndpoint with that port: no configuration check, no
 * schema, no session, no journal. So the tunnel arm minus this arm is what the tunnel itself
 * costs, and this arm minus the direct arm is what any plugin-served endpoint costs under the
 * engine (starting a Node.js plugin, registering the provider and the endpoint).
 */
"use strict";
require("node:module").enableCompileCache?.();
const net = require("node:net");
const provider = require("@pulumi/pulumi/provider");

const [targetHost, targetPort] = (process.env.BENCH_FLOOR_TARGET ?? "").split(":");
const port = Number(process.env.BENCH_FLOOR_PORT);

const relay = net.createServer({ noDelay: true }, (client) => {
  const server = net.connect({ host: targetHost, port: Number(targetPort), noDelay: true });
  const end = () => {
    client.destroy();
    server.destroy();
  };
  client.on("error", end).on("close", end);
  server.on("error", end).on("close", end);
  client.pipe(server).pipe(client);
});

relay.listen(port, "127.0.0.1", () => {
  void provider.main(
    {
      version: "0.0.0",
      check: async (_urn, _olds, news) => ({ inputs: news }),
      diff: async () => ({ changes: false }),
      create: async () => ({ id: "endpoint", outs: { host: "127.0.0.1", port } }),
      read: async (id) => ({ id, props: { host: "127.0.0.1", port } }),
      delete: async () => {},
    },
    process.argv.slice(2),
  );
});

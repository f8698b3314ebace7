/**
 * Loaded into every Node.js process of a bench run through NODE_OPTIONS=--require; acts only in
 * the provider processes: the dynamic provider (`@pulumi/pulumi/cmd/dynamic-provider`) and the
 * plugin (`pulumi-resource-sessions`). It wraps the gRPC handlers of that process and appends
 * one JSON line per event to $PULUMI_SESSIONS_PROBE_FILE:
 * `{pid, event, ms, origin}` with `ms` milliseconds since the process started
 * (`performance.timeOrigin`, taken by Node before any JavaScript runs). Events: `probe` (this file
 * runs), `listening` (the gRPC server is up), the first start and end of each RPC
 * (`check:start`, `create:end`, ...), and `<rpc>:inflight` with `n` each time the number of
 * concurrent calls of that RPC reaches a new high (how much of the engine's parallelism arrives).
 * Plain JavaScript: it is loaded before anything could compile TypeScript.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const file = process.env.PULUMI_SESSIONS_PROBE_FILE;
const script = process.argv[1] || "";
const provider = /cmd[\\/]dynamic-provider|pulumi-resource-sessions$|plugin[\\/]main\.js$/;
if (file && provider.test(script)) {
  const seen = new Set();
  const write = (fields) => {
    const line = { pid: process.pid, ms: performance.now(), origin: performance.timeOrigin, ...fields };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  const record = (event) => {
    if (seen.has(event)) return;
    seen.add(event);
    write({ event });
  };
  const inFlight = {};
  const highest = {};
  const enter = (name) => {
    inFlight[name] = (inFlight[name] || 0) + 1;
    if (inFlight[name] > (highest[name] || 0)) {
      highest[name] = inFlight[name];
      write({ event: `${name}:inflight`, n: inFlight[name] });
    }
  };
  record("probe");
  // The copy of grpc-js both serve through: @pulumi/pulumi's, found from the script's real place.
  const from = path.dirname(fs.realpathSync(script));
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [from] }));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    for (const name of [
      "getSchema",
      "checkConfig",
      "configure",
      "check",
      "diff",
      "create",
      "read",
      "update",
      "delete",
    ]) {
      const handler = implementation[name];
      if (typeof handler !== "function") continue;
      implementation[name] = function (call, callback) {
        record(`${name}:start`);
        enter(name);
        return handler.call(implementation, call, (...args) => {
          inFlight[name]--;
          record(`${name}:end`);
          return callback(...args);
        });
      };
    }
    return addService.call(this, service, implementation);
  };
  const bindAsync = grpc.Server.prototype.bindAsync;
  grpc.Server.prototype.bindAsync = function (port, creds, callback) {
    return bindAsync.call(this, port, creds, (...args) => {
      record("listening");
      return callback(...args);
    });
  };
}

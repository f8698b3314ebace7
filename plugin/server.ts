/**
 * Serves the plugin with `@pulumi/pulumi/provider`'s `main`. That server answers the provider
 * configuration calls itself (CheckConfig and DiffConfig unimplemented, Configure ignoring the
 * values), so the configuration would never reach the lifecycles: those three calls are routed
 * to the plugin when `main` registers its service; everything else is `main`'s.
 */
import * as path from "node:path";
import * as pulumiProvider from "@pulumi/pulumi/provider";
import { canonicalJson } from "../provider/inputs";
import type { SessionsPlugin } from "./provider";
import { TUNNEL_DRY_RUN_INPUT } from "../sdk/contract/tunnel";
import { reveal } from "./secrets";
import { useEngineFrom } from "./engineLog";

/* eslint-disable @typescript-eslint/no-require-imports -- the modules `main` itself uses, by path */
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }),
) as typeof import("@grpc/grpc-js");
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb") as { ResourceProviderService: object };
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
const structProto = require(
  require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }),
);
/* eslint-enable @typescript-eslint/no-require-imports */

type Bag = Record<string, unknown>;
type Callback = (err: unknown, value?: unknown) => void;
type Call = { request: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const CONFIG_PREFIXES = ["sessions:config:", "sessions:"];

/** The configuration values of a ConfigureRequest: `args` when the engine sends them, else `variables`. */
export function configureValues(args: Record<string, unknown> | undefined, variables: Map<string, string>) {
  if (args) return args;
  const values: Record<string, unknown> = {};
  for (const [key, value] of variables) {
    const prefix = CONFIG_PREFIXES.find((p) => key.startsWith(p));
    if (prefix) values[key.slice(prefix.length)] = value;
  }
  return values;
}

/** The configuration handlers added to `main`'s service implementation. */
function configHandlers(plugin: SessionsPlugin, base: Record<string, (call: Call, cb: Callback) => void>) {
  return {
    async checkConfig(call: Call, callback: Callback) {
      try {
        const olds = (call.request.getOlds()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const news = (call.request.getNews()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const { inputs, failures } = await plugin.checkConfig(olds, news);
        const resp = new providerProto.CheckResponse();
        resp.setInputs(structProto.Struct.fromJavaScript(inputs));
        resp.setFailuresList(
          failures.map((f) => {
            const failure = new providerProto.CheckFailure();
            failure.setProperty(f.property);
            failure.setReason(f.reason);
            return failure;
          }),
        );
        callback(undefined, resp);
      } catch (err) {
        callback(err);
      }
    },
    diffConfig(call: Call, callback: Callback) {
      // A preview's dry-run mark is not a change of the tunnel.
      const { [TUNNEL_DRY_RUN_INPUT]: _o, ...olds } = reveal(
        call.request.getOlds()?.toJavaScript() ?? {},
      ) as Bag;
      const { [TUNNEL_DRY_RUN_INPUT]: _n, ...news } = reveal(
        call.request.getNews()?.toJavaScript() ?? {},
      ) as Bag;
      const resp = new providerProto.DiffResponse();
      // A new key, region or endpoint changes how later calls are made, never what exists: no replacement.
      resp.setChanges(
        canonicalJson(olds) === canonicalJson(news)
          ? providerProto.DiffResponse.DiffChanges.DIFF_NONE
          : providerProto.DiffResponse.DiffChanges.DIFF_SOME,
      );
      callback(undefined, resp);
    },
    configure(call: Call, callback: Callback) {
      const args = call.request.getArgs()?.toJavaScript() as Record<string, unknown> | undefined;
      const variables = new Map<string, string>(call.request.getVariablesMap().entries());
      plugin.configure(configureValues(args, variables), call.request.getUrn?.() || undefined).then(
        () => base.configure(call, callback),
        (err: unknown) => callback(err),
      );
    },
  };
}

/** Runs the plugin's gRPC server until the engine stops it. */
export async function serve(plugin: SessionsPlugin, args: string[]): Promise<void> {
  useEngineFrom(args);
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    if (service !== providerRpc.ResourceProviderService)
      return addService.call(this, service, implementation);
    const base = implementation as unknown as Record<string, (call: Call, cb: Callback) => void>;
    const routed = Object.assign(Object.create(base) as object, configHandlers(plugin, base));
    return addService.call(this, service, routed as typeof implementation);
  };
  await pulumiProvider.main(plugin.provider, args);
}

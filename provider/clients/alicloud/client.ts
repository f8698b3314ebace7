/**
 * One Alibaba Cloud RPC client per product: endpoint, region, credentials, signing (by
 * the official `@alicloud/openapi-core`, ACS3-HMAC-SHA256), error mapping and retries.
 *
 * We call `openapi-core`'s generic `callApi` (RPC style) instead of the generated
 * `@alicloud/ecs20140526` client: that package is ~28 MB of models and takes about a
 * second to load, for three operations. Responses therefore keep their PascalCase keys.
 * The SDK modules are loaded with `require()` on first use so that loading this module
 * (and serializing anything that references it) stays cheap.
 */
import type { AlicloudCredentialSource } from "../../config";
import { alicloudBodyError, toAlicloudError, type ErrorHints, type StatusCodes } from "../../errors/alicloud";
import { withRetry, type RetryOptions } from "../../retry";

/** Products this package calls. */
export type AlicloudProduct = "ecs" | "das";

/** API version and default endpoint of each product. */
export const ALICLOUD_PRODUCTS: Readonly<
  Record<AlicloudProduct, { version: string; defaultEndpoint: (region: string) => string }>
> = {
  ecs: { version: "2014-05-26", defaultEndpoint: (region) => `https://ecs.${region}.aliyuncs.com` },
  // DAS is served centrally from cn-shanghai whatever the database's region.
  das: { version: "2020-01-16", defaultEndpoint: () => "https://das.cn-shanghai.aliyuncs.com" },
};

/** How to build a client. */
export interface AlicloudClientOptions {
  /** Which product. */
  product: AlicloudProduct;
  /** The region the client signs for (and picks the default endpoint with). */
  region: string;
  /** Endpoint override, `scheme://host[:port]`; the scheme decides the protocol. */
  endpoint?: string;
  /** Where the credentials come from. */
  credentials: AlicloudCredentialSource;
  /** Read timeout per request, ms (default 20 s). */
  readTimeoutMs?: number;
  /** Connect timeout per request, ms (default 5 s). */
  connectTimeoutMs?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** Hints for the codes this operation documents. */
  hints?: ErrorHints;
  /** The documented code of each HTTP status, for failures that carry only the status (DAS). */
  statusCodes?: StatusCodes;
  /** Retry settings, or `false` for a single attempt. Default: retry throttling, 5xx, network. */
  retry?: RetryOptions | false;
}

/** A response. */
export interface RpcResult {
  /** The JSON body (PascalCase keys, as the API documents them). */
  body: Record<string, unknown>;
  /** The server's `Date` header: the cloud's clock, to compare with its timestamps. */
  serverDate?: Date;
}

/** A signed RPC caller for one product and region. */
export interface AlicloudRpcClient {
  /** The product. */
  readonly product: AlicloudProduct;
  /** The region. */
  readonly region: string;
  /** The endpoint URL the client talks to. */
  readonly endpoint: string;
  /**
   * Calls an action with flat parameters (arrays become `Key.1`, `Key.2`, ...; pass objects
   * already JSON-encoded where the API wants a JSON string). Undefined values are left out.
   */
  call(action: string, params: Record<string, unknown>, options?: CallOptions): Promise<RpcResult>;
}

/** Minimal view of `@alicloud/openapi-core` we use (its typings pull in the whole SDK). */
interface OpenApiCore {
  default: new (config: unknown) => {
    callApi(
      params: unknown,
      request: unknown,
      runtime: unknown,
    ): Promise<{ body?: unknown; headers?: Record<string, string | undefined> }>;
  };
  $OpenApiUtil: {
    Config: new (map: Record<string, unknown>) => unknown;
    Params: new (map: Record<string, unknown>) => unknown;
    OpenApiRequest: new (map: Record<string, unknown>) => unknown;
  };
  OpenApiUtil: { query(filter: Record<string, unknown>): Record<string, string> };
}

function credentialConfig(source: AlicloudCredentialSource): Record<string, unknown> {
  if (source.kind === "static") {
    return {
      accessKeyId: source.accessKeyId,
      accessKeySecret: source.accessKeySecret,
      securityToken: source.securityToken,
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const creds = require("@alicloud/credentials");
  const Credential = creds.default;
  if (source.kind === "profile") {
    const provider = creds.CLIProfileCredentialsProvider.builder().withProfileName(source.profile).build();
    return { credential: new Credential(null, provider) };
  }
  // The default chain: env, OIDC, CLI profile, ~/.alibabacloud/credentials, ECS RAM role, URI.
  return { credential: new Credential() };
}

/** Splits an endpoint URL into what `openapi-core` wants: `host[:port]` and protocol. */
export function splitEndpoint(endpoint: string): { host: string; protocol: "http" | "https" } {
  const url = new URL(endpoint);
  return { host: url.host, protocol: url.protocol === "http:" ? "http" : "https" };
}

/** Creates a client; nothing is loaded or sent until the first call. */
export function createAlicloudClient(options: AlicloudClientOptions): AlicloudRpcClient {
  const product = ALICLOUD_PRODUCTS[options.product];
  const endpoint = options.endpoint ?? product.defaultEndpoint(options.region);
  const { host, protocol } = splitEndpoint(endpoint);
  let sdk: { core: OpenApiCore; client: InstanceType<OpenApiCore["default"]> } | undefined;

  function load() {
    if (!sdk) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const core = require("@alicloud/openapi-core") as OpenApiCore;
      const config = new core.$OpenApiUtil.Config({
        ...credentialConfig(options.credentials),
        endpoint: host,
        protocol,
        regionId: options.region,
        readTimeout: options.readTimeoutMs ?? 20_000,
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        userAgent: "pulumi-sessions",
      });
      sdk = { core, client: new core.default(config) };
    }
    return sdk;
  }

  async function once(
    action: string,
    params: Record<string, unknown>,
    errors: CallOptions,
  ): Promise<RpcResult> {
    const { hints = {}, statusCodes = {} } = errors;
    const { core, client } = load();
    const apiParams = new core.$OpenApiUtil.Params({
      action,
      version: product.version,
      protocol: protocol.toUpperCase(),
      pathname: "/",
      method: "POST",
      authType: "AK",
      style: "RPC",
      reqBodyType: "formData",
      bodyType: "json",
    });
    const request = new core.$OpenApiUtil.OpenApiRequest({ query: core.OpenApiUtil.query(params) });
    let body: unknown;
    let date: string | undefined;
    try {
      const response = await client.callApi(apiParams, request, {});
      body = response.body;
      date = response.headers?.date;
    } catch (err) {
      throw toAlicloudError(err, action, hints, statusCodes);
    }
    const businessError = alicloudBodyError(body, action, hints, statusCodes);
    if (businessError) throw businessError;
    if (body === null || typeof body !== "object") {
      throw toAlicloudError(new SyntaxError(`expected a JSON object, got ${typeof body}`), action, hints);
    }
    const serverDate = date ? new Date(date) : undefined;
    return {
      body: body as Record<string, unknown>,
      serverDate: serverDate && !Number.isNaN(serverDate.getTime()) ? serverDate : undefined,
    };
  }

  return {
    product: options.product,
    region: options.region,
    endpoint,
    call(action, params, callOptions = {}) {
      if (callOptions.retry === false) return once(action, params, callOptions);
      return withRetry(() => once(action, params, callOptions), callOptions.retry ?? {});
    },
  };
}

/** A client for `product` in `region` from resolved provider settings (endpoint override, credentials). */
export function alicloudClientFor(
  settings: {
    alicloud: { credentials: AlicloudCredentialSource };
    endpoints: { ecs?: string; das?: string };
  },
  product: AlicloudProduct,
  region: string,
): AlicloudRpcClient {
  return createAlicloudClient({
    product,
    region,
    endpoint: settings.endpoints[product],
    credentials: settings.alicloud.credentials,
  });
}

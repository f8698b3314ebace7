/**
 * The AWS Systems Manager client: region, endpoint, credentials, timeouts, retries and error
 * mapping in one place, over the official `@aws-sdk/client-ssm`.
 *
 * Retries are the SDK's own, set on purpose rather than left to defaults or `AWS_MAX_ATTEMPTS`:
 * - idempotent calls (DescribeSessions, TerminateSession, ResumeSession): `retryMode: "standard"` with the
 *   package's attempt budget (`DEFAULT_MAX_ATTEMPTS`, as for Alibaba Cloud): throttling,
 *   transient network failures and 5xx, with the SDK's exponential backoff, full jitter and
 *   retry quota;
 * - StartSession is not idempotent (the API has no client token), so after a 5xx or a lost
 *   response a retry could start a second session nobody tracks. It retries throttling only
 *   (the request was refused before anything happened), through {@link throttlingOnlyRetry}.
 *
 * The SDK modules load with `require()` on first call, so loading this module (as the SDK's
 * resource classes do, for their schemas) costs nothing.
 */
import type * as Ssm from "@aws-sdk/client-ssm";
import type { ErrorHints } from "../../errors/base";
import { toAwsError } from "../../errors/aws";
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS } from "../../retry";
import type { AwsCredentialSource } from "../../config";

/** Request timeouts (ms): connect, and the whole response. */
export const SSM_TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 20_000 } as const;

/** The operations this package calls, with the SDK's request and response types. */
export interface SsmOperations {
  /** Starts a session. */
  StartSession: { input: Ssm.StartSessionCommandInput; output: Ssm.StartSessionCommandOutput };
  /** Lists sessions. */
  DescribeSessions: { input: Ssm.DescribeSessionsCommandInput; output: Ssm.DescribeSessionsCommandOutput };
  /** Ends a session. */
  TerminateSession: { input: Ssm.TerminateSessionCommandInput; output: Ssm.TerminateSessionCommandOutput };
  /** Reconnects to a session: a fresh token for its data channel. */
  ResumeSession: { input: Ssm.ResumeSessionCommandInput; output: Ssm.ResumeSessionCommandOutput };
}

/** Which retry policy a call uses (see the module comment). */
export type SsmRetryPolicy = "standard" | "throttlingOnly";

/** Per-call options. */
export interface SsmCallOptions {
  /** Hints for the codes this operation documents. */
  hints?: ErrorHints;
  /** The retry policy; default `standard`. */
  retry?: SsmRetryPolicy;
}

/** How to build a client. */
export interface SsmClientOptions {
  /** The region to sign for (and pick the default endpoint with). */
  region: string;
  /** Endpoint override, `scheme://host[:port]`. */
  endpoint?: string;
  /** Where the credentials come from. */
  credentials: AwsCredentialSource;
}

/** A Systems Manager client for one region. */
export interface SsmClient {
  /** The region. */
  readonly region: string;
  /** The endpoint override, if any. */
  readonly endpoint?: string;
  /** Sends one operation; failures are {@link toAwsError}'s `AwsApiError`. */
  send<K extends keyof SsmOperations>(
    operation: K,
    input: SsmOperations[K]["input"],
    options?: SsmCallOptions,
  ): Promise<SsmOperations[K]["output"]>;
}

/** Any command the client can send. */
type SsmCommand = Parameters<Ssm.SSMClient["send"]>[0];

/** The slice of the SDK's `RetryStrategyV2` contract that {@link throttlingOnlyRetry} fills. */
interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * A retry strategy for the SDK that retries throttling errors only, with the shared capped
 * full-jitter backoff. Rejecting the refresh makes the SDK throw the last error, attempts stamped.
 */
export function throttlingOnlyRetry(maxAttempts: number, random: () => number = Math.random) {
  const token = (count: number, delay: number): RetryToken => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
  });
  return {
    mode: "standard",
    acquireInitialRetryToken: async (): Promise<RetryToken> => token(0, 0),
    refreshRetryTokenForRetry: async (
      previous: RetryToken,
      info: { errorType: string; error?: unknown },
    ): Promise<RetryToken> => {
      const count = previous.getRetryCount();
      if (info.errorType !== "THROTTLING" || count + 1 >= maxAttempts)
        throw info.error ?? new Error("no retry");
      return token(count + 1, backoffDelay(count, DEFAULT_BACKOFF, random));
    },
    recordSuccess: (): void => {},
  };
}

/** The credentials value the SDK takes: static keys or a provider from `@aws-sdk/credential-providers`. */
function sdkCredentials(source: AwsCredentialSource): Ssm.SSMClientConfig["credentials"] {
  if (source.kind === "static") {
    return {
      accessKeyId: source.accessKeyId,
      secretAccessKey: source.secretAccessKey,
      sessionToken: source.sessionToken,
    };
  }
  type Providers = typeof import("@aws-sdk/credential-providers");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const providers = require("@aws-sdk/credential-providers") as Providers;
  // Both providers cache what they resolve and refresh temporary credentials before they expire.
  return source.kind === "profile"
    ? providers.fromIni({ profile: source.profile })
    : providers.fromNodeProviderChain();
}

/** Creates a client; nothing is loaded or sent until the first call. */
export function createSsmClient(options: SsmClientOptions): SsmClient {
  let sdk: typeof Ssm | undefined;
  const clients: Partial<Record<SsmRetryPolicy, Ssm.SSMClient>> = {};

  function clientFor(policy: SsmRetryPolicy): { sdk: typeof Ssm; client: Ssm.SSMClient } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk ??= require("@aws-sdk/client-ssm") as typeof Ssm;
    let client = clients[policy];
    if (!client) {
      const base: Ssm.SSMClientConfig = {
        region: options.region,
        endpoint: options.endpoint,
        credentials: sdkCredentials(options.credentials),
        requestHandler: SSM_TIMEOUTS,
      };
      client =
        policy === "standard"
          ? new sdk.SSMClient({ ...base, retryMode: "standard", maxAttempts: DEFAULT_MAX_ATTEMPTS })
          : new sdk.SSMClient({ ...base, retryStrategy: throttlingOnlyRetry(DEFAULT_MAX_ATTEMPTS) });
      clients[policy] = client;
    }
    return { sdk, client };
  }

  return {
    region: options.region,
    endpoint: options.endpoint,
    async send(operation, input, callOptions = {}) {
      const { sdk: mod, client } = clientFor(callOptions.retry ?? "standard");
      // One generic path for every command: `<Operation>Command` is the SDK's naming rule.
      const Command = mod[`${operation}Command`] as unknown as new (input: unknown) => SsmCommand;
      try {
        return (await client.send(new Command(input))) as SsmOperations[typeof operation]["output"];
      } catch (err) {
        throw toAwsError(err, operation, callOptions.hints);
      }
    },
  };
}

/** A client for `region` from resolved settings (endpoint override, credentials). */
export function ssmClientFor(
  settings: { credentials: AwsCredentialSource; ssmEndpoint?: string },
  region: string,
): SsmClient {
  return createSsmClient({ region, endpoint: settings.ssmEndpoint, credentials: settings.credentials });
}

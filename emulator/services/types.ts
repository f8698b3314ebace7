import type { PersistentPart } from "../persistence/store";

/**
 * The contract between the wire protocols (emulator/protocol/) and the services
 * (emulator/services/<name>/). A protocol authenticates and parses a request, then
 * calls the service's handler for the action; handlers hold no state of their own:
 * the service's backend does.
 */
export interface CallContext {
  /** Id the protocol layer returns as `RequestId` / `x-amzn-RequestId`. */
  requestId: string;
  /** The authenticated caller. */
  accessKeyId: string;
  /** Region of the call: Alibaba `RegionId` parameter (or the endpoint's), AWS credential scope. */
  region: string;
  /** Address of the calling client, as the cloud reports it (`ClientIP`). */
  clientIp: string;
}
/**
 * Alibaba RPC: `params` is the flat query map as sent (`InstanceId.1`, `EncryptionOptions` as a JSON string).
 * AWS JSON 1.1: `params` is the parsed JSON body.
 * The result is the response body without `RequestId` (the protocol adds it).
 */
export type ActionHandler = (
  params: Record<string, unknown>,
  ctx: CallContext,
) => Promise<Record<string, unknown>>;

export interface Service {
  /** `ecs` | `das` | `ssm`: used in the request log and fault rules. */
  name: string;
  /** Alibaba `x-acs-version` (e.g. `2014-05-26`), or the AWS target prefix (e.g. `AmazonSSM`). */
  version: string;
  actions: Record<string, ActionHandler>;
  /** Parameters that carry a secret: the request log shows them as `***`. */
  secretParameters?: readonly string[];
  /** Stops timers, closes database connections. */
  close?(): Promise<void>;
  /** Live state as plain JSON, for `GET /_admin/sessions` (keyed by service name). */
  snapshot?(): unknown;
  /** The service's records, kept across restarts with `--state-dir`. */
  persistence?: PersistentPart;
}

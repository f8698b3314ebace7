/**
 * `aws.SsmSession`: an AWS Systems Manager Session Manager session.
 * See docs/aws/ssm-session.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type { SsmSessionInputs } from "../schemaTypes";
import { DynamicResource, type DynamicResourceKind } from "../internal/dynamicResource";
import type { ArgsOf } from "../internal/types";

/** The arguments of an {@link SsmSession}; every field is documented on the provider's schema. */
export type SsmSessionArgs = ArgsOf<SsmSessionInputs>;

const KIND: DynamicResourceKind = {
  row: RESOURCES.ssmSession,
  insteadOfImport:
    "An existing SSM session cannot be taken over (its token and stream URL exist only in " +
    "StartSession's answer): remove the option, and the resource starts a session of its own.",
};

/**
 * A Session Manager session (StartSession) on an EC2 instance or managed node: a token and a
 * WebSocket stream URL for a shell, a command or port forwarding, used by the Session Manager
 * plugin. Immutable: any input change replaces it (the new session starts before the old one is
 * terminated). Destroy terminates it; refresh drops it once it is terminated or failed.
 * `tokenValue` and `streamUrl` are secrets.
 */
export class SsmSession extends DynamicResource {
  /** The session id, also the resource id. */
  declare public readonly sessionId: pulumi.Output<string>;
  /** The token that opens the session's data channel. Secret. */
  declare public readonly tokenValue: pulumi.Output<string | undefined>;
  /** The WebSocket URL of the data channel. Secret. */
  declare public readonly streamUrl: pulumi.Output<string | undefined>;
  /** Connecting, Connected or Disconnected, as of the last create or refresh. */
  declare public readonly status: pulumi.Output<string | undefined>;
  /** When the session started (ISO 8601). */
  declare public readonly startDate: pulumi.Output<string | undefined>;
  /** When it ended (ISO 8601); empty while it is live. */
  declare public readonly endDate: pulumi.Output<string | undefined>;
  /** The ARN of the IAM identity that started the session. */
  declare public readonly owner: pulumi.Output<string | undefined>;
  /** Reserved by AWS. */
  declare public readonly details: pulumi.Output<string | undefined>;
  /** The account's maximum session duration in minutes, when one is set. */
  declare public readonly maxSessionDuration: pulumi.Output<string | undefined>;
  /** The region of the session (input, or the stack's `aws:region` / `AWS_REGION`). */
  declare public readonly region: pulumi.Output<string>;
  /** The managed node the session is on. */
  declare public readonly target: pulumi.Output<string>;
  /** The Session document, if set. */
  declare public readonly documentName: pulumi.Output<string | undefined>;
  /** The reason recorded with the session, if set. */
  declare public readonly reason: pulumi.Output<string | undefined>;
  /** The document's parameters, if set. */
  declare public readonly parameters: pulumi.Output<Record<string, string[]> | undefined>;

  /**
   * @param name The unique name of the resource.
   * @param args The session's settings.
   * @param opts Resource options; `tokenValue` and `streamUrl` are always added to
   *   `additionalSecretOutputs`.
   */
  constructor(name: string, args: SsmSessionArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(KIND, name, args, opts);
  }
}

/**
 * `alicloud.TerminalSession`: an Alibaba Cloud ECS Session Manager session.
 * See docs/alicloud/terminal-session.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { RESOURCES } from "../contract/resources";
import type {
  TerminalSessionComputed,
  TerminalSessionEncryptionOptions,
  TerminalSessionInputs,
} from "../schemaTypes";
import { DynamicResource, type DynamicResourceKind } from "../internal/dynamicResource";
import type { ArgsOf } from "../internal/types";

/** The arguments of a {@link TerminalSession}; every field is documented on the provider's schema. */
export type TerminalSessionArgs = ArgsOf<TerminalSessionInputs>;

/** One connection of a session, as DescribeTerminalSessions reports it. */
export type TerminalSessionConnection = TerminalSessionComputed["connections"][number];

export type { TerminalSessionEncryptionOptions };

const KIND: DynamicResourceKind = {
  row: RESOURCES.terminalSession,
  insteadOfImport:
    "To manage an existing session, declare it with adoptSessionId instead: " +
    'new alicloud.TerminalSession(name, { instanceIds: ["i-..."], adoptSessionId: "s-..." }).',
};

/**
 * An ECS Session Manager session (StartTerminalSession): a WebSocket URL, valid 10 minutes,
 * for a shell, a command or TCP port forwarding on one instance. Immutable: any input change
 * replaces it (the old session is ended first). Destroy ends it; refresh drops it once it is
 * ended or expired. `webSocketUrl` and `securityToken` are secrets.
 */
export class TerminalSession extends DynamicResource {
  /** The session id (`s-...`), also the resource id. */
  declare public readonly sessionId: pulumi.Output<string>;
  /** The WebSocket URL to connect to; valid 10 minutes after creation. Secret; empty when adopted. */
  declare public readonly webSocketUrl: pulumi.Output<string | undefined>;
  /** The token the WebSocket request must carry. Secret; empty when adopted. */
  declare public readonly securityToken: pulumi.Output<string | undefined>;
  /** When the session was created (ISO 8601). */
  declare public readonly creationTime: pulumi.Output<string | undefined>;
  /** The principal that started the session. */
  declare public readonly principalId: pulumi.Output<string | undefined>;
  /** Account, RAMUser or AssumedRoleUser. */
  declare public readonly identityType: pulumi.Output<string | undefined>;
  /** The client IP the cloud recorded. */
  declare public readonly clientIp: pulumi.Output<string | undefined>;
  /** The username the cloud recorded. */
  declare public readonly reportedUsername: pulumi.Output<string | undefined>;
  /** The target server the cloud recorded. */
  declare public readonly reportedTargetServer: pulumi.Output<string | undefined>;
  /** The port the cloud recorded. */
  declare public readonly reportedPortNumber: pulumi.Output<number | undefined>;
  /** The session's connections and their states (as of the last create or refresh). */
  declare public readonly connections: pulumi.Output<TerminalSessionConnection[]>;
  /** True when the session was adopted with `adoptSessionId`. */
  declare public readonly adopted: pulumi.Output<boolean>;
  /** The ClientToken the session was started with (see `clientToken`). */
  declare public readonly effectiveClientToken: pulumi.Output<string | undefined>;
  /** The region of the session (input, or the stack's `alicloud:region`). */
  declare public readonly region: pulumi.Output<string>;
  /** The instance the session is on. */
  declare public readonly instanceIds: pulumi.Output<string[]>;
  /** The forwarded port, if any. */
  declare public readonly portNumber: pulumi.Output<number | undefined>;
  /** The command run instead of a shell, if any. */
  declare public readonly commandLine: pulumi.Output<string | undefined>;
  /** The VPC server reached through the instance, if any. */
  declare public readonly targetServer: pulumi.Output<string | undefined>;
  /** The username input. */
  declare public readonly username: pulumi.Output<string | undefined>;
  /** Internet or Intranet. */
  declare public readonly connectionType: pulumi.Output<string | undefined>;
  /** The parameter-store name of the Windows password. */
  declare public readonly passwordName: pulumi.Output<string | undefined>;
  /** The encryption settings. */
  declare public readonly encryptionOptions: pulumi.Output<TerminalSessionEncryptionOptions | undefined>;
  /** The ClientToken input (derived from the URN and inputs when not set). */
  declare public readonly clientToken: pulumi.Output<string>;
  /** The adopted session id, if any. */
  declare public readonly adoptSessionId: pulumi.Output<string | undefined>;

  /**
   * @param name The unique name of the resource.
   * @param args The session's settings.
   * @param opts Resource options; `webSocketUrl` and `securityToken` are always added to
   *   `additionalSecretOutputs`, and `deleteBeforeReplace` defaults to true.
   */
  constructor(name: string, args: TerminalSessionArgs, opts: pulumi.CustomResourceOptions = {}) {
    // The provider's diff asks for delete-first, but the engine does not ask the provider when
    // the replacement comes from `--replace`, `replaceWith` or a changed provider: the option does.
    super(KIND, name, args, { ...opts, deleteBeforeReplace: opts.deleteBeforeReplace ?? true });
  }
}

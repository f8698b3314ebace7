/**
 * One row per resource: everything the SDK class and the plugin's doors need to know of it.
 * Plain data, since the SDK loads it: no schema library, no provider code. The provider's catalog
 * adds each row's lifecycle and schemas, for the plugin, schema.json and the docs.
 */

/** The property a resource class sets to its URN, for a `check` that derives a default from it. */
export const URN_PROPERTY = "__urn";

/**
 * The property holding the module the dynamic provider loads the provider from. The engine's host
 * adds it to outputs, but not to a failed create's properties: a provider must, or the
 * partially created resource could not be read or deleted.
 */
export const PROVIDER_PROPERTY = "__provider";

/**
 * The property a Command's class sets to whether any of its inputs is a secret: the dynamic
 * provider sees secrets as plain values, and returns the output streams as secrets when it is set.
 */
export const SECRET_STREAMS_PROPERTY = "__secretStreams";

/**
 * The property a Command's class sets to the inputs whose values are secret, by name only:
 * `environment.<KEY>`, `environment` (all of it), `stdin`, `stdinBase64`. A run's live log and
 * failure messages mask those values; without it (the plugin, an older state) they mask every
 * environment value and the stdin text.
 */
export const SECRET_VALUES_PROPERTY = "__secretValues";

/** A resource as the SDK and the plugin see it. */
export interface ResourceRow {
  /** The schema token, `sessions:<module>:<Type>`; the dynamic type is `pulumi-nodejs:dynamic/<module>:<Type>`. */
  token: string;
  /**
   * The provider: export `exportName` of `pulumi-sessions/dist/<modulePath>`. Every resource in
   * state stores this path in `__provider`: it is a contract with state, never changed.
   */
  provider: { modulePath: string; exportName: string };
  /** Inputs kept secret in state. */
  secretInputs: readonly string[];
  /** Outputs always secret (`additionalSecretOutputs`). */
  secretOutputs: readonly string[];
  /** `check` gets the resource's URN as `__urn` (dynamic providers never see it otherwise). */
  takesUrn: boolean;
}

const row = (
  token: string,
  name: string,
  rest: Omit<ResourceRow, "token" | "provider" | "secretInputs" | "secretOutputs"> &
    Partial<Pick<ResourceRow, "secretInputs" | "secretOutputs">>,
): ResourceRow => ({
  token,
  provider: { modulePath: `provider/resources/${name}`, exportName: `${name}Provider` },
  secretInputs: [],
  secretOutputs: [],
  ...rest,
});

/** Every resource of the package. */
export const RESOURCES = {
  // The URN seeds the default ClientToken.
  terminalSession: row("sessions:alicloud:TerminalSession", "terminalSession", {
    secretOutputs: ["webSocketUrl", "securityToken"],
    takesUrn: true,
  }),
  killInstanceSessionTask: row("sessions:alicloud:KillInstanceSessionTask", "killInstanceSessionTask", {
    secretInputs: ["dbUserPassword"],
    secretOutputs: ["dbUserPassword"],
    takesUrn: false,
  }),
  // The URN names the resource in the preview listing.
  terminalSessionRevocation: row("sessions:alicloud:TerminalSessionRevocation", "terminalSessionRevocation", {
    takesUrn: true,
  }),
  ssmSession: row("sessions:aws:SsmSession", "ssmSession", {
    secretOutputs: ["tokenValue", "streamUrl"],
    takesUrn: false,
  }),
  ssmSessionRevocation: row("sessions:aws:SsmSessionRevocation", "ssmSessionRevocation", { takesUrn: true }),
  // stdout and stderr are secret when any input is (SECRET_STREAMS_PROPERTY).
  alicloudCommand: row("sessions:alicloud:Command", "alicloudCommand", {
    secretInputs: ["environment", "stdin", "stdinBase64"],
    takesUrn: false,
  }),
  awsCommand: row("sessions:aws:Command", "awsCommand", {
    secretInputs: ["environment", "stdin", "stdinBase64"],
    takesUrn: false,
  }),
} as const satisfies Record<string, ResourceRow>;

/** The rows, in schema order. */
export const RESOURCE_ROWS: readonly ResourceRow[] = Object.values(RESOURCES);

/** The type a resource class registers: `pulumi-nodejs:dynamic/<module>:<Type>`. */
export function dynamicType(row: ResourceRow): string {
  return `pulumi-nodejs:dynamic/${row.token.slice(row.token.indexOf(":") + 1)}`;
}

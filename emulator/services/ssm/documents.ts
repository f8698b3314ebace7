/**
 * The Session Manager documents the local cloud knows, their parameters, and what the data-plane
 * channel does for each. AWS has many more documents (and custom ones); any other name is
 * `InvalidDocument`, as an unknown name is on AWS.
 */
import type { SsmSessionKind } from "../../dataplane/ssm/types";
import { ApiError } from "../../protocol/apiError";

/** The document used when StartSession names none (AWS launches a shell by default). */
export const DEFAULT_SESSION_DOCUMENT = "SSM-SessionManagerRunShell";

interface ParameterDef {
  /** Used when the caller omits the parameter. */
  default?: string;
  required?: boolean;
  /** `port` values must be integers 1..65535. */
  kind: "port" | "text";
}

export interface SessionDocument {
  name: string;
  parameters: Record<string, ParameterDef>;
  /** What the session runs (and the session type the agent announces), from the resolved parameter values. */
  mode(values: Record<string, string>): SsmSessionKind;
}

const port = (value: string | undefined): number => Number(value);

const DOCUMENTS: readonly SessionDocument[] = [
  { name: "SSM-SessionManagerRunShell", parameters: {}, mode: () => ({ kind: "shell" }) },
  {
    name: "AWS-StartPortForwardingSession",
    parameters: {
      portNumber: { kind: "port", default: "80" },
      localPortNumber: { kind: "port", default: "0" },
    },
    mode: (v) => ({
      kind: "port",
      port: port(v.portNumber),
      localPortNumber: v.localPortNumber,
      localPortForwarding: true,
    }),
  },
  {
    // The "remote host" is emulated by loopback: no traffic may leave 127.0.0.1, so `host` is
    // validated and recorded but the channel always forwards to 127.0.0.1:portNumber.
    name: "AWS-StartPortForwardingSessionToRemoteHost",
    parameters: {
      host: { kind: "text", required: true },
      portNumber: { kind: "port", default: "80" },
      localPortNumber: { kind: "port", default: "0" },
    },
    mode: (v) => ({
      kind: "port",
      port: port(v.portNumber),
      localPortNumber: v.localPortNumber,
      host: v.host,
      localPortForwarding: true,
    }),
  },
  {
    name: "AWS-StartInteractiveCommand",
    parameters: { command: { kind: "text", required: true } },
    mode: (v) => ({ kind: "command", commandLine: v.command ?? "", interactive: true }),
  },
  {
    name: "AWS-StartNonInteractiveCommand",
    parameters: { command: { kind: "text", required: true } },
    mode: (v) => ({ kind: "command", commandLine: v.command ?? "", interactive: false }),
  },
  {
    name: "AWS-StartSSHSession",
    // A Port session without `type`: the plugin relays its stdin/stdout (ssh's ProxyCommand).
    parameters: { portNumber: { kind: "port", default: "22" } },
    mode: (v) => ({ kind: "port", port: port(v.portNumber), localPortForwarding: false }),
  },
];

export const KNOWN_SESSION_DOCUMENTS: readonly string[] = DOCUMENTS.map((d) => d.name);

/**
 * Finds a document by name or by ARN (`arn:aws:ssm:<region>:<account>:document/<name>`; the
 * DocumentName pattern allows `:` and `/` for exactly this form).
 */
export function findDocument(nameOrArn: string): SessionDocument | undefined {
  const arn = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:document\/(.+)$/.exec(nameOrArn);
  const name = arn ? arn[1] : nameOrArn;
  return DOCUMENTS.find((d) => d.name === name);
}

/**
 * Resolves StartSession `Parameters` against the document: defaults filled in, unknown names,
 * missing required values and bad ports refused with `InvalidParameters` (the code SSM uses for
 * parameters a document does not accept; StartSession's model lists no parameter error, so the
 * SDK surfaces it as an unmodeled `SSMServiceException` named `InvalidParameters`).
 */
export function resolveParameters(
  doc: SessionDocument,
  given: Record<string, string[]> | undefined,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, list] of Object.entries(given ?? {})) {
    const def = doc.parameters[name];
    if (!def) throw invalidParameters(`Parameter "${name}" is not defined in document ${doc.name}.`);
    if (list.length !== 1) {
      throw invalidParameters(`Parameter "${name}" of document ${doc.name} takes exactly one value.`);
    }
    values[name] = list[0] as string;
  }
  for (const [name, def] of Object.entries(doc.parameters)) {
    const value = values[name] ?? def.default;
    if (value === undefined) {
      if (def.required) throw invalidParameters(`Parameter "${name}" is required by document ${doc.name}.`);
      continue;
    }
    if (def.kind === "port" && !isPort(value, name === "localPortNumber")) {
      throw invalidParameters(`Parameter "${name}" must be a port number, got "${value}".`);
    }
    values[name] = value;
  }
  return values;
}

/** Integer 1..65535; 0 is allowed for `localPortNumber` (it means "pick a free port"). */
function isPort(value: string, zeroAllowed: boolean): boolean {
  if (!/^\d{1,5}$/.test(value)) return false;
  const n = Number(value);
  return n <= 65535 && (n >= 1 || (zeroAllowed && n === 0));
}

function invalidParameters(message: string): ApiError {
  return new ApiError(400, "InvalidParameters", message);
}

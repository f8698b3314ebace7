/**
 * Builds the Pulumi package schema (schema.json) from the resource catalog: types from the
 * zod schemas (via JSON Schema), descriptions from their doc comments. Every input of these
 * immutable resources replaces the resource when it changes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { catalog, type CatalogEntry } from "../../provider/catalog";
import { alicloudTunnelSchema, awsTunnelSchema } from "../../provider/tunnel/schema";
import { CONFIG_VARIABLES } from "../../sdk/contract/config";
import { TUNNEL_ENDPOINT_TYPE, TUNNEL_INPUTS } from "../../sdk/contract/tunnel";
import { classDoc, schemaDocs, type ObjectDocs } from "./docComments";

/** A property of the Pulumi package schema. */
export interface PulumiProperty {
  type?: string;
  $ref?: string;
  items?: PulumiProperty;
  additionalProperties?: PulumiProperty;
  description?: string;
  secret?: boolean;
  replaceOnChanges?: boolean;
}

/** An object type of the Pulumi package schema. */
export interface PulumiObjectType {
  type: "object";
  description?: string;
  properties: Record<string, PulumiProperty>;
  required?: string[];
}

export interface PulumiResource extends Omit<PulumiObjectType, "type"> {
  inputProperties: Record<string, PulumiProperty>;
  requiredInputs?: string[];
}

export interface PulumiSchema {
  name: string;
  displayName: string;
  version: string;
  description: string;
  keywords: string[];
  license: string;
  repository?: string;
  config: { variables: Record<string, PulumiProperty> };
  provider: Omit<PulumiResource, "properties">;
  types: Record<string, PulumiObjectType>;
  resources: Record<string, PulumiResource>;
  language: Record<string, unknown>;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

const ANY = "pulumi.json#/Any";

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** `encryptionOptionsSchema` -> `EncryptionOptions`. */
const typeNameOf = (constName: string): string => pascal(constName.replace(/Schema$/, ""));

class SchemaBuilder {
  readonly types: Record<string, PulumiObjectType> = {};

  constructor(
    private readonly moduleToken: string,
    private readonly docs: Record<string, ObjectDocs>,
  ) {}

  /** A field's Pulumi property from its JSON Schema; objects become named types. */
  property(
    json: JsonSchema,
    typeName: string,
    docs: ObjectDocs | undefined,
    description?: string,
  ): PulumiProperty {
    const withDoc = (p: PulumiProperty): PulumiProperty => (description ? { ...p, description } : p);
    const variants = (json.anyOf ?? json.oneOf)?.filter((v) => v.type !== "null");
    if (variants && variants.length === 1) return this.property(variants[0], typeName, docs, description);
    if (variants && variants.length > 1) return withDoc({ $ref: ANY });
    const type = Array.isArray(json.type) ? json.type.find((t) => t !== "null") : json.type;
    if (json.enum) {
      const values = json.enum.map((v) => `\`${String(v)}\``).join(", ");
      return { type: "string", description: [description, `One of: ${values}.`].filter(Boolean).join(" ") };
    }
    switch (type) {
      case "string":
      case "integer":
      case "number":
      case "boolean":
        return withDoc({ type });
      case "array":
        return withDoc({ type: "array", items: this.property(json.items ?? {}, typeName, docs) });
      case "object":
        if (json.properties && docs)
          return withDoc({ $ref: `#/types/${this.objectType(json, typeName, docs)}` });
        if (typeof json.additionalProperties === "object") {
          return withDoc({
            type: "object",
            additionalProperties: this.property(json.additionalProperties, typeName, docs),
          });
        }
        return withDoc({ $ref: ANY });
      default:
        return withDoc({ $ref: ANY });
    }
  }

  /** Properties of an object schema, with each field's doc comment. */
  properties(json: JsonSchema, ownerName: string, docs: ObjectDocs): Record<string, PulumiProperty> {
    const out: Record<string, PulumiProperty> = {};
    for (const [name, fieldJson] of Object.entries(json.properties ?? {})) {
      const ref = docs.refs[name];
      const nestedDocs = ref ? this.docs[ref] : docs.inline[name];
      const nestedName = ref ? typeNameOf(ref) : `${ownerName}${pascal(name)}`;
      out[name] = this.property(fieldJson, nestedName, nestedDocs, docs.fields[name] || undefined);
    }
    return out;
  }

  private objectType(json: JsonSchema, typeName: string, docs: ObjectDocs): string {
    const token = `${this.moduleToken}:${typeName}`;
    if (!this.types[token]) {
      const type: PulumiObjectType = { type: "object", properties: this.properties(json, typeName, docs) };
      if (json.required?.length) type.required = [...json.required].sort();
      this.types[token] = type;
    }
    return token;
  }
}

function toJson(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
}

function resourceSchema(entry: CatalogEntry, repoRoot: string, types: Record<string, PulumiObjectType>) {
  const [pkg, mod, typeName] = entry.row.token.split(":");
  const docs = {
    ...schemaDocs(path.join(repoRoot, entry.sourceFile)),
    ...(entry.outputs.sourceFile ? schemaDocs(path.join(repoRoot, entry.outputs.sourceFile)) : {}),
  };
  const builder = new SchemaBuilder(`${pkg}:${mod}`, docs);
  const inputsJson = toJson(entry.inputs.schema, "input");
  const outputsJson = toJson(entry.outputs.schema, "output");
  const inputDocs = docs[entry.inputs.name];
  const outputDocs = docs[entry.outputs.name];
  if (!inputDocs || !outputDocs)
    throw new Error(`${entry.sourceFile}: schemas ${entry.inputs.name}/${entry.outputs.name} not found`);

  const inputProperties = builder.properties(inputsJson, typeName, inputDocs);
  for (const [name, prop] of Object.entries(inputProperties)) {
    if (!entry.inPlaceInputs?.includes(name)) prop.replaceOnChanges = true;
    if (entry.row.secretInputs.includes(name)) prop.secret = true;
  }
  const properties: Record<string, PulumiProperty> = { ...inputProperties };
  for (const [name, prop] of Object.entries(builder.properties(outputsJson, typeName, outputDocs))) {
    properties[name] = entry.row.secretOutputs.includes(name) ? { ...prop, secret: true } : prop;
  }
  Object.assign(types, builder.types);
  const resource: PulumiResource = {
    description: classDoc(path.join(repoRoot, entry.sdk.file), entry.sdk.className),
    inputProperties,
    properties,
  };
  if (inputsJson.required?.length) resource.requiredInputs = [...inputsJson.required].sort();
  if (outputsJson.required?.length) resource.required = [...outputsJson.required].sort();
  return resource;
}

/** The provider configuration (`sessions:*`), also the inputs of an explicit provider resource. */
function configVariables(): Record<string, PulumiProperty> {
  return Object.fromEntries(
    CONFIG_VARIABLES.map((v) => [
      v.name,
      { type: "string", description: v.description, ...(v.secret ? { secret: true } : {}) },
    ]),
  );
}

/** An explicit provider's tunnel inputs (provider/tunnel/schema.ts), with their object types. */
function tunnelProperties(repoRoot: string, types: Record<string, PulumiObjectType>) {
  const docs = schemaDocs(path.join(repoRoot, "provider", "tunnel", "schema.ts"));
  const builder = new SchemaBuilder("sessions:index", docs);
  const tunnels: Array<[string, z.ZodType, string, string]> = [
    [
      TUNNEL_INPUTS.aws,
      awsTunnelSchema,
      "awsTunnelSchema",
      "Makes this provider a tunnel: a local port forwarding through an AWS Session Manager session while the engine runs (docs/tunnels.md).",
    ],
    [
      TUNNEL_INPUTS.alicloud,
      alicloudTunnelSchema,
      "alicloudTunnelSchema",
      "Makes this provider a tunnel: a local port forwarding through an ECS Session Manager session while the engine runs (docs/tunnels.md).",
    ],
  ];
  const out: Record<string, PulumiProperty> = {};
  for (const [name, schema, constName, description] of tunnels) {
    out[name] = builder.property(
      toJson(schema, "input"),
      typeNameOf(constName),
      docs[constName],
      description,
    );
  }
  Object.assign(types, builder.types);
  return out;
}

/** The whole package schema. */
export function generateSchema(repoRoot: string): PulumiSchema {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    version: string;
    description: string;
    license: string;
  };
  const types: Record<string, PulumiObjectType> = {};
  const resources: Record<string, PulumiResource> = {};
  for (const entry of catalog) resources[entry.row.token] = resourceSchema(entry, repoRoot, types);
  const tunnels = tunnelProperties(repoRoot, types);
  const endpoint: Omit<PulumiResource, "inputProperties"> = {
    description:
      "Where a tunnel listens. Declare one with a tunnel provider (`awsTunnel` or `alicloudTunnel`) as its provider and give its `host` and `port` to the resources that use the tunnel: they then depend on it, and `refresh` and `destroy` start the tunnel before them (docs/tunnels.md).",
    properties: {
      host: {
        type: "string",
        description: "The address to connect to: 127.0.0.1 (the tunnel listens on loopback only).",
      },
      port: { type: "integer", description: "The tunnel's local port." },
    },
    required: ["host", "port"],
  }; // No inputProperties at all: the engine's schema model drops an empty map, and the plugin
  // must serve the very document the CLI returns (`pulumi package get-schema`).
  resources[TUNNEL_ENDPOINT_TYPE] = endpoint as PulumiResource;

  return {
    name: "sessions",
    displayName: "Sessions",
    version: pkg.version,
    description: pkg.description,
    keywords: ["pulumi", "sessions", "alicloud", "aws", "ssm", "session-manager", "das", "category/utility"],
    license: pkg.license,
    config: { variables: configVariables() },
    provider: {
      description:
        "The sessions provider: credentials, regions and endpoints for the resources it manages; with `awsTunnel` or `alicloudTunnel`, also a tunnel.",
      inputProperties: { ...configVariables(), ...tunnels },
    },
    types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))),
    resources,
    language: {
      nodejs: { packageName: "pulumi-sessions" },
      go: { importBasePath: "github.com/pulumi-sessions/pulumi-sessions/sdks/go/sessions" },
      python: { packageName: "pulumi_sessions" },
      csharp: { rootNamespace: "PulumiSessions" },
    },
  };
}

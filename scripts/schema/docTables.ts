/**
 * The generated part of each resource's doc page: its inputs and outputs tables, rendered
 * from schema.json between two markers; the rest of the page is written by hand.
 */
import type { PulumiProperty, PulumiSchema } from "./generate";

export const BEGIN = "<!-- BEGIN GENERATED: inputs and outputs, from schema.json by `npm run schema` -->";
export const END = "<!-- END GENERATED -->";

function typeText(prop: PulumiProperty, schema: PulumiSchema): string {
  if (prop.$ref === "pulumi.json#/Any") return "any";
  if (prop.$ref) return prop.$ref.split(":").pop() ?? prop.$ref;
  if (prop.type === "array" && prop.items) return `${typeText(prop.items, schema)}[]`;
  if (prop.type === "object" && prop.additionalProperties)
    return `map of ${typeText(prop.additionalProperties, schema)}`;
  return prop.type ?? "any";
}

const cell = (text: string | undefined): string =>
  (text ?? "").replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");

function table(props: Record<string, PulumiProperty>, required: string[], schema: PulumiSchema): string[] {
  const rows = ["| name | type | required | description |", "| --- | --- | --- | --- |"];
  for (const [name, prop] of Object.entries(props)) {
    const flags = [prop.secret ? "secret" : "", prop.replaceOnChanges ? "replaces on change" : ""].filter(
      Boolean,
    );
    const description = [cell(prop.description), flags.length ? `_(${flags.join(", ")})_` : ""].filter(
      Boolean,
    );
    rows.push(
      `| \`${name}\` | ${typeText(prop, schema)} | ${required.includes(name) ? "yes" : "no"} | ${description.join(" ")} |`,
    );
  }
  return rows;
}

/** The generated block for one resource (inputs, outputs, and the object types they use). */
export function renderTables(token: string, schema: PulumiSchema): string {
  const resource = schema.resources[token];
  const lines = [
    BEGIN,
    "",
    "### Inputs",
    "",
    ...table(resource.inputProperties, resource.requiredInputs ?? [], schema),
  ];
  const outputs = Object.fromEntries(
    Object.entries(resource.properties).filter(([name]) => !(name in resource.inputProperties)),
  );
  lines.push("", "### Outputs", "", "Every input is also an output. In addition:", "");
  lines.push(...table(outputs, resource.required ?? [], schema));
  const used = new Set(
    JSON.stringify(resource)
      .match(/#\/types\/[^"]+/g)
      ?.map((ref) => ref.slice("#/types/".length)),
  );
  for (const typeToken of [...used].sort()) {
    const type = schema.types[typeToken];
    lines.push(
      "",
      `### ${typeToken.split(":").pop()}`,
      "",
      ...table(type.properties, type.required ?? [], schema),
    );
  }
  lines.push("", END);
  return lines.join("\n");
}

/** A doc page with its generated block replaced (or appended when the page has none yet). */
export function withTables(page: string, token: string, schema: PulumiSchema): string {
  const block = renderTables(token, schema);
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start >= 0 && end > start) return page.slice(0, start) + block + page.slice(end + END.length);
  return `${page.trimEnd()}\n\n## Reference\n\n${block}\n`;
}

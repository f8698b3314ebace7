/**
 * `npm run schema`: writes schema.json, the generated tables of the resource docs and the SDK's
 * plain public types (`sdk/schemaTypes.ts`).
 * `npm run schema -- --check`: fails, listing the files, when any of them is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { catalog } from "../../provider/catalog";
import { generateSchema } from "./generate";
import { withTables } from "./docTables";
import { generatePublicTypes, PUBLIC_TYPES_FILE } from "./publicTypes";

/** Formats a generated file as `prettier --check` wants it. */
export type Formatter = (text: string, filepath: string) => Promise<string>;

const prettierFormat: Formatter = async (text, filepath) => {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...options, filepath });
};

/** Every generated file and the text it should hold. */
export async function generatedFiles(
  repoRoot: string,
  format: Formatter = prettierFormat,
): Promise<Map<string, string>> {
  const schema = generateSchema(repoRoot);
  const files = new Map<string, string>([["schema.json", `${JSON.stringify(schema, null, 2)}\n`]]);
  files.set(
    PUBLIC_TYPES_FILE,
    await format(generatePublicTypes(repoRoot), path.join(repoRoot, PUBLIC_TYPES_FILE)),
  );
  for (const entry of catalog) {
    const file = path.join(repoRoot, entry.docFile);
    const page = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `# ${entry.sdk.className}\n`;
    files.set(entry.docFile, await format(withTables(page, entry.row.token, schema), file));
  }
  return files;
}

/** Files whose content differs from what the generator makes. */
export async function staleFiles(repoRoot: string, format?: Formatter): Promise<string[]> {
  return [...(await generatedFiles(repoRoot, format))]
    .filter(([file, text]) => {
      const full = path.join(repoRoot, file);
      return !fs.existsSync(full) || fs.readFileSync(full, "utf8") !== text;
    })
    .map(([file]) => file);
}

async function main(): Promise<void> {
  const repoRoot = path.resolve(__dirname, "..", "..", "..", "..");
  if (process.argv.includes("--check")) {
    const stale = await staleFiles(repoRoot);
    if (stale.length) {
      console.error(`stale generated files (run \`npm run schema\`): ${stale.join(", ")}`);
      process.exit(1);
    }
    return;
  }
  for (const [file, text] of await generatedFiles(repoRoot)) {
    fs.mkdirSync(path.dirname(path.join(repoRoot, file)), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, file), text);
    console.log(`wrote ${file}`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { catalog } from "../../provider/catalog";
import { TUNNEL_ENDPOINT_TYPE } from "../../sdk/contract/tunnel";
import { generateSchema } from "./generate";
import { staleFiles, type Formatter } from "./write";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Prettier through its CLI: its ESM internals do not load inside jest's module sandbox. */
const prettierCli: Formatter = async (text, filepath) =>
  execFileSync(path.join(repoRoot, "node_modules", ".bin", "prettier"), ["--stdin-filepath", filepath], {
    input: text,
    encoding: "utf8",
  });

describe("schema.json", () => {
  const schema = generateSchema(repoRoot);

  test("schema.json and the docs' generated tables are up to date (run `npm run schema`)", async () => {
    expect(await staleFiles(repoRoot, prettierCli)).toEqual([]);
  });

  test("describes every resource of the catalog, and every type it references exists", () => {
    // The catalog's resources, and the endpoint a tunnel provider serves.
    expect(Object.keys(schema.resources).sort()).toEqual(
      [...catalog.map((e) => e.row.token), TUNNEL_ENDPOINT_TYPE].sort(),
    );
    const refs = JSON.stringify(schema).match(/#\/types\/[^"]+/g) ?? [];
    for (const ref of refs) expect(schema.types).toHaveProperty([ref.slice("#/types/".length)]);
  });

  test.each(catalog.map((e) => [e.row.token, e] as const))("%s: every field is documented", (token) => {
    const resource = schema.resources[token];
    expect(resource.description?.length).toBeGreaterThan(20);
    for (const [name, prop] of Object.entries({ ...resource.inputProperties, ...resource.properties })) {
      // The name rides along so a failure says which field lacks its doc comment.
      expect({ name, description: prop.description }).toEqual({
        name,
        description: expect.stringMatching(/\S/),
      });
    }
  });

  test.each(catalog.map((e) => [e.row.token, e] as const))(
    "%s: secrets and replace-on-change flags match the resource",
    (token, entry) => {
      const resource = schema.resources[token];
      for (const name of Object.keys(entry.inputs.schema.shape)) {
        const replaces = !entry.inPlaceInputs?.includes(name);
        expect({ name, replaces: resource.inputProperties[name].replaceOnChanges === true }).toEqual({
          name,
          replaces,
        });
      }
      for (const name of [...entry.row.secretInputs, ...entry.row.secretOutputs]) {
        expect(resource.properties[name].secret).toBe(true);
      }
    },
  );
});

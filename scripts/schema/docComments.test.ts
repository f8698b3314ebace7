/**
 * Doc comments read from schema sources: a field spread in (`...shared`, `...base.shape`) keeps
 * the comment written where it is declared, in the same file or an imported one.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { schemaDocs } from "./docComments";

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "doc-comments-"));
  fs.mkdirSync(path.join(dir, "shared"));
  fs.writeFileSync(
    path.join(dir, "shared", "fields.ts"),
    `import { z } from "zod";
/** A nested object. */
export const partSchema = z.object({
  /** The part's name. */
  name: z.string(),
});
export const sharedFields = {
  /** Shared, from the other file. */
  script: z.string(),
  /** Parts, referring to a schema of the other file. */
  parts: z.array(partSchema),
} as const;
`,
  );
  fs.writeFileSync(
    path.join(dir, "resource.ts"),
    `import { z } from "zod";
import { sharedFields as fields } from "./shared/fields";
const local = {
  /** Shared, from this file. */
  mode: z.string(),
};
const base = z.object({
  /** From a z.object's shape. */
  region: z.string(),
});
export const resourceSchema = z.object({
  /** Its own. */
  id: z.string(),
  ...fields,
  ...local,
  ...base.shape,
});
`,
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("spread fields carry their comments, from this file or an imported one, and their refs resolve", () => {
  const docs = schemaDocs(path.join(dir, "resource.ts"));
  expect(docs.resourceSchema.fields).toEqual({
    id: "Its own.",
    script: "Shared, from the other file.",
    parts: "Parts, referring to a schema of the other file.",
    mode: "Shared, from this file.",
    region: "From a z.object's shape.",
  });
  expect(docs.resourceSchema.refs).toEqual({ parts: "partSchema" });
  expect(docs.partSchema.fields).toEqual({ name: "The part's name." });
});

test("a spread it cannot follow fails naming the file and the spread", () => {
  const file = path.join(dir, "opaque.ts");
  fs.writeFileSync(file, `import { z } from "zod";\nexport const s = z.object({ ...makeFields() });\n`);
  expect(() => schemaDocs(file)).toThrow(
    `${file}: cannot read the doc comments of the fields of ...makeFields()`,
  );
});

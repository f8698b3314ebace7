/**
 * The public surface is plain: what a program loads and type-checks of this package (every
 * non-test module under `sdk/`, compiled to `dist/sdk/`) imports only `sdk/` itself, Node.js and
 * `@pulumi/pulumi`: no zod, nothing of `provider/` or `plugin/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const sdkRoot = __dirname;

const modules = (fs.readdirSync(sdkRoot, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .sort();

/** Every module specifier of `import`/`export ... from` and `require()` in a source text, comments aside. */
function specifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...text.matchAll(/(?:from\s+|require\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]);
}

test.each(modules)("%s imports only sdk/, Node.js and @pulumi/pulumi", (file) => {
  const outside = specifiers(fs.readFileSync(path.join(sdkRoot, file), "utf8")).filter((spec) => {
    if (spec.startsWith("."))
      return path.relative(sdkRoot, path.resolve(sdkRoot, path.dirname(file), spec)).startsWith("..");
    return !spec.startsWith("node:") && spec !== "@pulumi/pulumi" && !spec.startsWith("@pulumi/pulumi/");
  });
  expect(outside).toEqual([]);
});

test("the check sees the modules and their imports", () => {
  expect(modules).toEqual(expect.arrayContaining(["index.ts", path.join("internal", "dynamicResource.ts")]));
  expect(
    specifiers('/** from "x" */\nimport { a } from "../provider/x";\nconst z = require("zod");'),
  ).toEqual(["../provider/x", "zod"]);
});

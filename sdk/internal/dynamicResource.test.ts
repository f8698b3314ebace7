import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { providerModuleSource } from "./dynamicResource";

/**
 * Evaluates `__provider` text as the engine's dynamic provider does (require-from-string: a
 * module whose `require` resolves from the process's working directory), but from `dir`. The
 * file name is unique per directory only because Node caches resolutions by the module's path.
 */
function handlerIn(dir: string, text: string): () => unknown {
  const internals = Module as unknown as { _nodeModulePaths(from: string): string[] };
  const filename = path.join(dir, "__provider.js");
  const m = new Module(filename, module) as Module & { _compile(code: string, filename: string): void };
  m.filename = filename;
  m.paths = internals._nodeModulePaths(dir);
  m._compile(text, filename);
  return (m.exports as { handler: () => unknown }).handler;
}

const SOURCE = providerModuleSource({ modulePath: "provider/resources/fake", exportName: "fakeProvider" });

describe("providerModuleSource", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-module-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("loads the export through the package's `exports` map, from the program's directory", () => {
    const pkg = path.join(dir, "node_modules", "pulumi-sessions");
    fs.mkdirSync(path.join(pkg, "dist", "provider", "resources"), { recursive: true });
    fs.writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "pulumi-sessions", exports: { "./dist/*": "./dist/*.js" } }),
    );
    fs.writeFileSync(
      path.join(pkg, "dist", "provider", "resources", "fake.js"),
      'exports.fakeProvider = { marker: "the installed provider" };',
    );
    expect(handlerIn(dir, SOURCE)()).toEqual({ marker: "the installed provider" });
  });

  test("says how to fix a package that is not installed where the program is", () => {
    expect(() => handlerIn(dir, SOURCE)()).toThrow(
      /^install pulumi-sessions where the program is \(.*\): Cannot find module 'pulumi-sessions\/dist\/provider\/resources\/fake'/,
    );
  });

  test("passes other load errors through unchanged", () => {
    const pkg = path.join(dir, "node_modules", "pulumi-sessions");
    fs.mkdirSync(path.join(pkg, "dist", "provider", "resources"), { recursive: true });
    fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "pulumi-sessions" }));
    fs.writeFileSync(
      path.join(pkg, "dist", "provider", "resources", "fake.js"),
      "throw new TypeError('broken');",
    );
    expect(() => handlerIn(dir, SOURCE)()).toThrow(/^broken$/);
  });

  test("is one short statement with nothing but the two names in it", () => {
    expect(Buffer.byteLength(SOURCE)).toBeLessThan(400);
    expect(SOURCE).toMatch(/^exports\.handler = /);
    expect(SOURCE).toContain('require("pulumi-sessions/dist/provider/resources/fake")["fakeProvider"]');
  });
});

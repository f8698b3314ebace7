/**
 * Lets `node -r ./bench/register.js bench/run.ts` run the benchmark's TypeScript in place, with
 * `__dirname` pointing at the sources (the e2e harness finds the repo from it). Transpile only:
 * types are checked by `npm run typecheck` (tsconfig.json includes bench/). The repo has no
 * ts-node, and Node's own type stripping does not handle parameter properties.
 */
"use strict";
const fs = require("node:fs");
const ts = require("typescript");

require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: false,
      inlineSourceMap: true,
    },
  });
  module._compile(outputText, filename);
};
